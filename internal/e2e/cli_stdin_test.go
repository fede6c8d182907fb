//go:build unix

package e2e

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/secds/secds/cmd/secds/cli"
	"github.com/secds/secds/internal/testutil"
)

// hangBound is how long a command may take to answer, not logged in. It
// checks for a hang (the CLI used to print a link and wait five minutes for
// a sign-in nobody would finish), not for speed: a second is ample for a
// process that does not touch the network, with room for a loaded machine.
const hangBound = 3 * time.Second

// secdsBinary builds the real secds into a temporary directory.
func secdsBinary(t *testing.T) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to build secds: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "secds")
	cmd := exec.Command(goTool, "build", "-o", bin, "github.com/secds/secds/cmd/secds")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build secds: %v\n%s", err, out)
	}
	return bin
}

// machine is a laptop for the real secds binary: its own HOME and XDG
// directories, and a PATH with no browser on it, as on a server.
type machine struct {
	bin  string
	home string
	path string // an empty directory: no xdg-open, no browser
}

func newMachine(t *testing.T, bin string) *machine {
	return &machine{bin: bin, home: t.TempDir(), path: t.TempDir()}
}

func (m *machine) env() []string {
	return []string{
		"HOME=" + m.home,
		"XDG_CONFIG_HOME=" + filepath.Join(m.home, "config"),
		"XDG_CACHE_HOME=" + filepath.Join(m.home, "cache"),
		"PATH=" + m.path,
	}
}

// stdinKind is what secds gets on its stdin.
type stdinKind string

const (
	devNull  stdinKind = "/dev/null"
	pipe     stdinKind = "a pipe"
	terminal stdinKind = "a pseudo-terminal"
)

// proc is one secds process.
type proc struct {
	cmd            *exec.Cmd
	stdout, stderr testutil.Buffer
	done           chan struct{}
	err            error
}

// start runs secds args with stdin of kind. The pipe's write end stays open
// until the process ends, as `tail -f log | secds ...` would keep it.
func (m *machine) start(t *testing.T, kind stdinKind, args ...string) *proc {
	t.Helper()
	p := &proc{cmd: exec.Command(m.bin, args...), done: make(chan struct{})}
	p.cmd.Env = m.env()
	p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
	dieWithParent(p.cmd)
	var closeAfter []*os.File
	switch kind {
	case devNull:
		f, err := os.Open(os.DevNull)
		if err != nil {
			t.Fatal(err)
		}
		p.cmd.Stdin, closeAfter = f, []*os.File{f}
	case pipe:
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		p.cmd.Stdin, closeAfter = r, []*os.File{r, w}
	case terminal:
		ptm, pts, err := pty.Open()
		if err != nil {
			t.Fatalf("open a pseudo-terminal: %v", err)
		}
		p.cmd.Stdin, closeAfter = pts, []*os.File{pts, ptm}
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.err = p.cmd.Wait()
		for _, f := range closeAfter {
			f.Close()
		}
		close(p.done)
	}()
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		<-p.done
	})
	return p
}

// wait waits up to hangBound for the process to end and returns its exit
// code; a process still running then fails the test.
func (p *proc) wait(t *testing.T, what string) int {
	t.Helper()
	timer := time.NewTimer(hangBound)
	defer timer.Stop()
	select {
	case <-p.done:
	case <-timer.C:
		t.Fatalf("%s was still running after %s\nstderr:\n%s", what, hangBound, redact(p.stderr.String()))
	}
	var ee *exec.ExitError
	if p.err != nil && !errors.As(p.err, &ee) {
		t.Fatalf("%s: %v", what, p.err)
	}
	return p.cmd.ProcessState.ExitCode()
}

