package remote

import (
	"crypto/sha256"
	"encoding"
	"encoding/hex"
	"encoding/json"
	"errors"
	"hash"
	"os"
	"path/filepath"
	"time"

	"github.com/opencontainers/go-digest"
)

// UploadState remembers unfinished chunked uploads across processes: one small JSON file
// per upload in Dir, named by a hash of registry, repository and blob (its digest, or the
// identity of the file whose digest the upload computes). A record is written after every
// acknowledged chunk and removed when the blob is complete. It is never trusted blindly:
// a resumed upload first asks the registry where the session stands, and a session the
// registry forgot starts over.
type UploadState struct {
	Dir string
}

// uploadStateMaxAge is how long an unfinished upload is worth resuming; registries drop
// idle sessions long before (distribution after a week at most, many after hours).
const uploadStateMaxAge = 7 * 24 * time.Hour

// DefaultUploadState is the state in the user's cache folder ($XDG_CACHE_HOME/eopack/uploads),
// or nil when there is none.
func DefaultUploadState() *UploadState {
	d, err := os.UserCacheDir()
	if err != nil {
		return nil
	}
	return &UploadState{Dir: filepath.Join(d, "eopack", "uploads")}
}

// uploadRecord is one unfinished upload.
type uploadRecord struct {
	Registry   string        `json:"registry"`
	Repository string        `json:"repository"`
	Digest     digest.Digest `json:"digest,omitempty"`
	File       string        `json:"file,omitempty"` // source file identity, when the upload computes the digest
	MediaType  string        `json:"mediaType,omitempty"`
	Size       int64         `json:"size"`
	Location   string        `json:"location"`
	Offset     int64         `json:"offset"`               // bytes the registry had acknowledged
	Hash       []byte        `json:"hash,omitempty"`       // sha256 state over [0, HashOffset)
	HashOffset int64         `json:"hashOffset,omitempty"` // bytes the hash state has seen
}

func (s *UploadState) key(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

func (s *UploadState) path(key string) string { return filepath.Join(s.Dir, key+".json") }

func (s *UploadState) load(key string) (uploadRecord, bool) {
	var rec uploadRecord
	p := s.path(key)
	fi, err := os.Stat(p)
	if err != nil {
		return rec, false
	}
	if time.Since(fi.ModTime()) > uploadStateMaxAge {
		os.Remove(p)
		return rec, false
	}
	b, err := os.ReadFile(p)
	if err != nil || json.Unmarshal(b, &rec) != nil || rec.Location == "" {
		os.Remove(p)
		return uploadRecord{}, false
	}
	return rec, true
}

// store writes rec atomically (a temporary file renamed over the record); failures only
// cost the ability to resume, so they are ignored.
func (s *UploadState) store(key string, rec uploadRecord) {
	b, err := json.Marshal(rec)
	if err != nil || os.MkdirAll(s.Dir, 0o700) != nil {
		return
	}
	tmp, err := os.CreateTemp(s.Dir, ".tmp-*")
	if err != nil {
		return
	}
	_, werr := tmp.Write(b)
	if cerr := tmp.Close(); werr != nil || cerr != nil || os.Rename(tmp.Name(), s.path(key)) != nil {
		os.Remove(tmp.Name())
	}
}

func (s *UploadState) remove(key string) { os.Remove(s.path(key)) }

func saveHash(h hash.Hash) []byte {
	m, ok := h.(encoding.BinaryMarshaler)
	if !ok {
		return nil
	}
	b, _ := m.MarshalBinary()
	return b
}

func restoreHash(b []byte) (hash.Hash, error) {
	h := digest.SHA256.Hash()
	u, ok := h.(encoding.BinaryUnmarshaler)
	if !ok || len(b) == 0 {
		return nil, errors.New("no hash state")
	}
	if err := u.UnmarshalBinary(b); err != nil {
		return nil, err
	}
	return h, nil
}
