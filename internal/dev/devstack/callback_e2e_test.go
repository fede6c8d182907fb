package devstack_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// startLogin sends the user's browser to /login and returns the state the
// broker handed the identity provider, without going there.
func (u *user) startLogin(next string) string {
	u.e.t.Helper()
	resp, err := u.c.Get(u.e.st.BrokerURL + "/login?next=" + url.QueryEscape(next))
	if err != nil {
		u.e.t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || err != nil || !strings.HasPrefix(loc.String(), u.e.st.IdPURL) {
		u.e.t.Fatalf("/login answered %d, Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	return loc.Query().Get("state")
}

// TestProviderErrorAtTheCallback: /callback?error=...&error_description=...
// is a link anyone can send. Without this browser's login it is just an
// expired sign-in; with it, the page and the audit trail say a fixed
// sentence, and only the server log holds the description.
func TestProviderErrorAtTheCallback(t *testing.T) {
	const text = "Your account is locked. Call +1-555-0100 now"
	e := start(t)
	callback := func(state string) string {
		q := url.Values{"error": {"access_denied"}, "error_description": {text + " <script>alert(1)</script>"}, "iss": {e.st.IdPURL}}
		if state != "" {
			q.Set("state", state)
		}
		return e.st.BrokerURL + "/callback?" + q.Encode()
	}

	t.Run("before any state check", func(t *testing.T) {
		p := e.browser("alice").visit(callback("forged-state-value"))
		p.mustContain(t, http.StatusBadRequest, `data-code="login_expired"`)
		if strings.Contains(p.body, "555-0100") || strings.Contains(e.audit.String(), "555-0100") || strings.Contains(e.logs.String(), "555-0100") {
			t.Errorf("the description of an unchecked callback reached the page, the audit trail or the log")
		}
	})

	t.Run("after the state check", func(t *testing.T) {
		alice := e.browser("alice")
		state := alice.startLogin("/")
		p := alice.visit(callback(state))
		p.mustContain(t, http.StatusBadRequest, `data-code="idp_refused"`, "access was denied or the sign-in was cancelled")
		if strings.Contains(p.body, "555-0100") || strings.Contains(p.body, "alert(1)") {
			t.Errorf("the page shows the provider's text:\n%s", p.body)
		}
		if strings.Contains(e.audit.String(), "555-0100") {
			t.Errorf("the audit trail holds the provider's text:\n%s", e.audit.String())
		}
		var found bool
		for _, ev := range e.auditEvents() {
			found = found || ev["type"] == "login" && ev["decision"] == "denied" && ev["code"] == "idp_refused"
		}
		if !found {
			t.Errorf("no denied login event with code idp_refused:\n%s", e.audit.String())
		}
		if !strings.Contains(e.logs.String(), "555-0100") {
			t.Errorf("the server log lacks the provider's description:\n%s", e.logs.String())
		}
	})
}

// TestLoginCookiesCannotLockTheBrowserOut: a page that sends the browser to
// /login?next=<2 KB> thirty times leaves it with a few small login
// cookies, not a Cookie header the broker would refuse with 431.
func TestLoginCookiesCannotLockTheBrowserOut(t *testing.T) {
	e := start(t)
	alice := e.browser("alice")
	broker, _ := url.Parse(e.st.BrokerURL)
	for i := 0; i < 30; i++ {
		alice.startLogin("/open?notebook=" + strings.Repeat("a", 2000))
	}
	var n, size int
	for _, c := range alice.jar.Cookies(broker) {
		if strings.HasPrefix(c.Name, "secds_login_") {
			n++
			size += len(c.Name) + len(c.Value) + 3
		}
	}
	if n > 3 || size > 4000 {
		t.Errorf("after 30 logins the browser holds %d login cookies, %d bytes", n, size)
	}
	// The browser still signs in and opens a notebook.
	alice.visit(e.st.BrokerURL+"/open?notebook=fraud-alice").mustContain(t, http.StatusOK, `id="notebook-name">fraud-alice<`)
}
