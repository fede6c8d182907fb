package e2e

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/secds/secds/cmd/secds/cli"
)

// cliUser is someone running the real secds CLI (in process) on a laptop
// with no OS keyring (tokens go to the 0600 file, as on a server without
// D-Bus). Its browser opener hands the URL to the test, which opens it in
// Chromium, as the user's desktop would.
type cliUser struct {
	t      *testing.T
	home   string
	opened chan string
}

type cliResult struct {
	code           int
	stdout, stderr string
}

func newCLIUser(t *testing.T) *cliUser {
	return &cliUser{t: t, home: t.TempDir(), opened: make(chan string, 8)}
}

// start runs secds with args in the background; stdin may be nil.
func (c *cliUser) start(stdin io.Reader, stderr *lockedBuffer, args ...string) <-chan cliResult {
	if stdin == nil {
		stdin = strings.NewReader("")
	}
	if stderr == nil {
		stderr = &lockedBuffer{}
	}
	vars := map[string]string{
		"HOME":            c.home,
		"XDG_CONFIG_HOME": filepath.Join(c.home, "config"),
		"XDG_CACHE_HOME":  filepath.Join(c.home, "cache"),
		"PATH":            os.Getenv("PATH"),
	}
	stdout := &lockedBuffer{}
	env := cli.Env{
		Stdin:        stdin,
		Stdout:       stdout,
		Stderr:       stderr,
		Getenv:       func(k string) string { return vars[k] },
		OpenBrowser:  func(u string) error { c.opened <- u; return nil },
		Keyring:      noKeyring{},
		Interactive:  func() bool { return false },
		LoginTimeout: time.Minute,
	}
	done := make(chan cliResult, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		code := cli.Run(ctx, args, env)
		done <- cliResult{code: code, stdout: stdout.String(), stderr: stderr.String()}
	}()
	return done
}

// run runs secds with args and waits for it.
func (c *cliUser) run(args ...string) cliResult {
	c.t.Helper()
	select {
	case r := <-c.start(nil, nil, args...):
		return r
	case <-time.After(2 * time.Minute):
		c.t.Fatalf("secds %s did not finish", strings.Join(args, " "))
		return cliResult{}
	}
}

