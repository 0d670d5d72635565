package files

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// resumeFixture is a blob of a few MiB and a folder to pull it into.
type resumeFixture struct {
	t   *testing.T
	dir string
	b   []byte
	d   ocispec.Descriptor
}

func newResumeFixture(t *testing.T) *resumeFixture {
	b := make([]byte, 3<<20+777)
	for i := range b {
		b[i] = byte(i*31 + i>>11)
	}
	return &resumeFixture{t: t, dir: t.TempDir(), b: b, d: desc("band.tif", b)}
}

// write runs one Writer.Write of src into the folder, as one pull run would.
func (f *resumeFixture) write(src *piecewise) error {
	f.t.Helper()
	w, err := NewWriter(f.dir, false)
	if err != nil {
		f.t.Fatal(err)
	}
	defer w.Close()
	return w.Write(context.Background(), f.d, src)
}

// names lists the folder, sorted.
func (f *resumeFixture) names() []string {
	f.t.Helper()
	es, err := os.ReadDir(f.dir)
	if err != nil {
		f.t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Name())
	}
	return out
}

// interrupt runs a write that breaks after n bytes and checks it left only the hidden
// partial file and its journal.
func (f *resumeFixture) interrupt(n int64) {
	f.t.Helper()
	if err := f.write(&piecewise{b: f.b, failAfter: n}); !errors.Is(err, errBroken) {
		f.t.Fatalf("interrupted write: %v, want %v", err, errBroken)
	}
	if got, want := f.names(), []string{".band.tif.partial", ".band.tif.partial.ranges"}; !slices.Equal(got, want) {
		f.t.Fatalf("after an interrupted write the folder holds %v, want %v", got, want)
	}
}

// landed checks the folder holds band.tif with the blob's bytes, and nothing else.
func (f *resumeFixture) landed() {
	f.t.Helper()
	got, err := os.ReadFile(filepath.Join(f.dir, "band.tif"))
	if err != nil || !bytes.Equal(got, f.b) {
		f.t.Fatalf("band.tif: %d bytes (%v), want the %d of the blob", len(got), err, len(f.b))
	}
	if n := f.names(); len(n) != 1 {
		f.t.Fatalf("folder holds %v, want band.tif alone", n)
	}
}

// fetchesAll runs a write that must ask for the whole blob, as a fresh download does.
func (f *resumeFixture) fetchesAll(why string) {
	f.t.Helper()
	again := &piecewise{b: f.b}
	if err := f.write(again); err != nil {
		f.t.Fatal(err)
	}
	if asked := spanBytes(again.asked); asked != int64(len(f.b)) {
		f.t.Fatalf("%s: asked for %d bytes, want all %d", why, asked, len(f.b))
	}
}

func spanBytes(spans [][2]int64) (n int64) {
	for _, s := range spans {
		n += s[1] - s[0]
	}
	return n
}

func TestResumeFetchesOnlyWhatIsMissing(t *testing.T) {
	f := newResumeFixture(t)
	f.interrupt(int64(len(f.b)) / 2)
	w, err := NewWriter(f.dir, false)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	kept := w.Resumable(f.d)
	if kept <= 0 || kept > int64(len(f.b))/2 {
		t.Fatalf("Resumable says %d bytes after half of %d were written", kept, len(f.b))
	}
	again := &piecewise{b: f.b}
	if err := f.write(again); err != nil {
		t.Fatal(err)
	}
	f.landed()
	asked := spanBytes(again.asked)
	if asked != int64(len(f.b))-kept {
		t.Fatalf("second run asked for %d bytes, want the %d Resumable did not count", asked, int64(len(f.b))-kept)
	}
	if n := w.Resumable(f.d); n != 0 {
		t.Fatalf("Resumable says %d after the file landed", n)
	}
	// The pieces of the first run land in a random order, so about half is missing, in
	// many spans; never the whole blob again.
	if asked == 0 || asked > int64(len(f.b))/2+4<<10 {
		t.Fatalf("second run asked for %d of %d bytes, want at most about half", asked, len(f.b))
	}
	if got := merge(slices.Clone(again.asked)); !slices.Equal(got, again.asked) {
		t.Fatalf("asked for spans %v out of order or overlapping", again.asked)
	}
}

func TestResumeOfACompleteDownloadFetchesNothing(t *testing.T) {
	f := newResumeFixture(t)
	// every byte written and journaled, but the run ends in error before the rename
	if err := f.write(&piecewise{b: f.b, failAtEnd: true}); !errors.Is(err, errBroken) {
		t.Fatalf("write: %v, want %v", err, errBroken)
	}
	again := &piecewise{b: f.b}
	if err := f.write(again); err != nil {
		t.Fatal(err)
	}
	if again.asked != nil {
		t.Fatalf("asked for %v, want nothing", again.asked)
	}
	f.landed()
}

