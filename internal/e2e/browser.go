package e2e

import (
	"bytes"
	"context"
	"fmt"
	"image"
	_ "image/png" // decodes the screenshots CheckPage checks
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// Browser is one person's headless Chromium: a fresh profile (its own
// cookies), driven through the DevTools protocol. Its methods fail the test
// on error; on any failure of the test it saves a screenshot and the page's
// HTML and prints where.
type Browser struct {
	t   testing.TB
	ctx context.Context
}

// stepTimeout bounds one step (a navigation, a click and its page load).
const stepTimeout = 45 * time.Second

// chromiumFlags are the flags a headless Chromium needs as root in a
// container, and the ones that stop it from reaching out to the network
// (the machine has none beyond loopback).
var chromiumFlags = []chromedp.ExecAllocatorOption{
	chromedp.Headless,
	chromedp.NoSandbox,
	chromedp.DisableGPU,
	chromedp.NoFirstRun,
	chromedp.NoDefaultBrowserCheck,
	chromedp.Flag("disable-dev-shm-usage", true),
	chromedp.Flag("disable-quic", true),
	chromedp.Flag("disable-background-networking", true),
	chromedp.Flag("disable-component-update", true),
	chromedp.Flag("disable-sync", true),
	chromedp.Flag("disable-extensions", true),
	chromedp.Flag("disable-default-apps", true),
	chromedp.Flag("disable-features", "Translate,OptimizationHints,MediaRouter"),
	chromedp.Flag("metrics-recording-only", true),
	chromedp.Flag("password-store", "basic"),
	chromedp.WindowSize(1200, 900),
}

// NewBrowser starts Chromium for t (skipping or failing, see Need, when it
// is missing) and stops it when t ends. Each browser gets a fresh temporary
// profile, removed when it stops.
//
// The browser trusts the run's test certificate (TestPKI) and no other
// untrusted one: --ignore-certificate-errors-spki-list names the leaf's
// key, so any other certificate the system does not trust still fails, as
// TestBrowserTrustsOnlyTheTestCertificate checks. Chromium honours that
// flag only together with --user-data-dir (services/network: "no effect
// unless --user-data-dir ... is also present"); chromedp passes one, the
// fresh profile, and the flag works in headless mode with it.
func NewBrowser(t testing.TB) *Browser {
	t.Helper()
	path, err := ChromiumPath()
	Need(t, "Chromium", err)
	opts := append([]chromedp.ExecAllocatorOption{chromedp.ExecPath(path)}, chromiumFlags...)
	opts = append(opts, chromedp.Flag("ignore-certificate-errors-spki-list", TestPKI(t).SPKIHash))
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx, chromedp.WithLogf(t.Logf))
	t.Cleanup(func() {
		cancelCtx()
		cancelAlloc()
	})
	// Start the browser on the long-lived context: a first action under a
	// step's time-out would tie the browser's life to that time-out.
	startCtx, cancel := context.WithTimeout(context.Background(), stepTimeout)
	defer cancel()
	started := make(chan error, 1)
	go func() { started <- chromedp.Do(ctx) }()
	select {
	case err = <-started:
	case <-startCtx.Done():
		err = startCtx.Err()
	}
	if err != nil {
		t.Fatalf("start chromium %s: %v", path, err)
	}
	b := &Browser{t: t, ctx: ctx}
	// Registered after the cancel above, so it runs first, while the page
	// is still there.
	t.Cleanup(func() {
		if t.Failed() {
			b.saveEvidence()
		}
	})
	return b
}

// Navigate loads url, following redirects, and returns the final response.
func (b *Browser) Navigate(url string) *network.Response {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(url))
	if err != nil {
		b.t.Fatalf("navigate to %s: %v", redact(url), err)
	}
	return resp
}

// TryNavigate is Navigate for a page that may fail to load (a certificate
// the browser must refuse): it returns the error instead of failing t.
func (b *Browser) TryNavigate(url string) (*network.Response, error) {
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	return chromedp.Run(ctx, chromedp.NavigateResponse(url))
}

