package cli

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/eopack/eopack/files"
)

// packJob is one file or folder named on the command line, checked and titled.
type packJob struct {
	path, title, mediaType string
}

// packAll packs jobs with as many at once as there are CPUs (at most concurrency, when
// that is set): hashing a thousand files, or gzipping several folders, one after another
// would leave all but one core idle before the first byte is sent. The result is in the
// order of jobs; on failure it holds the blobs packed so far (nil for the others, to be
// closed by the caller) and the first error in the order of jobs; once a job has failed, no
// other is started.
func packAll(ctx context.Context, jobs []packJob, o files.PackOptions, concurrency int) ([]*files.Blob, error) {
	workers := runtime.GOMAXPROCS(0)
	if concurrency > 0 && concurrency < workers {
		workers = concurrency
	}
	workers = min(workers, len(jobs))
	out := make([]*files.Blob, len(jobs))
	errs := make([]error, len(jobs))
	next := make(chan int)
	var failed atomic.Bool // once a job fails, the rest are not started
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if failed.Load() {
					continue
				}
				out[i], errs[i] = files.Pack(ctx, jobs[i].path, jobs[i].title, jobs[i].mediaType, o)
				if errs[i] != nil {
					failed.Store(true)
				}
			}
		}()
	}
feed:
	for i := range jobs {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return out, err
		}
	}
	return out, ctx.Err()
}