func TestCorruptPartialNeverLands(t *testing.T) {
	f := newResumeFixture(t)
	f.interrupt(int64(len(f.b)) / 2)
	// flip one byte inside a journaled span
	pn := filepath.Join(f.dir, ".band.tif.partial")
	data, err := os.ReadFile(pn)
	if err != nil {
		t.Fatal(err)
	}
	j, err := os.Open(pn + journalExt)
	if err != nil {
		t.Fatal(err)
	}
	have := readJournal(j, f.d, int64(len(data)))
	j.Close()
	if len(have) == 0 {
		t.Fatal("journal records nothing after half the blob was written")
	}
	data[have[0][0]] ^= 0x40
	if err := os.WriteFile(pn, data, 0o644); err != nil {
		t.Fatal(err)
	}
	err = f.write(&piecewise{b: f.b})
	if !errors.Is(err, ErrDigestMismatch) || !strings.Contains(err.Error(), "run again") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("resume over a corrupt partial: %v, want a one-line digest mismatch saying to run again", err)
	}
	if n := f.names(); len(n) != 0 {
		t.Fatalf("folder holds %v after the mismatch, want nothing", n)
	}
	f.fetchesAll("run after the mismatch")
	f.landed()
}

func TestPartialOfAnotherDigestIsDiscarded(t *testing.T) {
	f := newResumeFixture(t)
	f.interrupt(int64(len(f.b)) / 2)
	// the tag moved: same title, other content
	f.b = slices.Clone(f.b)
	f.b[0] ^= 1
	f.d = desc("band.tif", f.b)
	f.fetchesAll("pull of another digest")
	f.landed()
}

func TestTornJournalRecordIsIgnored(t *testing.T) {
	f := newResumeFixture(t)
	f.interrupt(int64(len(f.b)) / 2)
	jn := filepath.Join(f.dir, ".band.tif.partial"+journalExt)
	j, err := os.OpenFile(jn, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	j.Write([]byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x30, 0, 0, 9, 9, 9}) // 19 bytes, bad CRC
	j.Close()
	again := &piecewise{b: f.b}
	if err := f.write(again); err != nil {
		t.Fatal(err)
	}
	if asked := spanBytes(again.asked); asked >= int64(len(f.b)) {
		t.Fatalf("asked for %d bytes: the records before the torn one were lost", asked)
	}
	f.landed()
}

func TestPartialInUseIsLeftAlone(t *testing.T) {
	f := newResumeFixture(t)
	f.interrupt(int64(len(f.b)) / 2)
	pn := filepath.Join(f.dir, ".band.tif.partial")
	before, _ := os.ReadFile(pn)
	// another pull holds it
	held, err := os.OpenFile(pn, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	if !tryLock(held) {
		t.Skip("no advisory locks on this system")
	}
	f.fetchesAll("pull beside a partial in use")
	got, _ := os.ReadFile(filepath.Join(f.dir, "band.tif"))
	after, _ := os.ReadFile(pn)
	if !bytes.Equal(got, f.b) || !bytes.Equal(before, after) {
		t.Fatal("the pull beside a partial in use landed wrong bytes or touched that partial")
	}
}

func TestPresentRemovesALeftoverPartial(t *testing.T) {
	f := newResumeFixture(t)
	f.interrupt(int64(len(f.b)) / 2)
	if err := os.WriteFile(filepath.Join(f.dir, "band.tif"), f.b, 0o644); err != nil {
		t.Fatal(err)
	}
	w, err := NewWriter(f.dir, false)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if ok, err := w.Present(f.d); !ok || err != nil {
		t.Fatalf("Present: %v, %v; want true", ok, err)
	}
	f.landed()
}

// A title in the same pull may be the partial name of another: the file that landed under
// it must not be taken for the download.
func TestPartialNameTakenByAnotherTitle(t *testing.T) {
	f := newResumeFixture(t)
	w, err := NewWriter(f.dir, false)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	other := bytes.Repeat([]byte("x"), len(f.b))
	src := &piecewise{b: f.b, before: func() {
		if err := w.Write(context.Background(), desc(".band.tif.partial", other), bytes.NewReader(other)); err != nil {
			t.Error(err)
		}
	}}
	if err := w.Write(context.Background(), f.d, src); err == nil {
		t.Fatal("Write succeeded although its partial file was replaced under its name")
	}
	if _, err := os.Stat(filepath.Join(f.dir, "band.tif")); err == nil {
		t.Fatal("band.tif landed although its partial file was replaced under its name")
	}
}

func TestGaps(t *testing.T) {
	for _, tc := range []struct {
		have [][2]int64
		want [][2]int64
	}{
		{nil, [][2]int64{{0, 100}}},
		{[][2]int64{{0, 100}}, nil},
		{[][2]int64{{10, 20}, {20, 30}, {50, 100}}, [][2]int64{{0, 10}, {30, 50}}},
		{[][2]int64{{0, 40}}, [][2]int64{{40, 100}}},
	} {
		if got := gaps(tc.have, 100); !slices.Equal(got, tc.want) {
			t.Errorf("gaps(%v) = %v, want %v", tc.have, got, tc.want)
		}
	}
}
