package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/secds/secds/internal/api"
)

// answers is a broker that gives the listed answers in turn, the last one
// from then on, and counts the requests.
type answers struct {
	list []func(w http.ResponseWriter)
	n    atomic.Int32
	seen chan struct{} // one value per request, when not nil
}

func (s *answers) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	i := int(s.n.Add(1)) - 1
	if s.seen != nil {
		s.seen <- struct{}{}
	}
	s.list[min(i, len(s.list)-1)](w)
}

func refusal(status int, code api.Code, retryAfter, msg string) func(http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		if retryAfter != "" {
			w.Header().Set("Retry-After", retryAfter)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"error":{"code":%q,"message":%q,"request_id":"rid-1"}}`, code, msg)
	}
}

func ok(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{"teams":["fraud"]}`))
}

var limited = refusal(http.StatusTooManyRequests, api.CodeRateLimited, "1", "Too many requests from your user. Wait 1 seconds and try again.")

// TestTooManyRequests: a 429 is waited out once when the broker asks for at
// most maxRetryWait, then is exit code 6 with how long to wait, in words
// that agree with the number.
func TestTooManyRequests(t *testing.T) {
	tests := []struct {
		name     string
		answers  []func(http.ResponseWriter)
		requests int32
		code     int
		says     []string
		saysNot  []string
	}{
		{name: "waited out", answers: []func(http.ResponseWriter){limited, ok}, requests: 2, code: ExitOK,
			says: []string{"trying again in 1 second..."}},
		{name: "still limited", answers: []func(http.ResponseWriter){limited}, requests: 2, code: ExitBusy,
			says:    []string{"Too many requests from your user.", "secds waited 1 second and tried once more. Wait 1 second and try again.", "request ID rid-1"},
			saysNot: []string{"1 seconds"}},
		{name: "too long to wait", answers: []func(http.ResponseWriter){refusal(http.StatusTooManyRequests, api.CodeRateLimited, "30", "Too many requests from your address. Wait 30 seconds and try again.")},
			requests: 1, code: ExitBusy, says: []string{"Too many requests from your address. Wait 30 seconds and try again."}, saysNot: []string{"trying again"}},
		{name: "no Retry-After", answers: []func(http.ResponseWriter){refusal(http.StatusTooManyRequests, "", "", "")},
			requests: 1, code: ExitBusy, says: []string{"too many in a short time", "Wait a minute"}},
		{name: "a busy broker", answers: []func(http.ResponseWriter){refusal(http.StatusServiceUnavailable, api.CodeBrokerBusy, "1", "The broker is handling too many requests right now. Try again in a few seconds.")},
			requests: 2, code: ExitUnavailable, says: []string{"trying again in 1 second", "handling too many requests"}},
		{name: "other refusals are not repeated", answers: []func(http.ResponseWriter){refusal(http.StatusServiceUnavailable, api.CodeAWSUnavailable, "1", "AWS is unavailable.")},
			requests: 1, code: ExitUnavailable, saysNot: []string{"trying again"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := &answers{list: tc.answers}
			hs := httptest.NewServer(srv)
			defer hs.Close()
			var stderr bytes.Buffer
			a := &App{env: Env{Stderr: &stderr, Stdout: &bytes.Buffer{}}.withDefaults()}
			var out api.MeResponse
			err := a.call(context.Background(), &Profile{Broker: hs.URL}, http.MethodGet, hs.URL+"/api/v1/me", "", nil, &out)
			text := stderr.String()
			if err != nil {
				text += err.Error()
			}
			code := ExitOK
			if err != nil {
				code = exitCode(err)
			}
			if code != tc.code || srv.n.Load() != tc.requests {
				t.Fatalf("exit %d after %d requests, want %d after %d: %s", code, srv.n.Load(), tc.code, tc.requests, text)
			}
			for _, s := range tc.says {
				if !strings.Contains(text, s) {
					t.Errorf("lacks %q: %s", s, text)
				}
			}
			for _, s := range tc.saysNot {
				if strings.Contains(text, s) {
					t.Errorf("says %q: %s", s, text)
				}
			}
		})
	}
}

// TestTooManyRequestsWaitIsInterruptible: Ctrl-C during the wait ends the
// command then, not after the wait.
func TestTooManyRequestsWaitIsInterruptible(t *testing.T) {
	srv := &answers{list: []func(http.ResponseWriter){refusal(http.StatusTooManyRequests, api.CodeRateLimited, "5", "Too many.")}, seen: make(chan struct{}, 2)}
	hs := httptest.NewServer(srv)
	defer hs.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a := &App{env: Env{Stderr: &bytes.Buffer{}, Stdout: &bytes.Buffer{}}.withDefaults()}
	done := make(chan error, 1)
	go func() {
		done <- a.call(ctx, &Profile{Broker: hs.URL}, http.MethodGet, hs.URL+"/api/v1/me", "", nil, nil)
	}()
	<-srv.seen
	cancel()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "cancelled") || srv.n.Load() != 1 {
			t.Fatalf("call = %v after %d requests, want cancelled after 1", err, srv.n.Load())
		}
	case <-time.After(3 * time.Second): // the broker asked for 5
		t.Fatal("Ctrl-C did not end the wait")
	}
}

