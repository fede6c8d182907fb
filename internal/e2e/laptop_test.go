package e2e

import (
	"context"
	"errors"
	"fmt"
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
	"github.com/secds/secds/internal/testutil"
)

// laptop is one person's machine running the real secds CLI in process:
// config and cache directories, a clock the test moves, no OS keyring (the
// CLI falls back to its 0600 token file, as on a server without D-Bus),
// and their browser. With an HTTPUser the CLI's "open the browser" has it
// follow the link to the end, signing in as its person; without one
// (Chromium tests) the link is handed to the test (browserAsked), which
// opens it in Chromium, as the person's desktop would.
type laptop struct {
	t       *testing.T
	st      *Stack
	home    string // XDG_CONFIG_HOME and XDG_CACHE_HOME live below
	keyring cli.Keyring
	clock   Clock
	browser *HTTPUser
	output  testutil.Buffer // everything the CLI printed
	asked   chan string     // links the CLI asked a browser to open, without an HTTPUser

	mu       sync.Mutex
	opened   []string // links the HTTPUser was asked to open
	lastPage string   // the body of the last page it ended on
}

// newLaptop is user's laptop against st, their browser an HTTPUser.
func newLaptop(t *testing.T, st *Stack, user string) *laptop {
	l := newChromiumLaptop(t, st)
	l.browser = NewHTTPUser(t, st, user)
	return l
}

// newChromiumLaptop is a laptop whose browser the test drives.
func newChromiumLaptop(t *testing.T, st *Stack) *laptop {
	l := &laptop{t: t, st: st, home: t.TempDir(), keyring: noKeyring{}, asked: make(chan string, 8)}
	t.Cleanup(l.checkNoLeaks)
	return l
}

type noKeyring struct{}

var errNoKeyring = errors.New("no OS keyring here")

func (noKeyring) Get(string, string) (string, error) { return "", errNoKeyring }
func (noKeyring) Set(string, string, string) error   { return errNoKeyring }
func (noKeyring) Delete(string, string) error        { return errNoKeyring }

// env is the cli.Env of one run of the CLI.
func (l *laptop) env(stdin io.Reader, stdout, stderr io.Writer, interactive bool) cli.Env {
	vars := map[string]string{
		"HOME":            l.home,
		"XDG_CONFIG_HOME": filepath.Join(l.home, "config"),
		"XDG_CACHE_HOME":  filepath.Join(l.home, "cache"),
		"PATH":            os.Getenv("PATH"),
	}
	return cli.Env{
		Stdin: stdin, Stdout: stdout, Stderr: stderr,
		Getenv:       func(k string) string { return vars[k] },
		Now:          l.clock.Now,
		OpenBrowser:  l.openInBrowser,
		Keyring:      l.keyring,
		Interactive:  func() bool { return interactive },
		LoginTimeout: time.Minute,
		// A starting notebook is polled often: the tests move the
		// emulator's clock, and the CLI should notice at once.
		PollInterval: 200 * time.Millisecond,
	}
}

type result struct {
	code           int
	stdout, stderr string
}

// run runs `secds args...` as the person types it at a terminal, and waits
// for it; they type nothing more (a prompt reads the end of input). A
// command that needs a login signs in with their browser.
func (l *laptop) run(args ...string) result {
	return l.runIn("", true, args...)
}

// script runs `secds args...` as a script, cron or CI does: stdin is no
// terminal, so the CLI never signs in or asks.
func (l *laptop) script(args ...string) result {
	return l.runIn("", false, args...)
}

// runIn is run with stdin, on a terminal when interactive.
func (l *laptop) runIn(stdin string, interactive bool, args ...string) result {
	l.t.Helper()
	select {
	case r := <-l.start(strings.NewReader(stdin), nil, interactive, args...):
		return r
	case <-time.After(2 * time.Minute):
		l.t.Fatalf("secds %s did not finish", strings.Join(args, " "))
		return result{}
	}
}

