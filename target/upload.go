package target

import (
	"fmt"
	"strconv"

	"github.com/spf13/pflag"

	"github.com/eopack/eopack/remote"
)

// UploadFlags are the flags of the verbs that upload blobs to a registry (push, attach,
// cp, blob push, mirror, restore).
type UploadFlags struct {
	ChunkSize int64 // --chunk-size; 0: remote.DefaultUploadChunkSize or the registry's minimum
	NoResume  bool  // --no-resume: keep no state for a later process
}

// AddUploadFlags declares --chunk-size and --no-resume.
func (u *UploadFlags) AddUploadFlags(fs *pflag.FlagSet) {
	fs.Var((*sizeValue)(&u.ChunkSize), "chunk-size",
		"blobs of at least this size go up as resumable chunks of this size (e.g. 16MiB; default 64MiB, or the registry's OCI-Chunk-Min-Length when larger)")
	fs.BoolVar(&u.NoResume, "no-resume", false,
		"do not record unfinished chunked uploads in the cache folder for a later run to continue")
}

// Options returns the uploader's options for these flags.
func (u UploadFlags) Options() remote.UploadOptions {
	o := remote.UploadOptions{ChunkSize: u.ChunkSize}
	if !u.NoResume {
		o.State = remote.DefaultUploadState()
	}
	return o
}

// sizeValue is a byte size flag: a number of bytes, or one with a KiB, MiB or GiB suffix.
type sizeValue int64

func (v *sizeValue) Set(s string) error {
	n, err := remote.ParseBytes(s)
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("%q: want a size of at least 1 byte", s)
	}
	*v = sizeValue(n)
	return nil
}

func (v *sizeValue) String() string {
	if *v == 0 {
		return ""
	}
	return strconv.FormatInt(int64(*v), 10)
}

func (v *sizeValue) Type() string { return "size" }
