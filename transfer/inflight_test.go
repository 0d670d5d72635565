package transfer

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	"oras.land/oras-go/v2"
)

func TestInflightClaim(t *testing.T) {
	ctx := context.Background()
	var f inflight
	d := digest.FromString("band")
	if err := f.claim(ctx, d); err != nil {
		t.Fatalf("first claim: %v, want nil", err)
	}
	got := make(chan error, 1)
	go func() { got <- f.claim(ctx, d) }()
	select {
	case err := <-got:
		t.Fatalf("second claim returned %v before the first send finished", err)
	case <-time.After(20 * time.Millisecond):
	}
	f.done(d)
	if err := <-got; !errors.Is(err, oras.SkipNode) {
		t.Fatalf("second claim after done: %v, want oras.SkipNode", err)
	}
	if err := f.claim(ctx, d); !errors.Is(err, oras.SkipNode) {
		t.Fatalf("claim after done: %v, want oras.SkipNode at once", err)
	}
	f.done(d) // twice is harmless

	// a send that never finishes (its copy failed) releases waiters through the context
	e := digest.FromString("other")
	if err := f.claim(ctx, e); err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := f.claim(cctx, e); !errors.Is(err, context.Canceled) {
		t.Fatalf("claim with a cancelled context: %v, want context.Canceled", err)
	}
}
