package devstack_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/secds/secds/internal/devstack"
	"github.com/secds/secds/internal/testutil"
)

type env struct {
	t     *testing.T
	st    *devstack.Stack
	logs  *testutil.Buffer
	audit *testutil.Buffer
	// responses holds every byte the broker sent, but the cookies it sets
	// and the Location of the one redirect that carries a presigned URL.
	responses *testutil.Buffer
	// secrets are values that must never appear in a log or audit line.
	secrets map[string]string
}

func start(t *testing.T) *env {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	logs, auditOut, responses := &testutil.Buffer{}, &testutil.Buffer{}, &testutil.Buffer{}
	st, err := devstack.Start(ctx, devstack.Options{
		Addr:     "127.0.0.1:0",
		Log:      slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		AuditOut: auditOut,
		Wrap:     func(h http.Handler) http.Handler { return capture(h, responses) },
	})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, st: st, logs: logs, audit: auditOut, responses: responses, secrets: map[string]string{"client secret": st.ClientSecret}}
	t.Cleanup(e.checkNoLeaks)
	return e
}

// capture records what the broker writes: status, headers and body.
func capture(h http.Handler, out io.Writer) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &recorder{ResponseWriter: w}
		h.ServeHTTP(rec, r)
		hdr := w.Header().Clone()
		hdr.Del("Set-Cookie") // the browser must get its cookies
		if strings.Contains(hdr.Get("Location"), "authToken=") {
			hdr.Del("Location") // the redirect itself is the one place a URL may go
		}
		fmt.Fprintf(out, "%s %s -> %d %v\n%s\n", r.Method, r.URL.Path, rec.status, hdr, rec.body.String())
	})
}

