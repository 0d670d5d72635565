package cli

import (
	"path/filepath"
	"testing"

	"github.com/eopack/eopack/stacindex"
)

func TestStacIndexServeUsage(t *testing.T) {
	index := filepath.Join(t.TempDir(), "eo.stac.db")
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"stac", "index", "localhost:5000/eo"}, "--index FILE is required"},
		{[]string{"stac", "index", "not a host", "--index", index}, `"not a host": not a registry host[:port][/namespace]`},
		{[]string{"stac", "index", "localhost:5000", "--index", index, "--concurrency", "0"}, "--concurrency must be at least 1"},
		{[]string{"stac", "serve"}, "--index FILE is required"},
		{[]string{"stac", "serve", "--index", index, "--assets", "sometimes"}, `--assets: "sometimes": want auto, direct or pass-through`},
		{[]string{"stac", "serve", "--index", index, "--registry-url", "ftp://x"}, "--registry-url"},
		{[]string{"stac", "serve", "--index", index, "--registry-url", "http://x/some/path"}, "--registry-url"},
	} {
		verbsFail(t, exitUsage, "", c.args, c.msg)
	}
	verbsFail(t, exitError, "", []string{"stac", "serve", "--index", index}, "--index", "no such file", "eopack stac index writes one")
	f, err := stacindex.OpenFile(index)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	verbsFail(t, exitUsage, "", []string{"stac", "serve", "--index", index}, "does not say which registry it indexes: give --registry-url")
}

func TestParseRegistryURL(t *testing.T) {
	for in, want := range map[string]indexSource{
		"http://127.0.0.1:5001":    {Registry: "127.0.0.1:5001", PlainHTTP: true},
		"https://reg.example.org/": {Registry: "reg.example.org"},
		"localhost:5000":           {Registry: "localhost:5000", PlainHTTP: true},
		"reg.example.org":          {Registry: "reg.example.org"},
	} {
		got, err := parseRegistryURL(in)
		if err != nil || *got != want {
			t.Errorf("%q: %+v %v, want %+v", in, got, err, want)
		}
	}
}
