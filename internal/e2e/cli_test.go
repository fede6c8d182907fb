package e2e

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/secds/secds/cmd/secds/cli"
	"github.com/secds/secds/internal/dev/awsemu"
	"github.com/secds/secds/internal/testutil"
)

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

// TestCLILogin: secds configure, login, whoami, list, open and logout. In
// Chromium over https against Hydra and two replicas, secds login opens the
// browser, which signs in at the provider through the same login page,
// confirms, and comes back to the CLI on 127.0.0.1; the token one replica
// issued works on the other. Hop by hop against the dev stack, every
// command and every way a stored login ends.
func TestCLILogin(t *testing.T) {
	t.Run("in Chromium", testCLILoginInChromium)
	t.Run("from configure to logout", testCLIFromConfigureToLogout)
}

func testCLILoginInChromium(t *testing.T) {
	st := StartStack(t, StackOptions{Provider: sharedProvider(t)})
	b := NewBrowser(t)
	c := newChromiumLaptop(t, st)
	c.configure()

	done := c.start(nil, nil, false, "login")
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
		out := c.run("open", "fraud-alice", "--print-url")
		out.want(t, 0)
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
		done := c.start(nil, nil, false, "open", "fraud-alice-scratch")
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
	if ev := st.LastAudit(t, "open", "alice"); ev["via"] == "browser" || ev["decision"] != "granted" {
		t.Errorf("the CLI's open event = %v, want a grant not via the browser", ev)
	}
}

func testCLIFromConfigureToLogout(t *testing.T) {
	t.Parallel()
	st := StartStack(t, StackOptions{})
	c := newLaptop(t, st, "alice")
	c.run("whoami").want(t, cli.ExitUsage, "no broker is configured", "secds configure --broker")
	c.configure()
	c.run("whoami").want(t, cli.ExitAuth, "not logged in", "Run: secds login")

	c.run("login").want(t, 0, "Logged in to "+st.URL+" as alice", "readable only by you")
	if first, page := c.openedAt(0); c.openedCount() != 1 || !strings.HasPrefix(first, st.URL+"/cli/login?") || !strings.Contains(page, "Signed in") {
		t.Fatalf("the browser opened %d links, the first %s, and ended on:\n%s", c.openedCount(), redact(first), page)
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
	for _, ev := range st.AuditEvents(t) {
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
		// -o json is for a program: it prints the link, it opens nothing.
		before := c.openedCount()
		c.run("open", "fraud-alice", "-o", "json").want(t, 0, `"notebook": "fraud-alice"`, `"url": "http`)
		if c.openedCount() != before {
			t.Error("secds open -o json opened the browser")
		}
		ev := st.LastAudit(t, "open", "alice")
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
		u, page := c.openedAt(before)
		if c.openedCount() != before+1 || !strings.Contains(page, `id="notebook-name">fraud-alice<`) {
			t.Errorf("the browser ended on:\n%s", page)
		}
		if !strings.HasPrefix(u, "http://127.0.0.1:") || strings.Contains(u, "authToken") {
			t.Errorf("the browser was given %s, want a one-shot loopback link", redact(u))
		}
	})
	t.Run("several notebooks: fail without a terminal, ask on one", func(t *testing.T) {
		c.script("open").want(t, cli.ExitUsage, "several notebooks are yours", "fraud-alice-scratch", "team fraud", "secds open fraud-alice --team fraud")
		r := c.runIn("1\n", true, "open", "--print-url")
		r.want(t, 0, "Open which one? [1-1]", "not running: cannot be opened now")
		notebookPage(t, strings.TrimSpace(r.stdout))
	})
	t.Run("an expired token leads to a new login", func(t *testing.T) {
		before := c.openedCount()
		c.clock.Advance(13 * time.Hour)
		defer c.clock.Advance(-13 * time.Hour) // the broker's clock did not move: its new token is from now
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
		r := c.run("whoami")
		r.want(t, cli.ExitAuth, "not valid for this broker", "Run: secds login")
		if n := strings.Count(r.stderr, "secds login"); n != 1 {
			t.Errorf("whoami gives the advice %d times, want once:\n%s", n, r.stderr)
		}
		// A script is told the same, at once, without a sign-in.
		if err := os.WriteFile(c.tokenFile("default"), []byte(forged), 0o600); err != nil {
			t.Fatal(err)
		}
		before := c.openedCount()
		r = c.script("list")
		r.want(t, cli.ExitAuth, "not valid for this broker", "stdin is not a terminal", "Run in a terminal: secds login")
		if strings.Contains(r.stderr, "logging in again") || strings.Contains(r.stderr, "then try again") || c.openedCount() != before {
			t.Errorf("a script with a refused token started a sign-in, or doubled the advice:\n%s", r.stderr)
		}
		if err := os.WriteFile(c.tokenFile("default"), []byte(forged), 0o600); err != nil {
			t.Fatal(err)
		}
		c.run("list").want(t, 0, "refused the stored login (token_invalid); logging in again", "Logged in to", "fraud-alice")
	})
	t.Run("logout", func(t *testing.T) {
		c.run("logout").want(t, 0, "Logged out of "+st.URL)
		if _, err := os.Stat(c.tokenFile("default")); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("token file after logout: %v", err)
		}
		c.run("whoami").want(t, cli.ExitAuth, "not logged in")
		c.run("logout").want(t, 0, "nothing to delete")
	})
}