type recorder struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (r *recorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(p []byte) (int, error) {
	r.body.Write(p)
	return r.ResponseWriter.Write(p)
}

// user is one person's browser: a cookie jar and no automatic redirects, so
// every hop is seen.
type user struct {
	e    *env
	name string
	c    *http.Client
	jar  *cookiejar.Jar
}

func (e *env) browser(name string) *user {
	jar, _ := cookiejar.New(nil)
	return &user{e: e, name: name, jar: jar, c: &http.Client{
		Jar:           jar,
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

var (
	formActionRE = regexp.MustCompile(`action="([^"]+)"`)
	reqIDRE      = regexp.MustCompile(`name="req" value="([^"]+)"`)
)

type page struct {
	status int
	body   string
	header http.Header
	hops   []string // every URL visited, in order
}

// visit follows redirects like a browser and, on the identity provider's
// login page, signs in as the user by submitting their form.
func (u *user) visit(start string) page {
	u.e.t.Helper()
	var p page
	next, method, form := start, http.MethodGet, url.Values(nil)
	for i := 0; i < 15; i++ {
		p.hops = append(p.hops, next)
		var resp *http.Response
		var err error
		if method == http.MethodPost {
			resp, err = u.c.PostForm(next, form)
		} else {
			resp, err = u.c.Get(next)
		}
		if err != nil {
			u.e.t.Fatalf("%s %s: %v", method, next, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		u.collectSecrets(resp)
		p.status, p.body, p.header = resp.StatusCode, string(body), resp.Header
		switch {
		case resp.StatusCode >= 300 && resp.StatusCode < 400:
			loc, err := resp.Request.URL.Parse(resp.Header.Get("Location"))
			if err != nil {
				u.e.t.Fatalf("bad Location from %s: %v", next, err)
			}
			next, method = loc.String(), http.MethodGet
		case strings.HasPrefix(next, u.e.st.IdPURL) && strings.Contains(p.body, `id="login-`+u.name+`"`):
			action := formActionRE.FindStringSubmatch(p.body)
			req := reqIDRE.FindStringSubmatch(p.body)
			if action == nil || req == nil {
				u.e.t.Fatalf("login page has no form: %s", p.body)
			}
			a, _ := resp.Request.URL.Parse(html.UnescapeString(action[1]))
			next, method, form = a.String(), http.MethodPost, url.Values{"req": {html.UnescapeString(req[1])}, "username": {u.name}}
		default:
			return p
		}
	}
	u.e.t.Fatalf("too many redirects from %s: %v", start, p.hops)
	return p
}

func (u *user) collectSecrets(resp *http.Response) {
	for _, c := range resp.Cookies() {
		if c.Value != "" {
			u.e.secrets["cookie "+c.Name] = c.Value
		}
	}
	if loc := resp.Header.Get("Location"); strings.Contains(loc, "authToken=") {
		l, _ := url.Parse(loc)
		u.e.secrets["presigned token"] = l.Query().Get("authToken")
	}
	if loc := resp.Header.Get("Location"); strings.Contains(loc, "code=") {
		l, _ := url.Parse(loc)
		u.e.secrets["authorization code"] = l.Query().Get("code")
	}
}

func (p page) presignedURL(t *testing.T) string {
	t.Helper()
	for _, h := range p.hops {
		if strings.Contains(h, "/notebooks/") && strings.Contains(h, "authToken=") {
			return h
		}
	}
	t.Fatalf("no presigned URL among hops %v", p.hops)
	return ""
}

func (p page) mustContain(t *testing.T, status int, parts ...string) {
	t.Helper()
	if p.status != status {
		t.Fatalf("status = %d, want %d; body:\n%s", p.status, status, p.body)
	}
	for _, s := range parts {
		if !strings.Contains(p.body, s) {
			t.Errorf("page lacks %q; body:\n%s", s, p.body)
		}
	}
}

func (e *env) auditEvents() []map[string]any {
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(e.audit.String()), "\n") {
		if line == "" {
			continue
		}
		var ev map[string]any
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			e.t.Fatalf("audit line is not JSON: %q", line)
		}
		out = append(out, ev)
	}
	return out
}

func (e *env) lastOpen(user string) map[string]any {
	e.t.Helper()
	evs := e.auditEvents()
	for i := len(evs) - 1; i >= 0; i-- {
		if evs[i]["type"] == "open" && evs[i]["user"] == user {
			return evs[i]
		}
	}
	e.t.Fatalf("no open event for %s in audit:\n%s", user, e.audit.String())
	return nil
}

// checkNoLeaks fails the test if any secret seen on the wire appears in the
// logs or the audit trail.
func (e *env) checkNoLeaks() {
	all := e.logs.String() + e.audit.String() + e.responses.String()
	if strings.Contains(all, "authToken") {
		e.t.Errorf("a presigned URL reached the logs")
	}
	for what, v := range e.secrets {
		if len(v) >= 8 && strings.Contains(all, v) {
			e.t.Errorf("%s appears in the logs or audit trail", what)
		}
	}
	for _, s := range []string{"dev-only-not-a-real-secret", "SessionToken", "X-Amz-Security-Token"} {
		if strings.Contains(all, s) {
			e.t.Errorf("%q appears in the logs or audit trail", s)
		}
	}
}

func TestAliceOpensHerNotebookFromABookmark(t *testing.T) {
	e := start(t)
	alice := e.browser("alice")
	p := alice.visit(e.st.BrokerURL + "/open?notebook=fraud-alice")
	p.mustContain(t, http.StatusOK, `id="notebook-name">fraud-alice<`, `id="source-identity">alice<`, `id="team">fraud<`)
	if !strings.HasPrefix(p.hops[1], e.st.IdPURL) {
		t.Errorf("second hop = %s, want the identity provider", p.hops[1])
	}
	var sawCallback bool
	for _, h := range p.hops {
		sawCallback = sawCallback || strings.HasPrefix(h, e.st.BrokerURL+"/callback?")
	}
	if !sawCallback {
		t.Errorf("the login did not come back through /callback: %v", p.hops)
	}
	ev := e.lastOpen("alice")
	if ev["decision"] != "granted" || ev["team"] != "fraud" || ev["notebook"] != "fraud-alice" ||
		ev["role"] != "arn:aws:iam::123456789012:role/secds-team-fraud" || ev["client_ip"] != "127.0.0.1" || ev["request_id"] == "" {
		t.Errorf("open event = %v", ev)
	}

	t.Run("the URL works once", func(t *testing.T) {
		again := alice.visit(p.presignedURL(t))
		again.mustContain(t, http.StatusForbidden, "already used")
	})
	t.Run("a fresh URL expires after five minutes", func(t *testing.T) {
		u := alice.presign("fraud-alice")
		e.st.AWS.Advance(5*time.Minute + time.Second)
		alice.visit(u).mustContain(t, http.StatusForbidden, "expired")
		alice.visit(alice.presign("fraud-alice")).mustContain(t, http.StatusOK, `id="notebook-name">fraud-alice<`)
	})
}

// presign asks the broker for a notebook with the user's session and returns
// the presigned URL without following it.
func (u *user) presign(notebook string) string {
	u.e.t.Helper()
	resp, err := u.c.Get(u.e.st.BrokerURL + "/open?notebook=" + notebook)
	if err != nil {
		u.e.t.Fatal(err)
	}
	resp.Body.Close()
	u.collectSecrets(resp)
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusFound || !strings.Contains(loc, "authToken=") {
		u.e.t.Fatalf("open %s: status %d, Location %q; want a 302 to a presigned URL", notebook, resp.StatusCode, loc)
	}
	for h, want := range map[string]string{"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"} {
		if got := resp.Header.Get(h); got != want {
			u.e.t.Errorf("%s = %q on the redirect to AWS, want %q", h, got, want)
		}
	}
	return loc
}

func TestRefusalsAreClearPages(t *testing.T) {
	e := start(t)
	tests := []struct {
		name, user, path string
		status           int
		code             string
		parts            []string
	}{
		{"bob may not open alice's notebook", "bob", "/open?notebook=fraud-alice", http.StatusForbidden, "notebook_not_allowed",
			[]string{"This notebook is not yours", "fraud-alice is not yours to open", "team marketing opens notebooks tagged owner=bob, team=marketing"}},
		{"carol has no team", "carol", "/open?notebook=fraud-alice", http.StatusForbidden, "no_team",
			[]string{"You are not in a team yet", "Ask the data platform team (#ds-platform)"}},
		{"a stopped notebook", "alice", "/open?notebook=fraud-alice-scratch", http.StatusConflict, "notebook_stopped",
			[]string{"fraud-alice-scratch is stopped"}},
		{"a missing notebook", "alice", "/open?notebook=no-such-notebook", http.StatusNotFound, "notebook_not_found",
			[]string{"There is no notebook named no-such-notebook"}},
		{"a malformed name", "alice", "/open?notebook=..%2Fetc", http.StatusBadRequest, "bad_notebook_name",
			[]string{"1–63 letters"}},
		{"a team that is not yours", "alice", "/open?team=marketing", http.StatusForbidden, "team_not_allowed",
			[]string{"not a member of team marketing"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := e.browser(tc.user).visit(e.st.BrokerURL + tc.path)
			p.mustContain(t, tc.status, append(tc.parts, `data-code="`+tc.code+`"`, "request ID")...)
			if strings.Contains(p.body, "goroutine") || strings.Contains(p.body, ".go:") {
				t.Errorf("the page shows a stack trace:\n%s", p.body)
			}
			ev := e.lastOpen(tc.user)
			if ev["code"] != tc.code || ev["decision"] == "granted" {
				t.Errorf("audit event = %v, want a refusal with code %s", ev, tc.code)
			}
		})
	}
}

func TestLandingAndChooser(t *testing.T) {
	e := start(t)
	anon := e.browser("alice")
	p := anon.visit(e.st.BrokerURL + "/")
	p.mustContain(t, http.StatusOK, "Open my notebook", `href="/open"`)

	// alice has two notebooks (one stopped), so "Open my notebook" asks.
	p = anon.visit(e.st.BrokerURL + "/open")
	p.mustContain(t, http.StatusOK, "Which notebook?", `/open?team=fraud&amp;notebook=fraud-alice"`, "notebook=fraud-alice-scratch", "Stopped")
	if ev := e.lastOpen("alice"); ev["decision"] != "choose" {
		t.Errorf("audit event = %v, want decision choose", ev)
	}
	p = anon.visit(e.st.BrokerURL + "/")
	p.mustContain(t, http.StatusOK, "Hello, alice", "<strong>fraud</strong>", "fraud-alice-scratch", `id="logout"`)

	// bob has exactly one notebook: the button goes straight there.
	bob := e.browser("bob")
	bob.visit(e.st.BrokerURL+"/open").mustContain(t, http.StatusOK, `id="notebook-name">marketing-bob<`)
}

func TestLogoutEndsTheSession(t *testing.T) {
	e := start(t)
	alice := e.browser("alice")
	alice.visit(e.st.BrokerURL+"/open?notebook=fraud-alice").mustContain(t, http.StatusOK, "fraud-alice")
	resp, err := alice.c.PostForm(e.st.BrokerURL+"/logout", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("logout status = %d", resp.StatusCode)
	}
	resp, err = alice.c.Get(e.st.BrokerURL + "/open?notebook=fraud-alice")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); !strings.HasPrefix(loc, e.st.IdPURL) {
		t.Fatalf("after logout /open should go to the identity provider, went to %q", loc)
	}

	req, _ := http.NewRequest(http.MethodPost, e.st.BrokerURL+"/logout", nil)
	req.Header.Set("Origin", "https://evil.example")
	resp, err = alice.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-origin logout status = %d, want 403", resp.StatusCode)
	}
}

func TestHealthAndReadiness(t *testing.T) {
	e := start(t)
	for _, path := range []string{"/healthz", "/readyz"} {
		resp, err := http.Get(e.st.BrokerURL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s = %d %s", path, resp.StatusCode, body)
		}
	}
	e.st.IdP.SetDown(true)
	// The provider was discovered at the first /readyz, so the broker stays
	// ready for existing sessions; a broker that never saw it is not ready.
	resp, err := http.Get(e.st.BrokerURL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("/readyz after the provider went down = %d, want 200 (discovery is cached)", resp.StatusCode)
	}
}

func TestRateLimitAnswers429(t *testing.T) {
	e := start(t)
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	var limited *http.Response
	for i := 0; i < 200 && limited == nil; i++ {
		resp, err := c.Get(e.st.BrokerURL + "/login")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusTooManyRequests {
			limited = resp
		}
	}
	if limited == nil {
		t.Fatal("200 logins in a burst from one address were all let through")
	}
	if ra := limited.Header.Get("Retry-After"); ra == "" || ra == "0" {
		t.Errorf("Retry-After = %q", ra)
	}
	// Other endpoints are not limited: health checks keep working.
	resp, err := c.Get(e.st.BrokerURL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("/healthz = %d while /login is limited", resp.StatusCode)
	}
}

func TestEveryPageCarriesSecurityHeaders(t *testing.T) {
	e := start(t)
	alice := e.browser("alice")
	alice.visit(e.st.BrokerURL + "/open?notebook=fraud-alice")
	pages := []string{"/", "/open?notebook=no-such-notebook", "/open?notebook=fraud-alice-scratch", "/nope", "/healthz", "/readyz", "/static/style.css", "/login"}
	for _, path := range pages {
		resp, err := alice.c.Get(e.st.BrokerURL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		want := map[string]string{
			"Cache-Control":          "no-store",
			"Referrer-Policy":        "no-referrer",
			"X-Content-Type-Options": "nosniff",
			"X-Frame-Options":        "DENY",
		}
		for h, v := range want {
			if got := resp.Header.Get(h); got != v {
				t.Errorf("%s: %s = %q, want %q", path, h, got, v)
			}
		}
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") || !strings.Contains(csp, "default-src 'none'") {
			t.Errorf("%s: Content-Security-Policy = %q", path, csp)
		}
		if resp.Header.Get("Strict-Transport-Security") != "" {
			t.Errorf("%s: HSTS on plain http", path)
		}
	}
	req, _ := http.NewRequest(http.MethodGet, e.st.BrokerURL+"/healthz", nil)
	req.Header.Set("X-Forwarded-Proto", "https") // behind a TLS-terminating load balancer
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if !strings.HasPrefix(resp.Header.Get("Strict-Transport-Security"), "max-age=") {
		t.Error("no HSTS when served over TLS")
	}
}

func TestIdentityProviderDown(t *testing.T) {
	t.Run("existing sessions keep working", func(t *testing.T) {
		e := start(t)
		alice := e.browser("alice")
		alice.visit(e.st.BrokerURL+"/open?notebook=fraud-alice").mustContain(t, http.StatusOK, "fraud-alice")
		e.st.IdP.SetDown(true)
		alice.visit(alice.presign("fraud-alice")).mustContain(t, http.StatusOK, `id="notebook-name">fraud-alice<`)
	})
	t.Run("a new login gets a clear page, 503 and an audit event", func(t *testing.T) {
		e := start(t)
		e.st.IdP.SetDown(true) // before the broker ever reached it
		p := e.browser("bob").visit(e.st.BrokerURL + "/open?notebook=marketing-bob")
		p.mustContain(t, http.StatusServiceUnavailable, "Sign-in is unavailable", "cannot be reached")
		if p.header.Get("Retry-After") == "" {
			t.Error("no Retry-After")
		}
		var found bool
		for _, ev := range e.auditEvents() {
			found = found || ev["type"] == "login" && ev["decision"] == "failed" && ev["code"] == "idp_unavailable"
		}
		if !found {
			t.Errorf("no failed-login audit event:\n%s", e.audit.String())
		}
		// Recovery once the provider is back: auth's TestProviderDownAtLogin
		// moves the clock past the broker's back-off.
	})
}
