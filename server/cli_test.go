package server

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/secds/secds/auth"
	"github.com/secds/secds/internal/ratelimit"
)

func TestLoopbackRedirect(t *testing.T) {
	tests := map[string]bool{
		"http://127.0.0.1:4711/callback":           true,
		"http://[::1]:4711/callback":               true,
		"http://localhost:4711/callback":           false, // RFC 8252 §8.3: may resolve elsewhere
		"http://LOCALHOST:4711/callback":           false,
		"http://127.0.0.1:04711/callback":          false, // leading zero: not canonical
		"http://127.0.0.1:0080/callback":           false,
		"http://127.0.0.1:+80/callback":            false,
		"http://[0:0:0:0:0:0:0:1]:4711/callback":   false, // ::1 only as written by the CLI
		"http://::1:4711/callback":                 false,
		"http://127.0.0.1:65535/callback":          true,
		"http://127.0.0.1:1/callback":              true,
		"http://127.0.0.1:/callback":               false,
		"http://127.0.0.1/callback":                false, // no port
		"http://127.0.0.1:0/callback":              false,
		"http://127.0.0.1:70000/callback":          false,
		"https://127.0.0.1:4711/callback":          false, // the CLI listens on plain http
		"http://127.0.0.1:4711/":                   false,
		"http://127.0.0.1:4711/callback/":          false,
		"http://127.0.0.1:4711/%63allback":         false,
		"http://127.0.0.1:4711/callback?x=1":       false,
		"http://127.0.0.1:4711/callback?":          false,
		"http://127.0.0.1:4711/callback#f":         false,
		"http://user@127.0.0.1:4711/callback":      false,
		"http://evil.example:4711/callback":        false,
		"http://localhost.evil.example:1/callback": false,
		"http://127.0.0.1.nip.io:1/callback":       false,
		"http://10.0.0.1:4711/callback":            false,
		"http://127.0.0.2:4711/callback":           false,
		"http://0.0.0.0:4711/callback":             false,
		"//127.0.0.1:4711/callback":                false,
		"http:127.0.0.1:4711/callback":             false,
		"javascript:alert(1)":                      false,
		"http://127.0.0.1:4711/callback\n":         false,
		"":                                         false,
	}
	for raw, want := range tests {
		if got := loopbackRedirect(raw); got != want {
			t.Errorf("loopbackRedirect(%q) = %v, want %v", raw, got, want)
		}
	}
}

func TestValidState(t *testing.T) {
	for s, want := range map[string]bool{"abcdefgh": true, "short": false, "abc def gh": false, "abcdefgh<script>": false, "aB3-_.~zzz": true} {
		if got := validState(s); got != want {
			t.Errorf("validState(%q) = %v, want %v", s, got, want)
		}
	}
}

// Every page a signed-in person sees while signing in the CLI renders, and
// its header carries the sign-out form with the session's CSRF token.
func TestCLIPagesRenderWithTheSignOutForm(t *testing.T) {
	ts := newTestServer(t, "https://notebooks.example")
	sess := ts.session("alice")
	own := []string{"Origin", "https://notebooks.example"}
	const challenge = "k15bcYZq7JYoF4T2Svd_kDqRKoE3p3IMDsKOQF_Cc9Y"
	query := "code_challenge=" + challenge + "&code_challenge_method=S256"
	check := func(what string, w *httptest.ResponseRecorder, want string) string {
		t.Helper()
		body := w.Body.String()
		if w.Code != http.StatusOK || !strings.Contains(body, want) {
			t.Fatalf("%s = %d, want 200 with %q:\n%s", what, w.Code, want, body)
		}
		header := body[strings.Index(body, "<header>"):strings.Index(body, "</header>")]
		if !strings.Contains(header, `id="logout"`) || csrfFrom(t, header) == "" {
			t.Errorf("%s: no sign-out form in the header:\n%s", what, header)
		}
		return body
	}
	page := check("GET /cli/login", ts.do(http.MethodGet, "/cli/login?"+query, nil, sess), `id="cli-confirm"`)
	tok := csrfFrom(t, page[strings.Index(page, `id="cli-confirm"`):])
	check("cancel", ts.do(http.MethodPost, "/cli/login", strings.NewReader(query+"&decision=cancel&csrf_token="+tok), sess, own...), "cancel")
	check("allow", ts.do(http.MethodPost, "/cli/login", strings.NewReader(query+"&decision=allow&csrf_token="+tok), sess, own...), "code")
}

// TestWrongCodesAreRateLimited: an address that keeps sending wrong sign-in
// codes is told to wait, even with a right one, until its bucket refills;
// another address is not.
func TestWrongCodesAreRateLimited(t *testing.T) {
	clock := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	ts := newTestServer(t, "https://notebooks.example", func(c *Config) {
		c.Now = func() time.Time { return clock }
		c.Limits = &ratelimit.Limits{} // the general limits off: only the guess limit counts
	})
	verifier := strings.Repeat("v", 43)
	code, err := ts.tokens.NewUserCode(context.Background(), identity("alice"), auth.S256Challenge(verifier))
	if err != nil {
		t.Fatal(err)
	}
	redeem := func(code string) *httptest.ResponseRecorder {
		body := fmt.Sprintf(`{"code":%q,"code_verifier":%q}`, code, verifier)
		return ts.do(http.MethodPost, "/api/v1/cli/token", strings.NewReader(body), nil, "Content-Type", "application/json")
	}
	for i := range codeGuessRate.Burst {
		if w := redeem("BCDF-GHJK"); w.Code != http.StatusBadRequest {
			t.Fatalf("wrong code %d: %d %s", i+1, w.Code, w.Body)
		}
	}
	w := redeem(code)
	if w.Code != http.StatusTooManyRequests || !strings.Contains(w.Body.String(), "too many wrong sign-in codes") || w.Header().Get("Retry-After") == "" {
		t.Fatalf("after %d wrong codes: %d %s %v, want 429 with Retry-After", codeGuessRate.Burst, w.Code, w.Body, w.Header())
	}
	ts.remote = "198.51.100.7:40000"
	if w := redeem("BCDF-GHJK"); w.Code != http.StatusBadRequest {
		t.Errorf("another address: %d, want its own bucket", w.Code)
	}
	ts.remote = "192.0.2.10:40000"
	clock = clock.Add(10 * time.Second)
	if w := redeem(code); w.Code != http.StatusOK {
		t.Errorf("ten seconds later, the right code: %d %s", w.Code, w.Body)
	}
}
