package devstack_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/secds/secds/cmd/secds/cli"
	"github.com/secds/secds/internal/dev/awsemu"
	"github.com/secds/secds/internal/dev/devstack"
	"github.com/secds/secds/internal/testutil"
)

// cliEnv is the dev stack, one person's laptop (config and cache
// directories, a movable clock) and their browser, scripted: when the CLI
// "opens the browser", the browser follows the URL like a person would,
// signing in at the dev identity provider as browserUser.
type cliEnv struct {
	t           *testing.T
	st          *devstack.Stack
	cancel      context.CancelFunc
	logs, audit *testutil.Buffer
	output      *testutil.Buffer // everything the CLI printed
	home        string           // XDG_CONFIG_HOME and XDG_CACHE_HOME live below
	browserUser string
	browser     *http.Client
	keyring     cli.Keyring // nil: the OS keyring (the mock, where a test sets it)

	mu       sync.Mutex
	now      time.Time
	opened   []string // URLs the CLI asked the browser to open
	lastPage string   // the body of the last page the browser ended on
	secrets  map[string]string
}

// noKeyring is a machine without an OS keyring, like this one (no D-Bus):
// every call fails, so the CLI falls back to its token file.
type noKeyring struct{}

func (noKeyring) Get(string, string) (string, error) { return "", errors.New("no keyring here") }
func (noKeyring) Set(string, string, string) error   { return errors.New("no keyring here") }
func (noKeyring) Delete(string, string) error        { return errors.New("no keyring here") }

func startCLI(t *testing.T, user string) *cliEnv {
	t.Helper()
	return startCLIWith(t, user, devstack.Options{})
}

// startCLIWith is startCLI on a stack with opts (its own users, mapping).
func startCLIWith(t *testing.T, user string, opts devstack.Options) *cliEnv {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	logs, auditOut := &testutil.Buffer{}, &testutil.Buffer{}
	opts.Addr, opts.AuditOut = "127.0.0.1:0", auditOut
	opts.Log = slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	st, err := devstack.Start(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	c := &cliEnv{
		t: t, st: st, cancel: cancel, logs: logs, audit: auditOut, output: &testutil.Buffer{}, home: t.TempDir(), browserUser: user, keyring: noKeyring{},
		browser: &http.Client{Jar: jar, Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
		now:     time.Now(),
		secrets: map[string]string{"client secret": st.ClientSecret},
	}
	t.Cleanup(c.checkNoLeaks)
	return c
}

func (c *cliEnv) clock() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *cliEnv) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func (c *cliEnv) secret(name, v string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.secrets[name] = v
}

func (c *cliEnv) openedCount() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.opened)
}

// cliEnvOf is the Env a test run of the CLI gets.
func (c *cliEnv) cliEnvOf(stdin io.Reader, stdout, stderr io.Writer, interactive bool) cli.Env {
	return cli.Env{
		Stdin: stdin, Stdout: stdout, Stderr: stderr,
		Getenv: func(k string) string {
			switch k {
			case "XDG_CONFIG_HOME":
				return filepath.Join(c.home, "config")
			case "XDG_CACHE_HOME":
				return filepath.Join(c.home, "cache")
			case "HOME":
				return c.home
			}
			return ""
		},
		Now:          c.clock,
		OpenBrowser:  c.openInBrowser,
		Keyring:      c.keyring,
		Interactive:  func() bool { return interactive },
		LoginTimeout: 20 * time.Second,
	}
}

type result struct {
	code           int
	stdout, stderr string
}

// run runs the CLI in-process, as `secds args...`, without a terminal.
func (c *cliEnv) run(args ...string) result {
	return c.runIn("", false, args...)
}

func (c *cliEnv) runIn(stdin string, interactive bool, args ...string) result {
	var out, errb bytes.Buffer
	code := cli.Run(context.Background(), args, c.cliEnvOf(strings.NewReader(stdin), &out, &errb, interactive))
	fmt.Fprintf(c.output, "%s%s", out.String(), errb.String())
	return result{code, out.String(), errb.String()}
}

func (r result) want(t *testing.T, code int, parts ...string) {
	t.Helper()
	if r.code != code {
		t.Fatalf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, code, r.stdout, r.stderr)
	}
	for _, p := range parts {
		if !strings.Contains(r.stdout+r.stderr, p) {
			t.Errorf("output lacks %q\nstdout:\n%s\nstderr:\n%s", p, r.stdout, r.stderr)
		}
	}
}

