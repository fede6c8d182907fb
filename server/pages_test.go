package server

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/secds/secds/abac"
	"github.com/secds/secds/broker"
	"github.com/secds/secds/internal/api"
)

// auditHas says whether the audit trail has an event with all of parts.
func auditHas(ts *testServer, parts ...string) bool {
	for _, line := range strings.Split(ts.audit.String(), "\n") {
		all := line != ""
		for _, p := range parts {
			all = all && strings.Contains(line, p)
		}
		if all {
			return true
		}
	}
	return false
}

func TestLandingPage(t *testing.T) {
	ts := newTestServer(t, "https://notebooks.example")
	t.Run("signed out: an invitation to sign in", func(t *testing.T) {
		w := ts.do(http.MethodGet, "/", nil, nil)
		if body := w.Body.String(); w.Code != http.StatusOK || !strings.Contains(body, `href="/login"`) || strings.Contains(body, `id="logout"`) {
			t.Errorf("GET / = %d:\n%s", w.Code, body)
		}
	})
	t.Run("signed in: teams and notebooks", func(t *testing.T) {
		body := ts.do(http.MethodGet, "/", nil, ts.session("alice")).Body.String()
		for _, want := range []string{"Hello, alice", "<strong>ds</strong>", `href="/open?team=ds&amp;notebook=ds-alice"`, `id="logout"`} {
			if !strings.Contains(body, want) {
				t.Errorf("the landing page lacks %q:\n%s", want, body)
			}
		}
	})
	t.Run("a list problem is shown, not a failure", func(t *testing.T) {
		ts.broker.listErr = &api.Error{Kind: api.KindForbidden, Code: "no_team", Message: "Ask to be added to a team."}
		defer func() { ts.broker.listErr = nil }()
		w := ts.do(http.MethodGet, "/", nil, ts.session("alice"))
		if body := w.Body.String(); w.Code != http.StatusOK || !strings.Contains(body, "You are not in a team yet") || !strings.Contains(body, "Ask to be added to a team.") {
			t.Errorf("GET / with no team = %d:\n%s", w.Code, body)
		}
	})
}

func TestLoginAndCallback(t *testing.T) {
	ts := newTestServer(t, "https://notebooks.example")
	t.Run("login sends to the provider with the login cookie", func(t *testing.T) {
		w := ts.do(http.MethodGet, "/login?next=/open%3Fnotebook%3Dx", nil, nil)
		if next, ok := signInRedirect(w); !ok || next != "/open?notebook=x" {
			t.Fatalf("GET /login = %d %q", w.Code, w.Header().Get("Location"))
		}
		var set, expired bool
		for _, c := range w.Result().Cookies() {
			set = set || c.Name == "__Host-secds_login_1" && c.Value != ""
			expired = expired || c.Name == "__Host-secds_login_0" && c.MaxAge < 0
		}
		if !set || !expired {
			t.Errorf("login cookie set %v, older one ended %v", set, expired)
		}
	})
	t.Run("the provider down: a 503 page, audited", func(t *testing.T) {
		ts.idp.beginErr = &api.Error{Kind: api.KindUnavailable, Code: "idp_unavailable", Message: "The identity provider cannot be reached.", RetryAfter: 30 * time.Second}
		defer func() { ts.idp.beginErr = nil }()
		w := ts.do(http.MethodGet, "/login", nil, nil)
		if body := w.Body.String(); w.Code != http.StatusServiceUnavailable || !strings.Contains(body, "Sign-in is unavailable") || w.Header().Get("Retry-After") != "30" {
			t.Errorf("GET /login, provider down = %d (Retry-After %q):\n%s", w.Code, w.Header().Get("Retry-After"), body)
		}
		if !auditHas(ts, `"type":"login"`, `"decision":"failed"`, `"code":"idp_unavailable"`) {
			t.Errorf("no failed-login event:\n%s", ts.audit)
		}
	})
	t.Run("a callback signs in and goes on, safely", func(t *testing.T) {
		for next, want := range map[string]string{"/open?notebook=x": "/open?notebook=x", "https://evil.example/": "/", "//evil.example": "/"} {
			ts.idp.finish = func() (abac.Identity, string, error) { return admin("carol"), next, nil }
			w := ts.do(http.MethodGet, "/callback?code=c&state=s", nil, nil)
			if w.Code != http.StatusFound || w.Header().Get("Location") != want {
				t.Errorf("callback to %q = %d %q, want %q", next, w.Code, w.Header().Get("Location"), want)
			}
			var sess *http.Cookie
			for _, c := range w.Result().Cookies() {
				if strings.HasSuffix(c.Name, "secds_session") && c.MaxAge >= 0 {
					sess = c
				}
			}
			if sess == nil {
				t.Fatal("the callback set no session cookie")
			}
			// The session works, and carries only what the mapping reads.
			var me api.MeResponse
			decode(t, "me after sign-in", ts.do(http.MethodGet, "/api/v1/me", nil, sess), http.StatusOK, &me)
			if me.Identity.Username != "carol" {
				t.Errorf("signed in as %q", me.Identity.Username)
			}
		}
		if !auditHas(ts, `"type":"login"`, `"decision":"granted"`, `"user":"carol"`) {
			t.Errorf("no login event:\n%s", ts.audit)
		}
	})
	t.Run("a refused callback: a page, audited, the login cookie ended", func(t *testing.T) {
		ts.idp.finish = nil
		w := ts.do(http.MethodGet, "/callback?code=c&state=s", nil, nil)
		if body := w.Body.String(); w.Code != http.StatusBadRequest || !strings.Contains(body, "Sign-in failed") || !strings.Contains(body, "This sign-in has expired") {
			t.Errorf("refused callback = %d:\n%s", w.Code, body)
		}
		if !clearsCookie(w, "__Host-secds_login_1") {
			t.Error("the login cookie was not ended")
		}
		if !auditHas(ts, `"type":"login"`, `"decision":"denied"`, `"code":"login_expired"`) {
			t.Errorf("no denied-login event:\n%s", ts.audit)
		}
	})
	t.Run("no mapping: nobody can sign in", func(t *testing.T) {
		none := newTestServer(t, "https://notebooks.example", func(c *Config) { c.Mapping = nil })
		none.idp.finish = func() (abac.Identity, string, error) { return identity("alice"), "/", nil }
		w := none.do(http.MethodGet, "/callback?code=c&state=s", nil, nil)
		if w.Code != http.StatusServiceUnavailable || !strings.Contains(w.Body.String(), "no team mapping loaded") {
			t.Errorf("callback without a mapping = %d:\n%s", w.Code, w.Body)
		}
		if !auditHas(none, `"type":"login"`, `"decision":"failed"`, `"code":"mapping_unavailable"`) {
			t.Errorf("no failed-login event:\n%s", none.audit)
		}
	})
}