// start runs secds with args in the background; stdin and stderr may be nil.
func (l *laptop) start(stdin io.Reader, stderr *testutil.Buffer, interactive bool, args ...string) <-chan result {
	if stdin == nil {
		stdin = strings.NewReader("")
	}
	if stderr == nil {
		stderr = &testutil.Buffer{}
	}
	stdout := &testutil.Buffer{}
	env := l.env(stdin, stdout, stderr, interactive)
	done := make(chan result, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		code := cli.Run(ctx, args, env)
		r := result{code: code, stdout: stdout.String(), stderr: stderr.String()}
		_, _ = l.output.Write([]byte(r.stdout + r.stderr))
		done <- r
	}()
	return done
}

func (r result) want(t *testing.T, code int, parts ...string) {
	t.Helper()
	if r.code != code {
		t.Fatalf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, code, r.stdout, redact(r.stderr))
	}
	for _, p := range parts {
		if !strings.Contains(r.stdout+r.stderr, p) {
			t.Errorf("output lacks %q\nstdout:\n%s\nstderr:\n%s", p, r.stdout, redact(r.stderr))
		}
	}
}

func (l *laptop) configure() {
	l.t.Helper()
	l.run(l.st.ConfigureArgs(l.t)...).want(l.t, 0, "Next: secds login")
}

// openInBrowser is the CLI's browser: the HTTPUser follows u to the end,
// or the test is handed u.
func (l *laptop) openInBrowser(u string) error {
	if l.browser == nil {
		l.asked <- u
		return nil
	}
	l.mu.Lock()
	l.opened = append(l.opened, u)
	l.mu.Unlock()
	p, err := l.browser.Follow(u)
	l.mu.Lock()
	l.lastPage = p.Body
	l.mu.Unlock()
	if err == nil && p.Status != http.StatusOK {
		err = fmt.Errorf("%s ended on %d", redact(u), p.Status)
	}
	return err
}

func (l *laptop) openedCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.opened)
}

// openedAt is the i-th link the HTTPUser was asked to open and the page
// it last ended on.
func (l *laptop) openedAt(i int) (link, lastPage string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if i < len(l.opened) {
		link = l.opened[i]
	}
	return link, l.lastPage
}

// browserAsked is the link the CLI asked the browser to open.
func (l *laptop) browserAsked() string {
	l.t.Helper()
	select {
	case u := <-l.asked:
		return u
	case <-time.After(30 * time.Second):
		l.t.Fatal("secds did not ask for a browser")
		return ""
	}
}

func (l *laptop) tokenFile(profile string) string {
	return filepath.Join(l.home, "cache", "secds", "tokens", profile+".json")
}

// storedToken reads the token the CLI keeps in its file, and registers it
// as a secret.
func (l *laptop) storedToken(profile string) string {
	l.t.Helper()
	data, err := os.ReadFile(l.tokenFile(profile))
	if err != nil {
		l.t.Fatalf("token file: %v", err)
	}
	m := regexp.MustCompile(`"token":"([^"]+)"`).FindSubmatch(data)
	if m == nil {
		l.t.Fatalf("no token in the token file")
	}
	l.st.Secret("broker token", string(m[1]))
	return string(m[1])
}

// checkNoLeaks fails the test if the CLI printed a secret the stack knows
// (it prints notebook URLs, where asked, but never a code or a token).
func (l *laptop) checkNoLeaks() {
	out := l.output.String()
	for what, v := range l.st.Secrets() {
		if strings.Contains(out, v) {
			l.t.Errorf("the CLI printed the %s", what)
		}
	}
}

// waitFor polls buf until re matches and returns the first group.
func waitFor(t *testing.T, buf *testutil.Buffer, re *regexp.Regexp) string {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if m := re.FindStringSubmatch(buf.String()); m != nil {
			return m[1]
		}
	}
	t.Fatalf("no %s in:\n%s", re, buf.String())
	return ""
}