// openInBrowser is the CLI's browser: it follows url to the end.
func (c *cliEnv) openInBrowser(u string) error {
	c.mu.Lock()
	c.opened = append(c.opened, u)
	c.mu.Unlock()
	body, _, err := c.follow(u)
	c.mu.Lock()
	c.lastPage = body
	c.mu.Unlock()
	return err
}

var cliCodeRE = regexp.MustCompile(`id="cli-code"[^>]*>([^<]+)<`)

// follow is the scripted browser: it follows redirects, signs in at the
// identity provider's login page, and returns the final page. It returns
// errors rather than failing the test, because the CLI calls it from its
// own goroutines.
func (c *cliEnv) follow(start string) (string, int, error) {
	next, method, form := start, http.MethodGet, url.Values(nil)
	for range 15 {
		var resp *http.Response
		var err error
		if method == http.MethodPost {
			resp, err = c.postForm(next, form)
		} else {
			resp, err = c.browser.Get(next)
		}
		if err != nil {
			return "", 0, fmt.Errorf("%s %s: %w", method, next, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if loc := resp.Header.Get("Location"); strings.Contains(loc, "code=") {
			l, _ := url.Parse(loc)
			c.secret("code in "+l.Host, l.Query().Get("code"))
		}
		switch {
		case resp.StatusCode >= 300 && resp.StatusCode < 400:
			loc, err := resp.Request.URL.Parse(resp.Header.Get("Location"))
			if err != nil {
				return "", 0, err
			}
			next, method = loc.String(), http.MethodGet
		case strings.HasPrefix(next, c.st.IdPURL) && strings.Contains(string(body), `id="login-`+c.browserUser+`"`):
			action, req := formActionRE.FindStringSubmatch(string(body)), reqIDRE.FindStringSubmatch(string(body))
			if action == nil || req == nil {
				return "", 0, fmt.Errorf("login page without a form: %s", body)
			}
			a, _ := resp.Request.URL.Parse(html.UnescapeString(action[1]))
			next, method, form = a.String(), http.MethodPost, url.Values{"req": {html.UnescapeString(req[1])}, "username": {c.browserUser}}
		case strings.HasPrefix(next, c.st.BrokerURL+"/cli/login") && strings.Contains(string(body), `id="cli-confirm"`):
			// The person reads "Sign in the secds CLI on this computer as
			// alice?" and clicks the button.
			if !strings.Contains(string(body), "as "+c.browserUser+"?") {
				return string(body), resp.StatusCode, fmt.Errorf("the confirmation page does not name %s:\n%s", c.browserUser, body)
			}
			next, method, form = c.st.BrokerURL+"/cli/login", http.MethodPost, hiddenFields(string(body))
			form.Set("decision", "allow")
		default:
			if m := cliCodeRE.FindStringSubmatch(string(body)); m != nil {
				c.secret("pasted code", html.UnescapeString(m[1]))
			}
			if resp.StatusCode != http.StatusOK {
				return string(body), resp.StatusCode, fmt.Errorf("%s ended on %d", next, resp.StatusCode)
			}
			return string(body), resp.StatusCode, nil
		}
	}
	return "", 0, fmt.Errorf("too many redirects from %s", start)
}

var hiddenRE = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)

// hiddenFields are a page's hidden form fields, as a browser would post them.
func hiddenFields(page string) url.Values {
	f := url.Values{}
	for _, m := range hiddenRE.FindAllStringSubmatch(page, -1) {
		f.Set(html.UnescapeString(m[1]), html.UnescapeString(m[2]))
	}
	return f
}

// postForm posts a form as a browser does from a page of the same site:
// with Fetch Metadata, and with the page's origin (the broker's, or the
// identity provider's).
func (c *cliEnv) postForm(target string, form url.Values) (*http.Response, error) {
	req, err := http.NewRequest(http.MethodPost, target, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	u, _ := url.Parse(target)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", u.Scheme+"://"+u.Host)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return c.browser.Do(req)
}

func (c *cliEnv) tokenFile(profile string) string {
	return filepath.Join(c.home, "cache", "secds", "tokens", profile+".json")
}

// storedToken reads the token the CLI keeps in its file, and registers it
// as a secret that must not reach a log.
func (c *cliEnv) storedToken(profile string) string {
	c.t.Helper()
	data, err := os.ReadFile(c.tokenFile(profile))
	if err != nil {
		c.t.Fatalf("token file: %v", err)
	}
	m := regexp.MustCompile(`"token":"([^"]+)"`).FindSubmatch(data)
	if m == nil {
		c.t.Fatalf("no token in the token file")
	}
	c.secret("broker token", string(m[1]))
	return string(m[1])
}

// checkNoLeaks fails the test if a secret seen on the wire appears in the
// broker's logs or audit trail, or in what the CLI printed (the CLI prints
// notebook URLs, where asked, but never a code or a token).
func (c *cliEnv) checkNoLeaks() {
	c.mu.Lock()
	defer c.mu.Unlock()
	logs := c.logs.String() + c.audit.String()
	if strings.Contains(logs, "authToken") {
		c.t.Errorf("a presigned URL reached the logs")
	}
	for what, v := range c.secrets {
		if len(v) < 8 {
			continue
		}
		if strings.Contains(logs, v) {
			c.t.Errorf("%s appears in the logs or audit trail", what)
		}
		if strings.Contains(c.output.String(), v) {
			c.t.Errorf("the CLI printed the %s", what)
		}
	}
}

func (c *cliEnv) configure() {
	c.t.Helper()
	c.run("configure", "--broker", c.st.BrokerURL).want(c.t, 0, "Next: secds login")
}

// notebookPage fetches a presigned URL with a fresh client, as another
// browser would.
func notebookPage(t *testing.T, u string) string {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET the notebook URL: %d %s", resp.StatusCode, body)
	}
	return string(body)
}

func TestCLIFromConfigureToLogout(t *testing.T) {
	c := startCLI(t, "alice")
	c.run("whoami").want(t, cli.ExitUsage, "no broker is configured", "secds configure --broker")
	c.configure()
	c.run("whoami").want(t, cli.ExitAuth, "not logged in", "Run: secds login")

	c.run("login").want(t, 0, "Logged in to "+c.st.BrokerURL+" as alice", "readable only by you")
	if c.openedCount() != 1 || !strings.HasPrefix(c.opened[0], c.st.BrokerURL+"/cli/login?") || !strings.Contains(c.lastPage, "Signed in") {
		t.Fatalf("the browser opened %v and ended on:\n%s", c.opened, c.lastPage)
	}
	fi, err := os.Stat(c.tokenFile("default"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("token file mode %v, want 0600", fi.Mode().Perm())
	}
	tok := c.storedToken("default")
	var login map[string]any
	for _, ev := range (&env{t: t, audit: c.audit}).auditEvents() {
		if ev["type"] == "login" && ev["via"] == "api" && ev["decision"] == "granted" {
			login = ev
		}
	}
	if id := tokenJTI(t, tok); login == nil || login["token_id"] != id {
		t.Errorf("the CLI login's audit event %v does not name the token it issued (%s)", login, id)
	}

	t.Run("whoami", func(t *testing.T) {
		c.run("whoami").want(t, 0, "alice <alice@example.com>", "groups:  ds-fraud", "teams:   fraud", "login valid until")
		r := c.run("whoami", "-o", "json")
		r.want(t, 0, `"username": "alice"`, `"teams": [`, `"profile": "default"`)
	})
	t.Run("list", func(t *testing.T) {
		c.run("list").want(t, 0, "Teams: fraud", "fraud-alice ", "fraud-alice-scratch", "Stopped", "InService")
		c.run("list", "--output", "json").want(t, 0, `"name": "fraud-alice-scratch"`, `"status": "Stopped"`)
	})
	t.Run("open --print-url", func(t *testing.T) {
		r := c.run("open", "fraud-alice", "--print-url")
		r.want(t, 0)
		if !strings.Contains(notebookPage(t, strings.TrimSpace(r.stdout)), `id="notebook-name">fraud-alice<`) {
			t.Error("the printed URL does not open fraud-alice")
		}
		r = c.run("open", "fraud-alice", "--print-url", "-o", "json")
		r.want(t, 0, `"team": "fraud"`, `"notebook": "fraud-alice"`, `"expires_at"`, `"url": "http`)
		ev := c.lastOpenEvent("alice")
		if ev["via"] != "api" || ev["decision"] != "granted" || ev["notebook"] != "fraud-alice" {
			t.Errorf("open event = %v", ev)
		}
		// The audit trail names the token: what one token did can be found.
		if id := tokenJTI(t, tok); ev["token_id"] != id {
			t.Errorf("open event token_id = %v, want the token's jti %s", ev["token_id"], id)
		}
	})
	t.Run("open in the browser", func(t *testing.T) {
		before := c.openedCount()
		c.run("open", "fraud-alice").want(t, 0, "Opened notebook fraud-alice (team fraud)")
		if c.openedCount() != before+1 || !strings.Contains(c.lastPage, `id="notebook-name">fraud-alice<`) {
			t.Errorf("the browser ended on:\n%s", c.lastPage)
		}
		if u := c.opened[before]; !strings.HasPrefix(u, "http://127.0.0.1:") || strings.Contains(u, "authToken") {
			t.Errorf("the browser was given %s, want a one-shot loopback link", u)
		}
	})
	t.Run("several notebooks: fail without a terminal, ask on one", func(t *testing.T) {
		c.run("open").want(t, cli.ExitUsage, "several notebooks are yours", "fraud-alice-scratch", "team fraud", "secds open fraud-alice --team fraud")
		r := c.runIn("1\n", true, "open", "--print-url")
		r.want(t, 0, "Open which one? [1-2]")
		notebookPage(t, strings.TrimSpace(r.stdout))
	})
	t.Run("an expired token leads to a new login", func(t *testing.T) {
		before := c.openedCount()
		c.advance(13 * time.Hour)
		defer c.advance(-13 * time.Hour) // the broker's clock did not move: its new token is from now
		r := c.run("open", "fraud-alice", "--print-url")
		r.want(t, 0, "Logged in to")
		if c.openedCount() != before+1 {
			t.Errorf("the browser was opened %d times, want one login", c.openedCount()-before)
		}
		if c.storedToken("default") == tok {
			t.Error("the token was not replaced")
		}
	})
	t.Run("a token the broker refuses leads to a new login", func(t *testing.T) {
		data, _ := os.ReadFile(c.tokenFile("default"))
		cur := c.storedToken("default")
		forged := strings.Replace(string(data), cur, cur[:len(cur)-4]+"AAAA", 1)
		if err := os.WriteFile(c.tokenFile("default"), []byte(forged), 0o600); err != nil {
			t.Fatal(err)
		}
		c.run("whoami").want(t, cli.ExitAuth, "not valid for this broker", "Run: secds login")
		if err := os.WriteFile(c.tokenFile("default"), []byte(forged), 0o600); err != nil {
			t.Fatal(err)
		}
		c.run("list").want(t, 0, "refused the stored login (token_invalid); logging in again", "Logged in to", "fraud-alice")
	})
	t.Run("logout", func(t *testing.T) {
		c.run("logout").want(t, 0, "Logged out of "+c.st.BrokerURL)
		if _, err := os.Stat(c.tokenFile("default")); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("token file after logout: %v", err)
		}
		c.run("whoami").want(t, cli.ExitAuth, "not logged in")
		c.run("logout").want(t, 0, "nothing to delete")
	})
}

// tokenJTI reads a broker token's jti (its payload is not secret; only the
// whole token is).
func tokenJTI(t *testing.T, tok string) string {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWS")
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	var claims struct {
		ID string `json:"jti"`
	}
	if err != nil || json.Unmarshal(payload, &claims) != nil || claims.ID == "" {
		t.Fatalf("token payload: %v %s", err, payload)
	}
	return claims.ID
}

func (c *cliEnv) lastOpenEvent(user string) map[string]any {
	c.t.Helper()
	e := &env{t: c.t, audit: c.audit}
	return e.lastOpen(user)
}

func TestCLIPasteMode(t *testing.T) {
	c := startCLI(t, "alice")
	c.configure()
	stdinR, stdinW := io.Pipe()
	stderr := &testutil.Buffer{}
	var stdout bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- cli.Run(context.Background(), []string{"login", "--no-browser"}, c.cliEnvOf(stdinR, &stdout, stderr, true))
	}()
	link := waitFor(t, stderr, regexp.MustCompile(`(http://\S+/cli/login\?\S+)`))
	if strings.Contains(link, "redirect_uri") {
		t.Errorf("a paste-mode link names a redirect: %s", link)
	}
	page, _, err := c.follow(link) // on "another device": the browser, not the CLI, opens it
	if err != nil {
		t.Fatal(err)
	}
	m := cliCodeRE.FindStringSubmatch(page)
	if m == nil || !strings.Contains(page, "never give it to anyone") {
		t.Fatalf("no code on the page:\n%s", page)
	}
	fmt.Fprintln(stdinW, html.UnescapeString(m[1]))
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("login --no-browser = %d\n%s", code, stderr.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("login --no-browser did not finish")
	}
	if c.openedCount() != 0 {
		t.Errorf("paste mode opened the browser %d times", c.openedCount())
	}
	c.storedToken("default")
	c.run("whoami").want(t, 0, "alice")

	// No code at all is a failed login, not a hang.
	c.run("login", "--no-browser").want(t, cli.ExitAuth, "no code was entered")
	c.runIn("not-a-code\n", true, "login", "--no-browser").want(t, cli.ExitAuth, "login failed", "not valid")
}

