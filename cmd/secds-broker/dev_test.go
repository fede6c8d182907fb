//go:build !release

package main

import (
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/secds/secds/internal/testutil"
)

// devRun is one run of the dev stack in the background, as `secds-broker
// --dev` would, its output captured.
type devRun struct {
	stdout, stderr testutil.Buffer
	stop           func()
}

var bannerBrokerRE = regexp.MustCompile(`(?m)^  broker +(http://\S+)/$`)

// startDev runs the dev stack and waits for its banner.
func startDev(t *testing.T, o devOptions) (*devRun, string) {
	t.Helper()
	if o.listen == "" {
		o.listen = "127.0.0.1:0"
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &devRun{}
	done := make(chan int, 1)
	go func() { done <- runDev(ctx, o, &r.stdout, &r.stderr) }()
	r.stop = func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("the dev stack exited %d:\n%s", code, r.stderr.String())
		}
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if m := bannerBrokerRE.FindStringSubmatch(r.stderr.String()); m != nil {
			return r, m[1]
		}
		select {
		case code := <-done:
			t.Fatalf("the dev stack exited %d before its banner:\n%s", code, r.stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("no banner:\n%s", r.stderr.String())
		}
	}
}

// TestDevTerminalIsForAuditEvents: the dev stack's access log goes to the
// request log the banner names, not to the terminal, and the banner says
// where each stream goes.
func TestDevTerminalIsForAuditEvents(t *testing.T) {
	cache := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", cache)
	r, broker := startDev(t, devOptions{})
	for _, p := range []string{"/", "/healthz", "/open?notebook=fraud-alice"} {
		resp, err := http.Get(broker + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	r.stop()

	logPath := filepath.Join(cache, "secds-dev", "requests.log")
	banner := r.stderr.String()
	for _, want := range []string{
		"audit events (JSON lines)           stdout",
		"broker log (start-up, reloads)      stderr",
		"requests and AWS emulator calls     " + logPath,
		"state                " + filepath.Join(cache, "secds-dev") + "  (mapping edits, history, keys: kept across restarts; --fresh starts over)",
		"Sign out, or use a private window, before trying another demo user.",
	} {
		if !strings.Contains(banner, want) {
			t.Errorf("the banner lacks %q:\n%s", want, banner)
		}
	}
	if strings.Contains(banner, "msg=http") || strings.Contains(r.stdout.String(), "msg=http") {
		t.Errorf("access-log lines reached the terminal:\n%s", banner)
	}
	data, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(data), "msg=http "); n < 3 || !strings.Contains(string(data), "path=/healthz") {
		t.Errorf("the request log has %d access-log lines, want 3:\n%s", n, data)
	}
	if fi, err := os.Stat(logPath); err == nil && fi.Mode().Perm() != 0o600 {
		t.Errorf("request log mode %o, want 600", fi.Mode().Perm())
	}
}

// TestDevStateIsKeptUntilFresh: the dev stack keeps its mapping under the
// user's cache directory across restarts; --fresh starts over from the
// demo mapping.
func TestDevStateIsKeptUntilFresh(t *testing.T) {
	cache := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", cache)
	mapping := filepath.Join(cache, "secds-dev", "teams.yaml")
	keys := filepath.Join(cache, "secds-dev", "keys.json")

	r, _ := startDev(t, devOptions{})
	r.stop()
	data, err := os.ReadFile(mapping)
	if err != nil {
		t.Fatal(err)
	}
	firstKeys, err := os.ReadFile(keys)
	if err != nil {
		t.Fatal(err)
	}
	const edit = "# an admin's edit\n"
	if err := os.WriteFile(mapping, append([]byte(edit), data...), 0o644); err != nil {
		t.Fatal(err)
	}

	r, _ = startDev(t, devOptions{})
	r.stop()
	if got, _ := os.ReadFile(mapping); !strings.HasPrefix(string(got), edit) {
		t.Errorf("a restart lost the edit:\n%.200s", got)
	}
	if got, _ := os.ReadFile(keys); string(got) != string(firstKeys) {
		t.Error("a restart made new keys")
	}

	r, _ = startDev(t, devOptions{fresh: true})
	r.stop()
	if got, _ := os.ReadFile(mapping); strings.HasPrefix(string(got), edit) {
		t.Error("--fresh kept the edit")
	}
	if got, _ := os.ReadFile(keys); string(got) == string(firstKeys) {
		t.Error("--fresh kept the keys")
	}
}

func TestFreshIsForTheDevStackOnly(t *testing.T) {
	var out, errOut testutil.Buffer
	if code := run([]string{"--config", "x.yaml", "--fresh"}, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), "--fresh is for the dev stack") {
		t.Errorf("--config --fresh: exit %d, %s", code, errOut.String())
	}
}

// TestDevSaysWhatToDoWhenItCannotStart: a busy port names --listen; a
// broken kept mapping names the state folder and --fresh.
func TestDevSaysWhatToDoWhenItCannotStart(t *testing.T) {
	cache := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", cache)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	var out, errOut testutil.Buffer
	if code := runDev(context.Background(), devOptions{listen: busy.Addr().String()}, &out, &errOut); code != 1 || !strings.Contains(errOut.String(), "pick another port with --listen 127.0.0.1:8081") {
		t.Errorf("busy port: exit %d, %s", code, errOut.String())
	}

	state := filepath.Join(cache, "secds-dev")
	if err := os.MkdirAll(state, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(state, "teams.yaml"), []byte("version: 1\nteams: []\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	errOut = testutil.Buffer{}
	if code := runDev(context.Background(), devOptions{listen: "127.0.0.1:0"}, &out, &errOut); code != 1 || !strings.Contains(errOut.String(), "The dev stack's state is in "+state+": fix it, or start over with --fresh.") {
		t.Errorf("broken kept mapping: exit %d, %s", code, errOut.String())
	}
	r, _ := startDev(t, devOptions{fresh: true})
	r.stop()
}

// TestDevWithoutACacheDirSaysNothingIsKept: with no user cache directory
// the state is temporary, and the banner says so.
func TestDevWithoutACacheDirSaysNothingIsKept(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", "")
	t.Setenv("HOME", "")
	t.Setenv("TMPDIR", tmp)
	r, _ := startDev(t, devOptions{})
	r.stop()
	banner := r.stderr.String()
	if !strings.Contains(banner, "NOT kept: no user cache directory") {
		t.Errorf("the banner does not say the state is not kept:\n%s", banner)
	}
	if !strings.Contains(banner, "requests and AWS emulator calls     "+filepath.Join(tmp, "secds-dev-requests-")) {
		t.Errorf("the request log is not a file of its own in the temporary directory:\n%s", banner)
	}
	if logs, _ := filepath.Glob(filepath.Join(tmp, "secds-dev-requests-*")); len(logs) != 0 {
		t.Errorf("left behind after the stack stopped: %v", logs)
	}
}