func (c *cliUser) mustRun(args ...string) cliResult {
	c.t.Helper()
	r := c.run(args...)
	if r.code != 0 {
		c.t.Fatalf("secds %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, r.stdout, redact(r.stderr))
	}
	return r
}

// browserAsked is the URL the CLI asked the browser to open.
func (c *cliUser) browserAsked() string {
	c.t.Helper()
	select {
	case u := <-c.opened:
		return u
	case <-time.After(30 * time.Second):
		c.t.Fatal("secds did not ask for a browser")
		return ""
	}
}

type noKeyring struct{}

var errNoKeyring = errors.New("no OS keyring here")

func (noKeyring) Get(string, string) (string, error) { return "", errNoKeyring }
func (noKeyring) Set(string, string, string) error   { return errNoKeyring }
func (noKeyring) Delete(string, string) error        { return errNoKeyring }

// TestCLILoginAndOpenInTheBrowser: secds configure, then secds login opens
// the browser, which signs in at the provider through the same login page
// and comes back to the CLI on 127.0.0.1; secds open then yields working
// notebook URLs. The token one replica issued works on the other.
func TestCLILoginAndOpenInTheBrowser(t *testing.T) {
	st := StartStack(t, StackOptions{Provider: sharedProvider(t)})
	b := NewBrowser(t)
	c := newCLIUser(t)
	c.mustRun(st.ConfigureArgs(t)...)

	done := c.start(nil, nil, "login")
	link := c.browserAsked()
	if !strings.HasPrefix(link, st.URL+"/cli/login?") {
		t.Fatalf("secds login opened %s, want the broker's /cli/login", redact(link))
	}
	b.Navigate(link)
	if loc := b.Location(); !strings.HasPrefix(loc, st.Provider.Login.URL+"/login?") {
		t.Fatalf("the CLI's login link landed on %s, want the provider's login page", redact(loc))
	}
	if status := b.ClickAndWait("login-alice").Status; status != http.StatusOK {
		t.Errorf("the CLI confirmation page: status %d", status)
	}
	// Signed in, the broker asks before it hands this computer a code.
	if title := b.Text("cli-confirm-title"); !strings.Contains(title, "on this computer as alice?") {
		t.Fatalf("the confirmation page asks %q", title)
	}
	if loc := b.Location(); !strings.HasPrefix(loc, st.URL+"/cli/login?") {
		t.Fatalf("after the sign-in the browser is on %s, want the broker's confirmation page", redact(loc))
	}
	if status := b.ClickAndWait("cli-confirm-allow").Status; status != http.StatusOK {
		t.Errorf("the CLI's callback page: status %d", status)
	}
	if loc := b.Location(); !strings.HasPrefix(loc, "http://127.0.0.1:") || !strings.Contains(loc, "/callback") || strings.HasPrefix(loc, st.URL) {
		t.Errorf("the browser ended on %s, want the CLI's loopback callback", redact(loc))
	}
	r := <-done
	if r.code != 0 || !strings.Contains(r.stderr, "as alice") {
		t.Fatalf("secds login: exit %d\n%s", r.code, redact(r.stderr))
	}
	wantBrokerCookies(t, st, b)

	t.Run("open --print-url", func(t *testing.T) {
		out := c.mustRun("open", "fraud-alice", "--print-url")
		u := strings.TrimSpace(out.stdout)
		if !strings.Contains(u, "/notebooks/fraud-alice") {
			t.Fatalf("secds open --print-url printed %q", redact(u))
		}
		if resp := b.Navigate(u); resp.Status != http.StatusOK {
			t.Fatalf("the printed URL: status %d", resp.Status)
		}
		wantNotebookPage(t, b, "fraud-alice", "alice", "fraud")
	})
	t.Run("open in the browser", func(t *testing.T) {
		done := c.start(nil, nil, "open", "fraud-alice-scratch")
		// The browser is handed a one-shot loopback link, never the
		// presigned URL (a browser's argv is public on the machine).
		link := c.browserAsked()
		if !strings.HasPrefix(link, "http://127.0.0.1:") || strings.Contains(link, "fraud-alice-scratch") {
			t.Fatalf("secds open gave the browser %s, want a loopback link", redact(link))
		}
		if resp := b.Navigate(link); resp.Status != http.StatusOK {
			t.Fatalf("the opened URL: status %d", resp.Status)
		}
		wantNotebookPage(t, b, "fraud-alice-scratch", "alice", "fraud")
		if r := <-done; r.code != 0 || !strings.Contains(r.stderr, "Opened notebook fraud-alice-scratch") {
			t.Fatalf("secds open: exit %d\n%s", r.code, redact(r.stderr))
		}
	})
	t.Run("the token works on the other replica", func(t *testing.T) {
		issuer, others := -1, 0
		for _, h := range st.Proxy.Hops() {
			switch {
			case h.Path == "/api/v1/cli/token" && h.Status == http.StatusOK:
				issuer = h.Backend
			case h.Path == "/api/v1/open" && h.Status == http.StatusOK && issuer >= 0 && h.Backend != issuer:
				others++
			}
		}
		if issuer < 0 || others == 0 {
			t.Errorf("no open with the token on a replica other than its issuer (%d): %+v", issuer, st.Proxy.Hops())
		}
	})
	if ev := lastAudit(t, st, "open", "alice"); ev["via"] == "browser" || ev["decision"] != "granted" {
		t.Errorf("the CLI's open event = %v, want a grant not via the browser", ev)
	}
}

var cliLoginLink = regexp.MustCompile(`https?://\S+/cli/login\?\S+`)

// TestCLIPasteModeLogin: over SSH there is no browser next to the CLI.
// secds login --no-browser prints a link; the person opens it in a browser
// elsewhere, signs in, and pastes the code the broker's page shows.
func TestCLIPasteModeLogin(t *testing.T) {
	st := StartStack(t, StackOptions{Provider: sharedProvider(t)})
	b := NewBrowser(t)
	c := newCLIUser(t)
	c.mustRun(st.ConfigureArgs(t)...)

	stdin, typed := io.Pipe()
	defer typed.Close()
	stderr := &lockedBuffer{}
	done := c.start(stdin, stderr, "login", "--no-browser")
	var link string
	for deadline := time.Now().Add(30 * time.Second); link == "" && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		link = cliLoginLink.FindString(stderr.String())
	}
	if link == "" {
		t.Fatalf("secds login --no-browser printed no link:\n%s", stderr.String())
	}
	b.Navigate(link)
	if status := b.ClickAndWait("login-bob").Status; status != http.StatusOK {
		t.Fatalf("the confirmation page: status %d", status)
	}
	if title := b.Text("cli-confirm-title"); !strings.Contains(title, "as bob?") {
		t.Fatalf("the confirmation page asks %q", title)
	}
	if status := b.ClickAndWait("cli-confirm-allow").Status; status != http.StatusOK {
		t.Fatalf("the code page: status %d", status)
	}
	code := strings.TrimSpace(b.Value("cli-code"))
	if code == "" {
		t.Fatal("the broker's page shows no code")
	}
	if _, err := io.WriteString(typed, code+"\n"); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.code != 0 || !strings.Contains(r.stderr, "as bob") {
		t.Fatalf("secds login --no-browser: exit %d\n%s", r.code, redact(r.stderr))
	}
	wantBrokerCookies(t, st, b)
	u := strings.TrimSpace(c.mustRun("open", "marketing-bob", "--print-url").stdout)
	if resp := b.Navigate(u); resp.Status != http.StatusOK {
		t.Fatalf("the printed URL: status %d", resp.Status)
	}
	wantNotebookPage(t, b, "marketing-bob", "bob", "marketing")
}
