package server

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/secds/secds/abac"
	"github.com/secds/secds/auth"
	"github.com/secds/secds/internal/audit"
	"github.com/secds/secds/internal/config"
	"github.com/secds/secds/internal/mapstore"
	"github.com/secds/secds/internal/testutil"
)

// testServer is the HTTP layer on its own: a real authenticator (sessions
// are real sealed cookies) whose identity-provider legs are a fake that never
// leaves the process, real broker tokens, a fake broker in place of AWS, and
// an audit trail and log to read back.
type testServer struct {
	t      *testing.T
	s      *Server
	auth   *auth.Authenticator
	tokens *auth.Tokens
	// idp and broker stand in for the identity provider's legs of sign-in
	// and for AWS.
	idp    *fakeIdP
	broker *fakeBroker
	// tokenKey signs the broker tokens, for tests that issue their own.
	tokenKey []byte
	// live is the server's mapping when it has one.
	live LiveMapping
	// remote is the client address of the requests do sends.
	remote string
	audit  *testutil.Buffer
	logs   *testutil.Buffer
	base   string
	// mapping is the live team mapping; sessions and tokens keep what it reads.
	mapping *abac.Mapping
}

// testMapping is the team mapping the server serves, as every deployment has one.
const testMapping = `version: 1
admin_groups: [secds-admins]
teams:
  - name: ds
    match:
      - groups: [data-science]
    role_arn: arn:aws:iam::123456789012:role/secds-team-ds
`

func newTestServer(t *testing.T, publicURL string, edit ...func(*Config)) *testServer {
	t.Helper()
	u, err := url.Parse(publicURL)
	if err != nil {
		t.Fatal(err)
	}
	key := make([]byte, auth.KeySize)
	a, err := auth.New(testutil.AuthConfig(auth.Config{Issuer: "http://127.0.0.1:1", ClientID: "broker", RedirectURL: publicURL + "/callback",
		Keys: [][]byte{key}, Secure: u.Scheme == "https"}))
	if err != nil {
		t.Fatal(err)
	}
	ts := &testServer{t: t, auth: a, tokenKey: make([]byte, auth.TokenKeySize), remote: "192.0.2.10:40000",
		audit: &testutil.Buffer{}, logs: &testutil.Buffer{}, base: publicURL}
	ts.tokens = ts.newTokens(time.Now)
	m, err := abac.Parse("teams.yaml", []byte(testMapping))
	if err != nil {
		t.Fatal(err)
	}
	ts.idp, ts.broker = &fakeIdP{Authenticator: a}, newFakeBroker()
	limits := config.DefaultLimits
	cfg := Config{Auth: ts.idp, Broker: ts.broker, Tokens: ts.tokens, Audit: audit.NewWriter(ts.audit, time.Now), PublicURL: u, Limits: &limits,
		Log: slog.New(slog.NewJSONHandler(ts.logs, nil)), Mapping: mapstore.NewFixed(m)}
	for _, e := range edit {
		e(&cfg)
	}
	ts.live = cfg.Mapping
	ts.mapping = m
	if cfg.Mapping != nil {
		ts.mapping = cfg.Mapping.Mapping()
	}
	if ts.s, err = New(cfg); err != nil {
		t.Fatal(err)
	}
	return ts
}

// newTokens makes broker tokens with the server's key on another clock.
func (ts *testServer) newTokens(now func() time.Time) *auth.Tokens {
	ts.t.Helper()
	tk, err := auth.NewTokens(testutil.TokenConfig(auth.TokenConfig{Issuer: ts.base, Keys: [][]byte{ts.tokenKey}, Codec: ts.auth.Codec(), Now: now}))
	if err != nil {
		ts.t.Fatal(err)
	}
	return tk
}

// withStore serves the mapping from a memory store (history, edits,
// rollback) instead of a fixed one; content is its first version.
func withStore(t *testing.T, content string) func(*Config) {
	return func(c *Config) {
		live, err := mapstore.NewLive(t.Context(), mapstore.NewMemory([]byte(content), mapstore.Change{Author: "seed", Reason: "seed"}, nil),
			mapstore.LiveOptions{Name: "teams.yaml", Log: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		c.Mapping = live
	}
}

// identity is a data scientist of team ds.
func identity(username string) abac.Identity {
	return abac.Identity{Subject: "sub-" + username, Username: username, Groups: []string{"data-science"}}
}

// admin is a data scientist who is also a secds admin.
func admin(username string) abac.Identity {
	id := identity(username)
	id.Groups = append(id.Groups, "secds-admins")
	return id
}

// session is a signed-in browser's session cookie.
func (ts *testServer) session(username string) *http.Cookie { return ts.sessionFor(identity(username)) }

func (ts *testServer) sessionFor(id abac.Identity) *http.Cookie {
	ts.t.Helper()
	c, err := ts.auth.SessionCookie(ts.mapping.Keep(id))
	if err != nil {
		ts.t.Fatal(err)
	}
	return c
}

// token is a broker token for the CLI, as secds login gets it.
func (ts *testServer) token(username string) string { return ts.tokenFor(identity(username)) }

func (ts *testServer) tokenFor(id abac.Identity) string {
	ts.t.Helper()
	tok, err := ts.tokens.Issue(ts.mapping.Keep(id))
	if err != nil {
		ts.t.Fatal(err)
	}
	return tok.Raw
}

// bearer is the Authorization header of a token.
func bearer(tok string) []string { return []string{"Authorization", "Bearer " + tok} }

// do sends one request to the server; headers are name, value pairs.
func (ts *testServer) do(method, path string, body io.Reader, cookie *http.Cookie, headers ...string) *httptest.ResponseRecorder {
	ts.t.Helper()
	r := httptest.NewRequest(method, ts.base+path, body)
	r.RemoteAddr = ts.remote
	if body != nil {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if cookie != nil {
		r.AddCookie(cookie)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		r.Header.Set(headers[i], headers[i+1])
	}
	w := httptest.NewRecorder()
	ts.s.ServeHTTP(w, r)
	return w
}

var csrfInput = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// csrfFrom takes the CSRF token out of a page's form.
func csrfFrom(t *testing.T, page string) string {
	t.Helper()
	m := csrfInput.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no csrf_token in the page:\n%s", page)
	}
	return m[1]
}

// clears says whether the response ends the session cookie.
func clears(w *httptest.ResponseRecorder) bool {
	for _, c := range w.Result().Cookies() {
		if strings.HasSuffix(c.Name, "secds_session") && c.MaxAge < 0 {
			return true
		}
	}
	return false
}