// clearsCookie says whether the response ends the named cookie.
func clearsCookie(w interface{ Result() *http.Response }, name string) bool {
	for _, c := range w.Result().Cookies() {
		if c.Name == name && c.MaxAge < 0 {
			return true
		}
	}
	return false
}

func TestOpenPage(t *testing.T) {
	ts := newTestServer(t, "https://notebooks.example")
	sess := ts.session("alice")
	t.Run("signed out: sign in, then back to the bookmark", func(t *testing.T) {
		if next, ok := signInRedirect(ts.do(http.MethodGet, "/open?team=ds&notebook=ds-alice", nil, nil)); !ok || next != "/open?team=ds&notebook=ds-alice" {
			t.Errorf("GET /open signed out: sign-in %v, next %q", ok, next)
		}
		if n := len(ts.broker.openCalls()); n != 0 {
			t.Errorf("the broker was asked %d times for a signed-out visitor", n)
		}
	})
	t.Run("302 into the notebook, leaking no Referer", func(t *testing.T) {
		w := ts.do(http.MethodGet, "/open?team=ds&notebook=ds-alice", nil, sess)
		if w.Code != http.StatusFound || w.Header().Get("Location") != secretURL || w.Header().Get("Referrer-Policy") != "no-referrer" || w.Header().Get("Cache-Control") != "no-store" {
			t.Errorf("GET /open = %d, Location %q, Referrer-Policy %q, Cache-Control %q", w.Code, w.Header().Get("Location"), w.Header().Get("Referrer-Policy"), w.Header().Get("Cache-Control"))
		}
		if strings.Contains(w.Body.String(), "SECRET-PRESIGNED") {
			t.Error("the URL is in the body")
		}
		if strings.Contains(ts.logs.String(), "SECRET-PRESIGNED") {
			t.Error("the URL is in the log")
		}
		last := ts.broker.openCalls()[len(ts.broker.openCalls())-1]
		if last.Team != "ds" || last.Notebook != "ds-alice" || last.Via != "browser" || last.TokenID != "" {
			t.Errorf("the broker was asked %+v", last)
		}
	})
	t.Run("several fit: a chooser", func(t *testing.T) {
		ts.broker.openRes = broker.OpenResult{Choices: []broker.Notebook{{Team: "ds", Name: "a", Status: "InService"}, {Team: "ml", Name: "b", Status: "Stopped"}}}
		defer func() { ts.broker.openRes = newFakeBroker().openRes }()
		w := ts.do(http.MethodGet, "/open", nil, sess)
		body := w.Body.String()
		if w.Code != http.StatusOK || !strings.Contains(body, "Which notebook?") || !strings.Contains(body, `href="/open?team=ds&amp;notebook=a"`) {
			t.Errorf("chooser = %d:\n%s", w.Code, body)
		}
		// A stopped notebook shows its state and who starts it, not a
		// link that always fails.
		if strings.Contains(body, `notebook=b"`) || !strings.Contains(body, "Stopped") || !strings.Contains(body, `id="start-advice"`) || !strings.Contains(body, "ask the platform team to start it") {
			t.Errorf("the chooser offers the stopped notebook, or hides its state or who starts it:\n%s", body)
		}
	})
	t.Run("a refusal is a page with its title and status", func(t *testing.T) {
		ts.broker.openErr = &api.Error{Kind: api.KindConflict, Code: "notebook_stopped", Message: "Start it in the console.", Err: errors.New("SECRET-CAUSE")}
		defer func() { ts.broker.openErr = nil }()
		w := ts.do(http.MethodGet, "/open?notebook=ds-alice", nil, sess)
		body := w.Body.String()
		if w.Code != http.StatusConflict || !strings.Contains(body, "The notebook is stopped") || !strings.Contains(body, `data-code="notebook_stopped"`) ||
			!strings.Contains(body, "Start it in the console.") || !strings.HasPrefix(w.Header().Get("Content-Type"), echo.MIMETextHTML) {
			t.Errorf("refused open = %d %s:\n%s", w.Code, w.Header().Get("Content-Type"), body)
		}
		if strings.Contains(body, "SECRET-CAUSE") {
			t.Error("the page shows the cause")
		}
	})
}
