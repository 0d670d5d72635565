package testpeer

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
)

// Browser is a headless Debian chromium driven by chromedp for one test.
type Browser struct {
	Ctx context.Context // the tab: pass it to chromedp.Run (or use b.Run)
	Dir string          // where screenshots go: $EOPACK_ARTIFACTS/TEST when set, else a temp folder
	// Downloads is the folder downloads land in (named by their GUID, see chromedp's
	// browser.SetDownloadBehavior with WithDownloadPath).
	Downloads string

	t      testing.TB
	mu     sync.Mutex
	errors []string
}

// chromiumFlags are the flags headless chromium needs here: no sandbox (root in a
// container), no GPU, and no background traffic to Google services.
var chromiumFlags = []chromedp.ExecAllocatorOption{
	chromedp.Flag("headless", true),
	chromedp.Flag("no-sandbox", true),
	chromedp.Flag("disable-gpu", true),
	chromedp.Flag("disable-quic", true),
	chromedp.Flag("no-first-run", true),
	chromedp.Flag("disable-background-networking", true),
	chromedp.Flag("disable-component-update", true),
	chromedp.Flag("disable-sync", true),
	chromedp.Flag("disable-dev-shm-usage", true),
	chromedp.WindowSize(1366, 800),
}

// Chromium starts Debian's chromium headless with a fresh profile and returns a tab. The
// browser is closed when the test ends; JavaScript exceptions and console errors of the page
// are logged and kept (b.PageErrors); downloads are allowed into b.Downloads. Chromium is
// installed by scripts/install-peers.sh; a missing one fails the test.
func Chromium(t testing.TB) *Browser {
	t.Helper()
	bin, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatal("chromium not installed: run scripts/install-peers.sh (it installs Debian's chromium)")
	}
	b := &Browser{t: t, Dir: artifactsDir(t), Downloads: t.TempDir()}
	opts := append([]chromedp.ExecAllocatorOption{
		chromedp.ExecPath(bin),
		chromedp.UserDataDir(t.TempDir()),
	}, chromiumFlags...)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil { // starts the browser; no timeout on this first call
		t.Fatalf("starting chromium: %v", err)
	}
	on := true
	if _, err := chromedp.CallBrowser(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: b.Downloads, EventsEnabled: &on,
	}); err != nil {
		t.Fatalf("chromium downloads: %v", err)
	}
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.Type == chromedp.ConsoleException {
				b.pageError(fmt.Sprintf("%s: %s (%s:%d)", m.Type, m.Text, m.URL, m.Line+1))
			}
		}
	}()
	b.Ctx = ctx
	return b
}

func (b *Browser) pageError(s string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.errors = append(b.errors, s)
	b.t.Log("page: " + s)
}

// PageErrors returns the JavaScript exceptions and console errors seen so far.
func (b *Browser) PageErrors() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.errors...)
}

// Do runs chromedp actions in the tab with a one-minute limit, failing the test on error
// (after saving a screenshot named "failure").
func (b *Browser) Do(actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.Ctx, time.Minute)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.Screenshot("failure")
		b.t.Fatalf("browser: %v", err)
	}
}

// Eval evaluates a JavaScript expression in the page (awaiting a promise) and decodes its
// value into T, failing the test on error.
func Eval[T any](b *Browser, expr string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.Ctx, time.Minute)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		b.Screenshot("failure")
		b.t.Fatalf("browser: evaluating %s: %v", expr, err)
	}
	return v
}

// WaitFor waits up to a minute until the JavaScript expression is truthy, failing the test
// (with a screenshot named "failure") when it never is.
func (b *Browser) WaitFor(expr string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.Ctx, 70*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool]("!!("+expr+")", chromedp.WithPollingTimeout(time.Minute), chromedp.WithPollingInterval(50*time.Millisecond))); err != nil {
		b.Screenshot("failure")
		b.t.Fatalf("browser: waiting for %s: %v", expr, err)
	}
}

// Download runs trigger (a click on a link, say) and waits for the download it starts to
// complete, returning the downloaded file's path.
func (b *Browser) Download(trigger chromedp.Action[chromedp.Void]) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.Ctx, time.Minute)
	defer cancel()
	events := chromedp.BrowserEvents(ctx, browser.DownloadProgress)
	if err := chromedp.Do(ctx, trigger); err != nil {
		b.t.Fatalf("browser: %v", err)
	}
	for ev, err := range events {
		if err != nil {
			b.t.Fatalf("browser: waiting for a download: %v", err)
		}
		switch ev.State {
		case browser.DownloadProgressStateCompleted:
			return filepath.Join(b.Downloads, ev.GUID)
		case browser.DownloadProgressStateCanceled:
			b.t.Fatalf("browser: download %s canceled", ev.GUID)
		}
	}
	b.t.Fatal("browser: no download")
	return ""
}

// Screenshot saves a PNG of the whole page as DIR/NAME.png and returns its path.
func (b *Browser) Screenshot(name string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.Ctx, 30*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
		return ""
	}
	p := filepath.Join(b.Dir, name+".png")
	if err := os.WriteFile(p, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("screenshot: %s", p)
	return p
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// artifactsDir is $EOPACK_ARTIFACTS/<test name> when EOPACK_ARTIFACTS is set (kept after the
// run), else a temporary folder.
func artifactsDir(t testing.TB) string {
	root := os.Getenv("EOPACK_ARTIFACTS")
	if root == "" {
		return t.TempDir()
	}
	d := filepath.Join(root, unsafeName.ReplaceAllString(t.Name(), "_"))
	if err := os.MkdirAll(d, 0o755); err != nil {
		t.Fatal(fmt.Errorf("artifacts: %w", err))
	}
	return d
}