// ClickAndWait clicks the element with the given id and waits for the page
// it leads to, returning that page's final response.
func (b *Browser) ClickAndWait(id string) *network.Response {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.ID(id), chromedp.NodeVisible))
	if err != nil {
		b.t.Fatalf("click #%s on %s: %v", id, redact(b.Location()), err)
	}
	return resp
}

// ClickLink clicks the link with the given text (an exact match of its
// visible text) and waits for the page it leads to.
func (b *Browser) ClickLink(text string) *network.Response {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	xpath := fmt.Sprintf(`//a[normalize-space(.)=%q]`, text)
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(xpath, chromedp.NodeVisible))
	if err != nil {
		b.t.Fatalf("click the link %q on %s: %v", text, redact(b.Location()), err)
	}
	return resp
}

// Fill sets the value of the form field with the given id.
func (b *Browser) Fill(id, value string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.SetValue(chromedp.ID(id), value, chromedp.NodeVisible)); err != nil {
		b.t.Fatalf("fill #%s on %s: %v", id, redact(b.Location()), err)
	}
}

// Click clicks the element with the given id when it leads nowhere (a
// checkbox); ClickAndWait is for links and buttons.
func (b *Browser) Click(id string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID(id), chromedp.NodeVisible)); err != nil {
		b.t.Fatalf("click #%s on %s: %v", id, redact(b.Location()), err)
	}
}

// Text is the visible text of the element with the given id, waiting for it
// to appear.
func (b *Browser) Text(id string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID(id), chromedp.NodeVisible))
	if err != nil {
		b.t.Fatalf("read #%s on %s: %v", id, redact(b.Location()), err)
	}
	return s
}

// Value is the value of the form field with the given id.
func (b *Browser) Value(id string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Value(chromedp.ID(id), chromedp.NodeVisible))
	if err != nil {
		b.t.Fatalf("read the value of #%s on %s: %v", id, redact(b.Location()), err)
	}
	return s
}

// Attribute is an attribute of the element with the given id.
func (b *Browser) Attribute(id, name string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	attrs, err := chromedp.Run(ctx, chromedp.Attributes(chromedp.ID(id)))
	if err != nil {
		b.t.Fatalf("read #%s's attributes on %s: %v", id, redact(b.Location()), err)
	}
	return attrs[name]
}

// Body is the page's visible text.
func (b *Browser) Body() string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("body"), chromedp.NodeReady))
	if err != nil {
		b.t.Fatalf("read the page on %s: %v", redact(b.Location()), err)
	}
	return s
}

// Count is the number of elements the CSS selector matches on the current
// page, without waiting for any to appear.
func (b *Browser) Count(css string) int {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	n, err := chromedp.Run(ctx, chromedp.Evaluate[int](fmt.Sprintf("document.querySelectorAll(%q).length", css)))
	if err != nil {
		b.t.Fatalf("count %s on %s: %v", css, redact(b.Location()), err)
	}
	return n
}

// Cookies are the cookies in the browser's jar that it would send to u,
// with their attributes as the browser stored them.
func (b *Browser) Cookies(u string) []*network.Cookie {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	res, err := chromedp.Run(ctx, func(ctx context.Context, t *chromedp.Target) (network.GetCookiesResult, error) {
		return cdp.Call(ctx, t, network.GetCookies, network.GetCookiesParams{URLs: []string{u}})
	})
	if err != nil {
		b.t.Fatalf("read the cookies for %s: %v", redact(u), err)
	}
	return res.Cookies
}

// Location is the current URL ("" if it cannot be read).
func (b *Browser) Location() string {
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	return loc
}

// ScreenshotsEnv names a folder for the page screenshots the browser tests
// take (CheckPage): set, each is written there as NAME.png. The README's
// docs/screenshots are made this way.
const ScreenshotsEnv = "SECDS_SCREENSHOTS_DIR"

