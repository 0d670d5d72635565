package cli

import (
	"context"
	"encoding/json"
	"fmt"
)

// indexSource is the registry an index file was crawled from, kept in the file so that
// eopack stac serve links assets and references to it.
type indexSource struct {
	Registry  string `json:"registry"`  // host[:port]
	PlainHTTP bool   `json:"plainHTTP"` // reached over http://
}

// sourceKeeper is an index that keeps a small text value for its user.
type sourceKeeper interface {
	SetSource(ctx context.Context, s string) error
	Source(ctx context.Context) (string, error)
}

// recordSource writes src into the index, refusing an index crawled from another registry
// (repository names of two registries would collide). An index that cannot keep it is left
// as it is: stac serve then needs --registry-url.
func recordSource(ctx context.Context, ix any, src indexSource, path string) error {
	k, ok := ix.(sourceKeeper)
	if !ok {
		return nil
	}
	old, err := readSource(ctx, k)
	if err != nil {
		return err
	}
	if old != nil && old.Registry != src.Registry {
		return usagef("%s indexes %s, not %s: use another file", path, old.Registry, src.Registry)
	}
	b, _ := json.Marshal(src)
	return k.SetSource(ctx, string(b))
}

// loadSource reads the registry an index was crawled from; nil when it does not say.
func loadSource(ctx context.Context, ix any) (*indexSource, error) {
	k, ok := ix.(sourceKeeper)
	if !ok {
		return nil, nil
	}
	return readSource(ctx, k)
}

func readSource(ctx context.Context, k sourceKeeper) (*indexSource, error) {
	s, err := k.Source(ctx)
	if err != nil || s == "" {
		return nil, err
	}
	var src indexSource
	if err := json.Unmarshal([]byte(s), &src); err != nil || src.Registry == "" {
		return nil, fmt.Errorf("the index's source %q is not one eopack wrote", s)
	}
	return &src, nil
}