// waitFor polls buf until re matches and returns the first group.
func waitFor(t *testing.T, buf *testutil.Buffer, re *regexp.Regexp) string {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if m := re.FindStringSubmatch(buf.String()); m != nil {
			return m[1]
		}
	}
	t.Fatalf("no %s in:\n%s", re, buf.String())
	return ""
}

func TestCLIBrowserCannotOpen(t *testing.T) {
	c := startCLI(t, "alice")
	c.configure()
	stderr := &testutil.Buffer{}
	var stdout bytes.Buffer
	env := c.cliEnvOf(strings.NewReader(""), &stdout, stderr, false)
	env.OpenBrowser = func(string) error { return errors.New("xdg-open: executable file not found in $PATH") }
	done := make(chan int, 1)
	go func() { done <- cli.Run(context.Background(), []string{"login"}, env) }()
	// The person opens the printed link themselves, on this machine.
	link := waitFor(t, stderr, regexp.MustCompile(`(http://\S+/cli/login\?\S+)`))
	if !strings.Contains(stderr.String(), "Could not open a browser (xdg-open") {
		t.Errorf("the CLI did not say the browser failed:\n%s", stderr.String())
	}
	if _, _, err := c.follow(link); err != nil {
		t.Fatal(err)
	}
	if code := <-done; code != 0 {
		t.Fatalf("login = %d\n%s", code, stderr.String())
	}

	// open prints the notebook link when it cannot open it.
	var out bytes.Buffer
	env.Stdout = &out
	if code := cli.Run(context.Background(), []string{"open", "fraud-alice"}, env); code != 0 {
		t.Fatalf("open = %d\n%s", code, stderr.String())
	}
	notebookPage(t, strings.TrimSpace(out.String()))
}

