package lineage

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/content/memory"

	"github.com/eopack/eopack/sign"
)

// world is one in-memory store standing for every repository.
type world struct {
	t     *testing.T
	s     *memory.Store
	key   *ecdsa.PrivateKey
	descs map[digest.Digest]ocispec.Descriptor
}

func newWorld(t *testing.T) *world {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return &world{t: t, s: memory.New(), key: k, descs: map[digest.Digest]ocispec.Descriptor{}}
}

func (w *world) product(name string) ocispec.Descriptor {
	ctx := context.Background()
	l := content.NewDescriptorFromBytes("image/tiff", []byte(name))
	w.s.Push(ctx, l, strings.NewReader(name))
	if ok, _ := w.s.Exists(ctx, ocispec.DescriptorEmptyJSON); !ok {
		w.s.Push(ctx, ocispec.DescriptorEmptyJSON, strings.NewReader("{}"))
	}
	m, _ := json.Marshal(ocispec.Manifest{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageManifest, Config: ocispec.DescriptorEmptyJSON, Layers: []ocispec.Descriptor{l}})
	d := content.NewDescriptorFromBytes(ocispec.MediaTypeImageManifest, m)
	if err := w.s.Push(ctx, d, bytes.NewReader(m)); err != nil {
		w.t.Fatal(err)
	}
	w.descs[d.Digest] = d
	return d
}

func (w *world) attest(p ocispec.Descriptor, proc string, key *ecdsa.PrivateKey, inputs ...ocispec.Descriptor) {
	var ins []Input
	for _, in := range inputs {
		ins = append(ins, Input{Repository: "reg/eo", Digest: in.Digest, MediaType: in.MediaType})
	}
	pred, err := NewProvenance(Processor{Name: proc, Version: "1"}, json.RawMessage(`{"k":1}`), ins, time.Unix(0, 0))
	if err != nil {
		w.t.Fatal(err)
	}
	st, _ := sign.NewStatement("reg/eo", p, sign.SLSAProvenanceV1, pred)
	b, err := sign.NewBundle(context.Background(), key, st)
	if err != nil {
		w.t.Fatal(err)
	}
	if _, err := sign.PushBundle(context.Background(), w.s, p, b, sign.SLSAProvenanceV1, time.Unix(0, 0)); err != nil {
		w.t.Fatal(err)
	}
}

func (w *world) walker(v *sign.Verifier) *Walker {
	return &Walker{Verifier: v, Open: func(ctx context.Context, repo string, d digest.Digest) (oras.ReadOnlyGraphTarget, ocispec.Descriptor, error) {
		desc, ok := w.descs[d]
		if !ok {
			return nil, desc, errors.New("not found")
		}
		return w.s, desc, nil
	}}
}

func TestWalkTree(t *testing.T) {
	w := newWorld(t)
	l1a, l1b := w.product("l1c-a"), w.product("l1c-b")
	red, nir := w.product("red"), w.product("nir")
	ndvi := w.product("ndvi")
	w.attest(red, "l2a", w.key, l1a)
	w.attest(nir, "l2a", w.key, l1a, l1b)
	w.attest(ndvi, "ndvi", w.key, red, nir)

	tree, err := w.walker(nil).Walk(context.Background(), "reg/eo", ndvi.Digest)
	if err != nil {
		t.Fatal(err)
	}
	if !tree.Attested || tree.Processor == nil || tree.Processor.Name != "ndvi" || len(tree.Inputs) != 2 {
		t.Fatalf("%+v", tree)
	}
	if tree.Inputs[0].Digest != red.Digest || tree.Inputs[1].Digest != nir.Digest {
		t.Fatal("inputs out of order")
	}
	if n := tree.Inputs[1]; len(n.Inputs) != 2 || n.Inputs[0].Digest != l1a.Digest || n.Inputs[1].Digest != l1b.Digest || n.Inputs[0].Attested {
		t.Fatalf("nir's inputs %+v", n.Inputs)
	}
	var text, dot bytes.Buffer
	WriteText(&text, tree)
	if lines := strings.Split(strings.TrimSpace(text.String()), "\n"); len(lines) != 6 || !strings.Contains(lines[0], "(ndvi 1)") || !strings.HasPrefix(lines[5], "    └── ") {
		t.Fatalf("text:\n%s", text.String())
	}
	WriteDot(&dot, tree)
	if c := strings.Count(dot.String(), " -> "); c != 5 {
		t.Fatalf("%d edges in\n%s", c, dot.String())
	}
}

func TestWalkRefusesCycle(t *testing.T) {
	w := newWorld(t)
	a, b, c := w.product("a"), w.product("b"), w.product("c")
	w.attest(a, "p", w.key, b)
	w.attest(b, "p", w.key, c)
	w.attest(c, "p", w.key, a)
	_, err := w.walker(nil).Walk(context.Background(), "reg/eo", a.Digest)
	if !errors.Is(err, ErrCycle) {
		t.Fatalf("got %v", err)
	}
	if strings.Count(err.Error(), "→") != 3 {
		t.Fatalf("cycle not named: %v", err)
	}
}

func TestWalkWithVerifierSkipsUntrusted(t *testing.T) {
	w := newWorld(t)
	stranger, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	in, forged := w.product("in"), w.product("forged-in")
	out := w.product("out")
	w.attest(out, "p", w.key, in)
	w.attest(out, "p", stranger, forged)
	v := &sign.Verifier{Keys: []sign.Key{{Name: "k", Public: w.key.Public()}}}
	tree, err := w.walker(v).Walk(context.Background(), "reg/eo", out.Digest)
	if err != nil {
		t.Fatal(err)
	}
	if len(tree.Inputs) != 1 || tree.Inputs[0].Digest != in.Digest {
		t.Fatalf("followed an unverified attestation: %+v", tree.Inputs)
	}
	tree, _ = w.walker(nil).Walk(context.Background(), "reg/eo", out.Digest)
	if len(tree.Inputs) != 2 {
		t.Fatalf("without a key both attestations are read: %+v", tree.Inputs)
	}
	// A repository outside every scope of a policy: its attestations are not followed.
	scoped := w.walker(nil)
	scoped.VerifierFor = func(repo string) (*sign.Verifier, error) {
		return nil, fmt.Errorf("no scope for %s: %w", repo, sign.ErrNotVerified)
	}
	tree, err = scoped.Walk(context.Background(), "reg/eo", out.Digest)
	if err != nil || len(tree.Inputs) != 0 || tree.Attested {
		t.Fatalf("followed attestations outside the policy: %+v, %v", tree, err)
	}
}

func TestProvenanceRoundTrip(t *testing.T) {
	d := digest.FromString("x")
	b, err := NewProvenance(Processor{Name: "ndvi", Version: "2"}, nil, []Input{{Repository: "reg/eo/red", Digest: d, Name: "reg/eo/red:v1"}}, time.Unix(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	p, ins, err := ParseProvenance(b)
	if err != nil || p == nil || p.Name != "ndvi" || len(ins) != 1 || ins[0].Digest != d || ins[0].Repository != "reg/eo/red" {
		t.Fatalf("%+v %+v %v\n%s", p, ins, err, b)
	}
	// A dependency whose digest field disagrees with its URI is not followed.
	bad := strings.Replace(string(b), d.Encoded()+`"}`, strings.Repeat("0", 64)+`"}`, 1)
	if _, ins, _ := ParseProvenance([]byte(bad)); len(ins) != 0 {
		t.Fatalf("followed %+v", ins)
	}
}
