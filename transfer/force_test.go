package transfer_test

import (
	"bytes"
	"testing"

	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/content/memory"

	"github.com/eopack/eopack/transfer"
)

// A destination that holds the manifest but lost a layer (a partly filled cache): a plain
// copy skips the whole artifact; with Force it looks below the manifest and sends the
// missing layer only.
func TestForceFillsPartialDestination(t *testing.T) {
	src, root := artifact(t, nil, "band one", "band two")
	partial := func() *memory.Store {
		dst := memory.New()
		rc, err := src.Fetch(t.Context(), root)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := content.ReadAll(rc, root)
		rc.Close()
		if err := dst.Push(t.Context(), root, bytes.NewReader(b)); err != nil {
			t.Fatal(err)
		}
		return dst
	}
	layer := content.NewDescriptorFromBytes("image/tiff", []byte("band two"))

	dst := partial()
	var plain transfer.Stats
	if err := transfer.CopyRoot(t.Context(), src, root, dst, "", transfer.Options{Stats: &plain}); err != nil {
		t.Fatal(err)
	}
	if ok, _ := dst.Exists(t.Context(), layer); ok {
		t.Fatal("a plain copy went below a manifest the destination holds")
	}

	dst = partial()
	var st transfer.Stats
	if err := transfer.CopyRoot(t.Context(), src, root, dst, "", transfer.Options{Force: true, Stats: &st}); err != nil {
		t.Fatal(err)
	}
	if ok, _ := dst.Exists(t.Context(), layer); !ok {
		t.Fatal("with Force the missing layer was not sent")
	}
	if st.Sent.Load() != 3 {
		t.Fatalf("with Force %d blobs sent, want 3 (config and two layers)", st.Sent.Load())
	}
}