func TestCLIBrowserCommand(t *testing.T) {
	c := startCLI(t, "alice")
	c.configure()
	c.run("login").want(t, 0)
	dir := t.TempDir()
	script := filepath.Join(dir, "browser")
	if err := os.WriteFile(script, []byte("#!/bin/sh\nprintf '%s' \"$1\" > \""+dir+"/url\"\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	// secds waits for the browser to follow the link it was given.
	done := make(chan result, 1)
	go func() { done <- c.run("open", "fraud-alice", "--browser-command", script) }()
	var u []byte
	for deadline := time.Now().Add(10 * time.Second); len(u) == 0 && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		u, _ = os.ReadFile(filepath.Join(dir, "url"))
	}
	// The command's argv, which ps shows every local user, holds a one-shot
	// loopback address, never the presigned URL.
	if !strings.HasPrefix(string(u), "http://127.0.0.1:") || strings.Contains(string(u), "authToken") || strings.Contains(string(u), "notebooks/") {
		t.Fatalf("the browser command was given %q", u)
	}
	if !strings.Contains(notebookPage(t, string(u)), `id="notebook-name">fraud-alice<`) {
		t.Error("the loopback link does not lead to fraud-alice")
	}
	(<-done).want(t, 0, "Opened notebook fraud-alice")
	if resp, err := http.Get(string(u)); err == nil {
		resp.Body.Close()
		t.Errorf("the loopback link still answers (%d) after use", resp.StatusCode)
	}
	c.run("open", "fraud-alice", "--browser-command", filepath.Join(dir, "missing")).want(t, 0, "Could not open a browser")
}

func TestCLIConcurrentOpensLogInOnce(t *testing.T) {
	c := startCLI(t, "alice")
	c.configure()
	var wg sync.WaitGroup
	var failed atomic.Int32
	results := make([]result, 3)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var out, errb bytes.Buffer
			code := cli.Run(context.Background(), []string{"open", "fraud-alice", "--print-url"}, c.cliEnvOf(strings.NewReader(""), &out, &errb, false))
			results[i] = result{code, out.String(), errb.String()}
			if code != 0 {
				failed.Add(1)
			}
		}()
	}
	wg.Wait()
	for _, r := range results {
		r.want(t, 0, "http")
	}
	if n := c.openedCount(); n != 1 {
		t.Errorf("%d concurrent opens logged in %d times, want once", len(results), n)
	}
}