func TestSecondsAgree(t *testing.T) {
	for d, want := range map[time.Duration]string{time.Second: "1 second", 500 * time.Millisecond: "1 second", 3 * time.Second: "3 seconds", 1500 * time.Millisecond: "2 seconds"} {
		if got := seconds(d); got != want {
			t.Errorf("seconds(%s) = %q, want %q", d, got, want)
		}
	}
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	for h, want := range map[string]time.Duration{"3": 3 * time.Second, "0": 0, "-1": 0, "soon": 0, "": 0,
		now.Add(4 * time.Second).Format(http.TimeFormat): 4 * time.Second, now.Add(-time.Minute).Format(http.TimeFormat): 0} {
		if got := retryAfter(h, now); got != want {
			t.Errorf("retryAfter(%q) = %s, want %s", h, got, want)
		}
	}
}

// TestWebAdviceBecomesCLIAdvice: where the broker's message gives a page's
// advice, the CLI keeps what is wrong and says what to run instead.
func TestWebAdviceBecomesCLIAdvice(t *testing.T) {
	tests := []struct {
		code     api.Code
		msg      string
		want     string
		notWants []string
	}{
		{api.CodeBadNotebookName, "A notebook name is 1–63 letters, digits and hyphens; check the link you followed.",
			"A notebook name is 1–63 letters, digits and hyphens. See the notebooks you may open with: secds list", []string{"link"}},
		{api.CodeNotebookNotFound, "You have no notebook named x. You can open fraud-alice (team fraud); check the link, or open the start page.",
			"You have no notebook named x. See the notebooks you may open with: secds list", []string{"start page", "link"}},
		{"some_new_code", "Notebook x is not yours. Open the start page to see yours.",
			"Notebook x is not yours. See the notebooks you may open with: secds list", []string{"start page"}},
		{api.CodeNotebookStopped, "Notebook x is stopped (status Stopped). Ask the platform team.",
			"Notebook x is stopped (status Stopped). Ask the platform team.", nil},
	}
	for _, tc := range tests {
		got := (&APIError{Status: 404, Code: tc.code, Message: tc.msg}).Error()
		if got != tc.want {
			t.Errorf("%s: %q\nwant %q", tc.code, got, tc.want)
		}
		for _, s := range tc.notWants {
			if strings.Contains(got, s) {
				t.Errorf("%s: %q still says %q", tc.code, got, s)
			}
		}
	}
}

// TestIsTerminal: only a terminal is one; /dev/null is a character device
// but no terminal, and cron and CI hand it to the CLI.
func TestIsTerminal(t *testing.T) {
	null, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	ptm, pts, err := pty.Open()
	if errors.Is(err, pty.ErrUnsupported) {
		t.Fatalf("no pseudo-terminal on this platform: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer ptm.Close()
	defer pts.Close()
	for name, tc := range map[string]struct {
		in   io.Reader
		want bool
	}{
		"/dev/null": {null, false}, "a pipe": {r, false}, "a pseudo-terminal": {pts, true}, "a reader": {strings.NewReader(""), false},
	} {
		if got := isTerminal(tc.in); got != tc.want {
			t.Errorf("%s: isTerminal = %v, want %v", name, got, tc.want)
		}
	}
}

// TestLoginTooManyRequests: a 429 from the token endpoint is the busy exit
// code with how long to wait, not a failed login.
func TestLoginTooManyRequests(t *testing.T) {
	srv := &answers{list: []func(http.ResponseWriter){refusal(http.StatusTooManyRequests, api.CodeRateLimited, "30", "Too many requests from your address. Wait 30 seconds and try again.")}}
	hs := httptest.NewServer(srv)
	defer hs.Close()
	home := t.TempDir()
	dir := filepath.Join(home, "config", "secds")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	cfg := fmt.Sprintf("profiles:\n  default:\n    broker: %[1]s\n    cli_login_path: /cli/login\n    token_endpoint: %[1]s/api/v1/cli/token\n    api_base: %[1]s/api/v1\n", hs.URL)
	if err := os.WriteFile(filepath.Join(dir, "config.yaml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	code := Run(context.Background(), []string{"login", "--no-browser"}, Env{
		Stdin: strings.NewReader("a-code\n"), Stdout: &bytes.Buffer{}, Stderr: &stderr, Keyring: failingKeyring{},
		Getenv: func(k string) string {
			return map[string]string{"XDG_CONFIG_HOME": filepath.Join(home, "config"), "XDG_CACHE_HOME": filepath.Join(home, "cache"), "HOME": home}[k]
		},
		Interactive: func() bool { return true },
	})
	if code != ExitBusy || !strings.Contains(stderr.String(), "Wait 30 seconds and try again.") || srv.n.Load() != 1 {
		t.Fatalf("exit %d after %d requests, want %d after 1:\n%s", code, srv.n.Load(), ExitBusy, stderr.String())
	}
}