var cliLoginLinkRE = regexp.MustCompile(`(https?://\S+/cli/login\?\S+)`)

// TestCLIPasteMode: over SSH there is no browser next to the CLI. secds
// login --no-browser prints a link; the person opens it in a browser
// elsewhere, signs in, confirms, and pastes the code the broker's page
// shows: in Chromium against Hydra, and hop by hop with the ways it fails.
func TestCLIPasteMode(t *testing.T) {
	t.Run("in Chromium", func(t *testing.T) {
		st := StartStack(t, StackOptions{Provider: sharedProvider(t)})
		b := NewBrowser(t)
		c := newChromiumLaptop(t, st)
		c.configure()

		stdin, typed := io.Pipe()
		defer typed.Close()
		stderr := &testutil.Buffer{}
		done := c.start(stdin, stderr, true, "login", "--no-browser")
		b.Navigate(waitFor(t, stderr, cliLoginLinkRE))
		if status := b.ClickAndWait("login-bob").Status; status != http.StatusOK {
			t.Fatalf("the confirmation page: status %d", status)
		}
		if title := b.Text("cli-confirm-title"); !strings.Contains(title, "as bob?") {
			t.Fatalf("the confirmation page asks %q", title)
		}
		if status := b.ClickAndWait("cli-confirm-allow").Status; status != http.StatusOK {
			t.Fatalf("the code page: status %d", status)
		}
		code := strings.TrimSpace(b.Text("cli-code"))
		if !userCodeRE.MatchString(code) {
			t.Fatalf("the broker's page shows %q, want a short code to type", code)
		}
		// The copy button is hidden without JavaScript and shown by the
		// page's own script (the CSP lets in the broker's scripts only).
		if !strings.Contains(b.Body(), "Copy the code") {
			t.Error("the copy button is still hidden: copy.js did not run")
		}
		st.Secret("pasted code", code)
		if _, err := io.WriteString(typed, code+"\n"); err != nil {
			t.Fatal(err)
		}
		r := <-done
		if r.code != 0 || !strings.Contains(r.stderr, "as bob") {
			t.Fatalf("secds login --no-browser: exit %d\n%s", r.code, redact(r.stderr))
		}
		wantBrokerCookies(t, st, b)
		out := c.run("open", "marketing-bob", "--print-url")
		out.want(t, 0)
		if resp := b.Navigate(strings.TrimSpace(out.stdout)); resp.Status != http.StatusOK {
			t.Fatalf("the printed URL: status %d", resp.Status)
		}
		wantNotebookPage(t, b, "marketing-bob", "bob", "marketing")
	})
	t.Run("hop by hop", func(t *testing.T) {
		t.Parallel()
		st := StartStack(t, StackOptions{})
		c := newLaptop(t, st, "alice")
		c.configure()
		stdinR, stdinW := io.Pipe()
		stderr := &testutil.Buffer{}
		done := c.start(stdinR, stderr, true, "login", "--no-browser")
		link := waitFor(t, stderr, cliLoginLinkRE)
		if strings.Contains(link, "redirect_uri") {
			t.Errorf("a paste-mode link names a redirect: %s", redact(link))
		}
		page := c.browser.Visit(link) // on "another device": the browser, not the CLI, opens it
		m := cliCodeRE.FindStringSubmatch(page.Body)
		if m == nil || !strings.Contains(page.Body, "never give it to anyone") {
			t.Fatalf("no code on the page:\n%s", page.Body)
		}
		fmt.Fprintln(stdinW, html.UnescapeString(m[1]))
		select {
		case r := <-done:
			if r.code != 0 {
				t.Fatalf("login --no-browser = %d\n%s", r.code, stderr.String())
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
	})
}

func TestCLIBrowserCannotOpen(t *testing.T) {
	t.Parallel()
	st := StartStack(t, StackOptions{})
	c := newLaptop(t, st, "alice")
	c.configure()
	stderr := &testutil.Buffer{}
	var stdout bytes.Buffer
	env := c.env(strings.NewReader(""), &stdout, stderr, true)
	env.OpenBrowser = func(string) error { return errors.New("xdg-open: executable file not found in $PATH") }
	// Without a terminal either, nobody could open the link: the CLI says
	// so at once.
	var scriptErr bytes.Buffer
	script := c.env(strings.NewReader(""), &stdout, &scriptErr, false)
	script.OpenBrowser = env.OpenBrowser
	if code := cli.Run(context.Background(), []string{"login"}, script); code != cli.ExitAuth ||
		!strings.Contains(scriptErr.String(), "could not open a browser") || cliLoginLinkRE.MatchString(scriptErr.String()) {
		t.Fatalf("login with no browser and no terminal = %d, want %d at once and no link:\n%s", code, cli.ExitAuth, scriptErr.String())
	}
	done := make(chan int, 1)
	go func() { done <- cli.Run(context.Background(), []string{"login"}, env) }()
	// The person opens the printed link themselves, on this machine.
	link := waitFor(t, stderr, cliLoginLinkRE)
	if !strings.Contains(stderr.String(), "Could not open a browser (xdg-open") {
		t.Errorf("the CLI did not say the browser failed:\n%s", stderr.String())
	}
	c.browser.Visit(link).MustContain(t, http.StatusOK)
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
	t.Parallel()
	st := StartStack(t, StackOptions{})
	c := newLaptop(t, st, "alice")
	c.configure()
	c.run("login").want(t, 0)
	dir := t.TempDir()
	script := filepath.Join(dir, "browser")
	if err := os.WriteFile(script, []byte("#!/bin/sh\nprintf '%s' \"$1\" > \""+dir+"/url\"\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	// secds waits for the browser to follow the link it was given.
	done := c.start(nil, nil, false, "open", "fraud-alice", "--browser-command", script)
	var u []byte
	for deadline := time.Now().Add(10 * time.Second); len(u) == 0 && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		u, _ = os.ReadFile(filepath.Join(dir, "url"))
	}
	// The command's argv, which ps shows every local user, holds a one-shot
	// loopback address, never the presigned URL.
	if !strings.HasPrefix(string(u), "http://127.0.0.1:") || strings.Contains(string(u), "authToken") || strings.Contains(string(u), "notebooks/") {
		t.Fatalf("the browser command was given %q", redact(string(u)))
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
	t.Parallel()
	st := StartStack(t, StackOptions{})
	c := newLaptop(t, st, "alice")
	c.configure()
	var wg sync.WaitGroup
	results := make([]result, 3)
	for i := range results {
		wg.Go(func() { results[i] = <-c.start(nil, nil, true, "open", "fraud-alice", "--print-url") })
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
	t.Parallel()
	t.Run("denied", func(t *testing.T) {
		st := StartStack(t, StackOptions{})
		c := newLaptop(t, st, "bob")
		c.configure()
		c.run("open", "fraud-alice").want(t, cli.ExitDenied, "You have no notebook named fraud-alice", "request ID")
		c.run("open", "--team", "fraud").want(t, cli.ExitDenied, "not a member of team fraud")
		c.run("open", "no-such-notebook").want(t, cli.ExitDenied, "You have no notebook named no-such-notebook")
		// The web's advice (the link followed, the start page) is the CLI's.
		for name, code := range map[string]int{"fraud-alice": cli.ExitDenied, "not_a_name!": cli.ExitUsage} {
			r := c.run("open", name)
			r.want(t, code, "See the notebooks you may open with: secds list")
			if strings.Contains(r.stderr, "start page") || strings.Contains(r.stderr, "link") {
				t.Errorf("secds open %s gives the web's advice: %s", name, r.stderr)
			}
		}
	})
	t.Run("stopped", func(t *testing.T) {
		st := StartStack(t, StackOptions{})
		c := newLaptop(t, st, "alice")
		c.configure()
		c.run("open", "fraud-alice-scratch").want(t, cli.ExitDenied, "fraud-alice-scratch is stopped")
	})
	t.Run("no team", func(t *testing.T) {
		st := StartStack(t, StackOptions{})
		c := newLaptop(t, st, "carol")
		c.configure()
		c.run("list").want(t, cli.ExitDenied, "not in any team")
		c.run("whoami").want(t, 0, "carol", "teams:   (none)")
	})
	t.Run("usage", func(t *testing.T) {
		st := StartStack(t, StackOptions{})
		c := newLaptop(t, st, "alice")
		c.run("open").want(t, cli.ExitUsage, "secds configure --broker")
		c.run("--bogus").want(t, cli.ExitUsage, "unknown flag")
		c.run("frobnicate").want(t, cli.ExitUsage, "unknown command")
		c.run("open", "a", "b").want(t, cli.ExitUsage, "secds open --help")
		c.run("list", "-o", "yaml").want(t, cli.ExitUsage, "use text or json")
		c.run("configure").want(t, cli.ExitUsage, "--broker URL is required")
		c.run("configure", "--broker", "http://notebooks.example.com").want(t, cli.ExitUsage, "plain http")
		c.run("configure", "--broker", st.URL+"/path").want(t, cli.ExitUsage, "more than a scheme and host")
		c.run("whoami", "--profile", "../etc").want(t, cli.ExitUsage, "not valid")
		c.run("configure", "--broker", st.ProviderURL).want(t, cli.ExitUsage, "does not look like a secds broker")
	})
	t.Run("broker and AWS unavailable", func(t *testing.T) {
		st := StartStack(t, StackOptions{})
		c := newLaptop(t, st, "alice")
		c.configure()
		c.run("login").want(t, 0)
		st.AWS.InjectFault("AssumeRole", awsUnavailable())
		c.run("open", "fraud-alice").want(t, cli.ExitUnavailable)
		st.AWS.ClearFaults()
		st.Stop() // the broker shuts down
		waitDown(t, st.URL)
		c.run("open", "fraud-alice").want(t, cli.ExitUnavailable, "cannot reach the broker at "+st.URL, "VPN")
		c.run("configure", "--broker", st.URL).want(t, cli.ExitUnavailable, "cannot reach the broker")
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
	t.Parallel()
	st := StartStack(t, StackOptions{})
	c := newLaptop(t, st, "alice")
	c.run("configure", "--broker", st.URL, "--profile", "dev").want(t, 0, `Profile "dev"`, "secds login --profile dev")
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