func TestCLIExitCodes(t *testing.T) {
	t.Run("denied", func(t *testing.T) {
		c := startCLI(t, "bob")
		c.configure()
		c.run("open", "fraud-alice").want(t, cli.ExitDenied, "You have no notebook named fraud-alice", "request ID")
		c.run("open", "--team", "fraud").want(t, cli.ExitDenied, "not a member of team fraud")
		c.run("open", "no-such-notebook").want(t, cli.ExitDenied, "You have no notebook named no-such-notebook")
	})
	t.Run("stopped", func(t *testing.T) {
		c := startCLI(t, "alice")
		c.configure()
		c.run("open", "fraud-alice-scratch").want(t, cli.ExitDenied, "fraud-alice-scratch is stopped")
	})
	t.Run("no team", func(t *testing.T) {
		c := startCLI(t, "carol")
		c.configure()
		c.run("list").want(t, cli.ExitDenied, "not in any team")
		c.run("whoami").want(t, 0, "carol", "teams:   (none)")
	})
	t.Run("usage", func(t *testing.T) {
		c := startCLI(t, "alice")
		c.run("open").want(t, cli.ExitUsage, "secds configure --broker")
		c.run("--bogus").want(t, cli.ExitUsage, "unknown flag")
		c.run("frobnicate").want(t, cli.ExitUsage, "unknown command")
		c.run("open", "a", "b").want(t, cli.ExitUsage, "secds open --help")
		c.run("list", "-o", "yaml").want(t, cli.ExitUsage, "use text or json")
		c.run("open", "-o", "json").want(t, cli.ExitUsage, "--print-url")
		c.run("configure").want(t, cli.ExitUsage, "--broker URL is required")
		c.run("configure", "--broker", "http://notebooks.example.com").want(t, cli.ExitUsage, "plain http")
		c.run("configure", "--broker", c.st.BrokerURL+"/path").want(t, cli.ExitUsage, "more than a scheme and host")
		c.run("whoami", "--profile", "../etc").want(t, cli.ExitUsage, "not valid")
		c.run("configure", "--broker", c.st.IdPURL).want(t, cli.ExitUsage, "does not look like a secds broker")
	})
	t.Run("broker and AWS unavailable", func(t *testing.T) {
		c := startCLI(t, "alice")
		c.configure()
		c.run("login").want(t, 0)
		c.st.AWS.InjectFault("AssumeRole", awsUnavailable())
		c.run("open", "fraud-alice").want(t, cli.ExitUnavailable)
		c.st.AWS.ClearFaults()
		c.cancel() // the broker shuts down
		waitDown(t, c.st.BrokerURL)
		c.run("open", "fraud-alice").want(t, cli.ExitUnavailable, "cannot reach the broker at "+c.st.BrokerURL, "VPN")
		c.run("configure", "--broker", c.st.BrokerURL).want(t, cli.ExitUnavailable, "cannot reach the broker")
	})
}

