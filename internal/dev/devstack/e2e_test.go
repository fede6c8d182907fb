package devstack_test

import (
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

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

func TestRefusalsAreClearPages(t *testing.T) {
	e := start(t)
	tests := []struct {
		name, user, path string
		status           int
		code             string
		parts            []string
		auditCode        string // when the audit trail records more than the page says
	}{
		// Another team's notebook answers as a missing one does, so names
		// cannot be probed; the audit event keeps the true reason.
		{"bob may not open alice's notebook", "bob", "/open?notebook=fraud-alice", http.StatusNotFound, "notebook_not_found",
			[]string{"Notebook not found", "You have no notebook named fraud-alice", "You can open marketing-bob (team marketing)"}, "notebook_not_allowed"},
		{"carol has no team", "carol", "/open?notebook=fraud-alice", http.StatusForbidden, "no_team",
			[]string{"You are not in a team yet", "Ask the data platform team (#ds-platform)"}, ""},
		{"a stopped notebook", "alice", "/open?notebook=fraud-alice-scratch", http.StatusConflict, "notebook_stopped",
			[]string{"fraud-alice-scratch is stopped"}, ""},
		{"a missing notebook", "alice", "/open?notebook=no-such-notebook", http.StatusNotFound, "notebook_not_found",
			[]string{"Notebook not found", "You have no notebook named no-such-notebook", "You can open fraud-alice (team fraud)"}, ""},
		{"a malformed name", "alice", "/open?notebook=..%2Fetc", http.StatusBadRequest, "bad_notebook_name",
			[]string{"1–63 letters"}, ""},
		{"a team that is not yours", "alice", "/open?team=marketing", http.StatusForbidden, "team_not_allowed",
			[]string{"not a member of team marketing"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := e.browser(tc.user).visit(e.st.BrokerURL + tc.path)
			p.mustContain(t, tc.status, append(tc.parts, `data-code="`+tc.code+`"`, "request ID")...)
			if strings.Contains(p.body, "goroutine") || strings.Contains(p.body, ".go:") {
				t.Errorf("the page shows a stack trace:\n%s", p.body)
			}
			ev := e.lastOpen(tc.user)
			want := tc.code
			if tc.auditCode != "" {
				want = tc.auditCode
			}
			if ev["code"] != want || ev["decision"] == "granted" {
				t.Errorf("audit event = %v, want a refusal with code %s", ev, want)
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
	// A link to /logout (or a typed URL) asks first and signs no one out.
	confirm := alice.visit(e.st.BrokerURL + "/logout")
	confirm.mustContain(t, http.StatusOK, "Sign out of secds?", `action="/logout"`)
	tok := regexp.MustCompile(`name="csrf_token" value="([^"]+)"`).FindStringSubmatch(confirm.body)
	if tok == nil {
		t.Fatalf("the sign-out form has no CSRF token:\n%s", confirm.body)
	}
	alice.visit(e.st.BrokerURL+"/").mustContain(t, http.StatusOK, "Hello, alice")

	// A cross-site form, even one with the token, and a sandboxed one
	// (Origin: null), are refused.
	for _, origin := range []string{"https://evil.example", "null"} {
		req, _ := http.NewRequest(http.MethodPost, e.st.BrokerURL+"/logout", strings.NewReader(url.Values{"csrf_token": {html.UnescapeString(tok[1])}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", origin)
		resp, err := alice.c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("logout with Origin %s = %d, want 403", origin, resp.StatusCode)
		}
	}
	alice.visit(e.st.BrokerURL+"/").mustContain(t, http.StatusOK, "Hello, alice")

	req, _ := http.NewRequest(http.MethodPost, e.st.BrokerURL+"/logout", strings.NewReader(url.Values{"csrf_token": {html.UnescapeString(tok[1])}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", e.st.BrokerURL)
	resp, err := alice.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/signed-out" {
		t.Fatalf("logout = %d, Location %q; want 303 to /signed-out", resp.StatusCode, resp.Header.Get("Location"))
	}
	alice.visit(e.st.BrokerURL+"/signed-out").mustContain(t, http.StatusOK, "You are signed out", `href="/login"`)
	resp, err = alice.c.Get(e.st.BrokerURL + "/open?notebook=fraud-alice")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); !strings.HasPrefix(loc, e.st.IdPURL) {
		t.Fatalf("after logout /open should go to the identity provider, went to %q", loc)
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
			"Referrer-Policy":        "same-origin",
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
	// HSTS follows the public URL (http here), not the client's header.
	req, _ := http.NewRequest(http.MethodGet, e.st.BrokerURL+"/healthz", nil)
	req.Header.Set("X-Forwarded-Proto", "https")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if hsts := resp.Header.Get("Strict-Transport-Security"); hsts != "" {
		t.Errorf("HSTS %q on a plain-http broker because the client said X-Forwarded-Proto: https", hsts)
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
