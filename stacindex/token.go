package stacindex

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"strings"

	"github.com/eopack/eopack/cql2"
)

// A page token is base64url(JSON {"q": hash of the query, "k": the last hit's sort key
// values}): the next page starts strictly after that key (keyset paging), so it is stable
// while items are added or removed, and a token of another query is refused.
type token struct {
	Q string `json:"q"`
	K []any  `json:"k"`
}

// queryHash identifies what a query selects and how it sorts (not its limit or count).
func queryHash(qu Query) string {
	var g string
	if !qu.Intersects.IsEmpty() {
		g = qu.Intersects.AsText()
	}
	var filter string
	if qu.Filter != nil {
		filter = cql2.Text(qu.Filter)
	}
	b, _ := json.Marshal([]any{qu.Collections, qu.IDs, qu.BBox, g, qu.Start, qu.End, filter, qu.SortBy})
	h := sha256.Sum256(b)
	return base64.RawURLEncoding.EncodeToString(h[:9])
}

func encodeToken(qu Query, keys []any) string {
	b, _ := json.Marshal(token{Q: queryHash(qu), K: keys})
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeToken reads a token's key values (integers as int64, other numbers as float64).
func decodeToken(qu Query, s string, n int) ([]any, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("%w: token is not one this server wrote", ErrBadQuery)
	}
	var t token
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if d.Decode(&t) != nil || len(t.K) != n {
		return nil, fmt.Errorf("%w: token is not one this server wrote", ErrBadQuery)
	}
	if t.Q != queryHash(qu) {
		return nil, fmt.Errorf("%w: token belongs to another query", ErrBadQuery)
	}
	for i, v := range t.K {
		if num, ok := v.(json.Number); ok {
			if iv, err := num.Int64(); err == nil && !strings.ContainsAny(num.String(), ".eE") {
				t.K[i] = iv
			} else if fv, err := num.Float64(); err == nil && !math.IsInf(fv, 0) {
				t.K[i] = fv
			} else {
				return nil, fmt.Errorf("%w: token is not one this server wrote", ErrBadQuery)
			}
		}
	}
	return t.K, nil
}