func waitDown(t *testing.T, u string) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		resp, err := http.Get(u + "/healthz")
		if err != nil {
			return
		}
		resp.Body.Close()
	}
	t.Fatal("the broker did not stop")
}

func TestCLIProfilesAndHelp(t *testing.T) {
	c := startCLI(t, "alice")
	c.run("configure", "--broker", c.st.BrokerURL, "--profile", "dev").want(t, 0, `Profile "dev"`, "secds login --profile dev")
	c.run("whoami").want(t, cli.ExitUsage, `profile "default"`, "[dev]")
	c.run("login", "--profile", "dev").want(t, 0)
	c.storedToken("dev")
	c.run("whoami", "--profile", "dev").want(t, 0, "alice", "(profile dev)")
	for _, cmd := range []string{"configure", "login", "open", "list", "whoami", "logout", "completion"} {
		c.run(cmd, "--help").want(t, 0, "Usage:")
	}
	for _, shell := range []string{"bash", "zsh", "fish", "powershell"} {
		if r := c.run("completion", shell); r.code != 0 || len(r.stdout) < 100 {
			t.Errorf("completion %s = %d, %d bytes", shell, r.code, len(r.stdout))
		}
	}
}

// awsUnavailable is an STS failure that is nobody's decision; the SDK does
// not retry it, so the test does not wait out back-offs.
func awsUnavailable() awsemu.Fault {
	return awsemu.Fault{Code: "ServiceFailure", Status: http.StatusBadRequest, Message: "injected outage"}
}