// waitForOutput waits up to hangBound for s on stderr.
func (p *proc) waitForOutput(t *testing.T, what, s string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), hangBound)
	defer cancel()
	for !strings.Contains(p.stderr.String(), s) {
		select {
		case <-ctx.Done():
			t.Fatalf("%s printed no %q within %s\nstderr:\n%s", what, s, hangBound, redact(p.stderr.String()))
		case <-p.done:
			if !strings.Contains(p.stderr.String(), s) {
				t.Fatalf("%s ended without printing %q\nstderr:\n%s", what, s, redact(p.stderr.String()))
			}
			return
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// TestCLIWithoutATerminal runs every command that needs a login, not logged
// in, as the real secds binary with stdin from /dev/null, a pipe and a
// pseudo-terminal. Without a terminal it exits 3 at once with the command
// to run (cron, CI, `true | secds list`); on a terminal it starts the
// sign-in, printing the link, until Ctrl-C. Commands that never sign in
// (whoami) or need no login (logout) answer the same on all three.
func TestCLIWithoutATerminal(t *testing.T) {
	st := StartStack(t, StackOptions{})
	bin := secdsBinary(t)
	m := newMachine(t, bin)
	if code := m.start(t, devNull, st.ConfigureArgs(t)...).wait(t, "secds configure"); code != 0 {
		t.Fatalf("secds configure: exit %d", code)
	}
	link := st.URL + "/cli/login?"

	type want struct {
		code int
		says []string
	}
	noTerminal := want{cli.ExitAuth, []string{"stdin is not a terminal", "Run in a terminal: secds login", "secds login --no-browser"}}
	tests := []struct {
		args []string
		// onTerminal, when set, is the exit code on a terminal too;
		// otherwise a terminal starts the sign-in.
		onTerminal *want
		without    want
	}{
		{args: []string{"list"}, without: noTerminal},
		{args: []string{"list", "-o", "json"}, without: noTerminal},
		{args: []string{"open"}, without: noTerminal},
		{args: []string{"open", "fraud-alice", "--print-url"}, without: noTerminal},
		{args: []string{"open", "--no-browser"}, without: noTerminal},
		{args: []string{"login"}, without: want{cli.ExitAuth, []string{"could not open a browser", "stdin is not a terminal", "secds login --no-browser"}}},
		{args: []string{"login", "--no-browser"}, without: want{cli.ExitAuth, []string{"stdin is not", "Run it in a terminal"}}},
		{args: []string{"admin", "mapping", "get"}, without: noTerminal},
		{args: []string{"admin", "mapping", "history"}, without: noTerminal},
		{args: []string{"admin", "explain", "--user", "alice"}, without: noTerminal},
		{args: []string{"admin", "tokens", "revoke", "alice"}, without: noTerminal},
		{args: []string{"admin", "iam", "--broker-role", "arn:aws:iam::111122223333:role/secds-broker", "--all"}, without: noTerminal},
		{args: []string{"whoami"}, onTerminal: &want{cli.ExitAuth, []string{"not logged in", "Run: secds login"}},
			without: want{cli.ExitAuth, []string{"not logged in", "stdin is not a terminal", "Run in a terminal: secds login"}}},
		{args: []string{"logout"}, onTerminal: &want{0, []string{"nothing to delete"}}, without: want{0, []string{"nothing to delete"}}},
	}
	for _, tc := range tests {
		name := strings.Join(tc.args, " ")
		t.Run(name, func(t *testing.T) {
			for _, kind := range []stdinKind{devNull, pipe, terminal} {
				what := "secds " + name + " <" + string(kind)
				p := m.start(t, kind, tc.args...)
				w := tc.without
				if kind == terminal {
					if tc.onTerminal == nil {
						// The sign-in starts: the link is printed (no browser
						// here), then Ctrl-C ends it.
						p.waitForOutput(t, what, link)
						if err := p.cmd.Process.Signal(os.Interrupt); err != nil {
							t.Fatal(err)
						}
						w = want{cli.ExitAuth, []string{"login cancelled"}}
					} else {
						w = *tc.onTerminal
					}
				}
				code := p.wait(t, what)
				out := p.stdout.String() + p.stderr.String()
				if code != w.code {
					t.Errorf("%s: exit %d, want %d\n%s", what, code, w.code, redact(out))
					continue
				}
				for _, s := range w.says {
					if !strings.Contains(out, s) {
						t.Errorf("%s: output lacks %q\n%s", what, s, redact(out))
					}
				}
				if kind != terminal && strings.Contains(out, link) {
					t.Errorf("%s printed a sign-in link nobody can finish:\n%s", what, redact(out))
				}
			}
		})
	}
}