// Shot sizes: the width pages are laid out at, and the least height.
const shotWidth, shotHeight = 1000, 700

// CheckPage is what every page a person sees goes through: its visible text
// must hold each of want, its full-page screenshot (laid out 1000 pixels
// wide) must be a PNG of that width, and it must pass the accessibility
// audit (Audit). name names the page in failures and the screenshot's file.
func (b *Browser) CheckPage(name string, want ...string) {
	b.t.Helper()
	body := b.Body()
	for _, w := range want {
		if !strings.Contains(body, w) {
			b.t.Errorf("page %s (%s) lacks %q:\n%s", name, redact(b.Location()), w, body)
		}
	}
	b.NoSidewaysScroll(name, narrowWidth)
	b.Screenshot(name)
	b.Audit(name)
}

// narrowWidth is a phone's width in CSS pixels.
const narrowWidth = 360

// NoSidewaysScroll fails the test when the current page, laid out width
// pixels wide, is wider than that: a person on a phone would scroll
// sideways to read it (WCAG 1.4.10, reflow).
func (b *Browser) NoSidewaysScroll(name string, width int64) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, shotHeight)); err != nil {
		b.t.Fatalf("size the page %s: %v", name, err)
	}
	wide, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
	if err != nil {
		b.t.Fatalf("measure the page %s: %v", name, err)
	}
	if wide > int(width) {
		b.t.Errorf("page %s (%s) is %d pixels wide on a %d-pixel screen: it scrolls sideways", name, redact(b.Location()), wide, width)
	}
}

// Screenshot takes a full-page PNG of the current page laid out 1000
// pixels wide, checks it, and writes it to $SECDS_SCREENSHOTS_DIR/name.png
// when that is set.
func (b *Browser) Screenshot(name string) []byte {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(shotWidth, shotHeight)); err != nil {
		b.t.Fatalf("size the page %s: %v", name, err)
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("screenshot of %s: %v", name, err)
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(png))
	if err != nil || format != "png" || cfg.Width != shotWidth || cfg.Height < shotHeight {
		b.t.Fatalf("screenshot of %s: %s %dx%d (%v), want a PNG %d wide and at least %d high", name, format, cfg.Width, cfg.Height, err, shotWidth, shotHeight)
	}
	if dir := os.Getenv(ScreenshotsEnv); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			b.t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, safeName(name)+".png"), png, 0o644); err != nil {
			b.t.Fatal(err)
		}
	}
	return png
}

// saveEvidence writes a screenshot and the HTML of the current page next to
// each other in a folder that outlives the test (t.TempDir is removed when
// the test ends), and prints the paths.
func (b *Browser) saveEvidence() {
	dir := os.Getenv("SECDS_E2E_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "secds-e2e")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		b.t.Logf("cannot save a screenshot: %v", err)
		return
	}
	base := filepath.Join(dir, fmt.Sprintf("%s-%s", safeName(b.t.Name()), time.Now().Format("150405.000")))
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	if png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err != nil {
		b.t.Logf("cannot take a screenshot: %v", err)
	} else if err := os.WriteFile(base+".png", png, 0o600); err != nil {
		b.t.Logf("cannot save a screenshot: %v", err)
	} else {
		b.t.Logf("screenshot of the failing page: %s", base+".png")
	}
	if html, err := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("html"), chromedp.NodeReady)); err == nil {
		if os.WriteFile(base+".html", []byte(html), 0o600) == nil {
			b.t.Logf("its HTML: %s (at %s)", base+".html", redact(b.Location()))
		}
	}
}

var unsafeChars = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

func safeName(s string) string { return unsafeChars.ReplaceAllString(s, "_") }

var secretParams = regexp.MustCompile(`(?i)(authToken|code|state|login_challenge|consent_challenge|login_verifier|consent_verifier)=[^&]*`)

// redact keeps bearer values (presigned tokens, codes, challenges) out of
// test output.
func redact(u string) string { return secretParams.ReplaceAllString(u, "$1=…") }
