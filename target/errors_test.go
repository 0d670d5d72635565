package target

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func TestExplain(t *testing.T) {
	status := http.StatusUnauthorized
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		w.Write([]byte(`{"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]}`))
	}))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	ref, _ := ParseRemote(host + "/eo/products:v1")
	repo, err := Repository(ref, Options{RegistryConfig: t.TempDir() + "/config.json"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		status int
		want   string
		is     error
	}{
		{http.StatusUnauthorized, "run `eopack login " + host + "`", ErrUnauthorized},
		{http.StatusForbidden, "run `eopack login " + host + "`", ErrUnauthorized},
		{http.StatusNotFound, "eo/products:v1", ErrNotFound},
	} {
		status = tc.status
		_, err := repo.Resolve(context.Background(), "v1")
		got := Explain(err, ref)
		if !errors.Is(got, tc.is) || !strings.Contains(got.Error(), tc.want) || strings.Contains(got.Error(), "\n") {
			t.Errorf("%d: %v", tc.status, got)
		}
	}
	srv.Close()
	_, err = repo.Exists(context.Background(), ocispec.DescriptorEmptyJSON)
	if got := Explain(err, ref); !errors.Is(got, ErrUnreachable) || !strings.Contains(got.Error(), host) {
		t.Errorf("closed server: %v", got)
	}
	if Explain(nil, ref) != nil {
		t.Error("Explain(nil) != nil")
	}
}
