package sign

import (
	"os"
	"path/filepath"
	"testing"
)

func TestPolicyScopes(t *testing.T) {
	dir := t.TempDir()
	_, pub, err := GenerateKeyPair(password(""))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "eo.pub"), pub, 0o644)
	os.WriteFile(filepath.Join(dir, "all.pub"), pub, 0o644)
	path := filepath.Join(dir, "policy.json")
	os.WriteFile(path, []byte(`{"policies":[
	  {"scope":"*","keys":["all.pub"]},
	  {"scope":"reg:5000/eo/*","keys":["eo.pub"],"requiredPredicateTypes":["slsaprovenance1"]},
	  {"scope":"reg:5000/eo/exact","keys":["eo.pub"]}]}`), 0o644)
	p, err := LoadPolicy(path)
	if err != nil {
		t.Fatal(err)
	}
	for repo, want := range map[string]string{"reg:5000/eo/x": "reg:5000/eo/*", "reg:5000/eo/exact": "reg:5000/eo/exact", "other/x": "*", "reg:5000/eon": "*"} {
		s, err := p.For(repo)
		if err != nil || s.Scope != want {
			t.Errorf("%s: %v, %v", repo, s, err)
		}
	}
	s, _ := p.For("reg:5000/eo/x")
	if len(s.RequiredPredicateTypes) != 1 || s.RequiredPredicateTypes[0] != SLSAProvenanceV1 {
		t.Errorf("required %v", s.RequiredPredicateTypes)
	}
	keys, err := p.Keys(s)
	if err != nil || len(keys) != 1 || keys[0].Name != "eo.pub" {
		t.Errorf("keys %v, %v", keys, err)
	}

	for name, body := range map[string]string{
		"empty":    `{"policies":[]}`,
		"no key":   `{"policies":[{"scope":"*"}]}`,
		"unknown":  `{"policies":[{"scope":"*","keys":["all.pub"],"kez":1}]}`,
		"bad type": `{"policies":[{"scope":"*","keys":["all.pub"],"requiredPredicateTypes":["nope"]}]}`,
	} {
		os.WriteFile(path, []byte(body), 0o644)
		if _, err := LoadPolicy(path); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	os.WriteFile(path, []byte(`{"policies":[{"scope":"reg:5000/eo/*","keys":["eo.pub"]}]}`), 0o644)
	p, _ = LoadPolicy(path)
	if _, err := p.For("reg:5000/other"); err == nil {
		t.Error("a repository outside every scope got a scope")
	}
}
