package e2e

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// startLogin sends the user's browser to /login and returns the state the
// broker handed the identity provider, without going there.
func startLogin(t *testing.T, u *HTTPUser, next string) string {
	t.Helper()
	resp, err := u.Client.Get(u.st.URL + "/login?next=" + url.QueryEscape(next))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || err != nil || !strings.HasPrefix(loc.String(), u.st.ProviderURL) {
		t.Fatalf("/login answered %d, Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	return loc.Query().Get("state")
}

// TestProviderErrorAtTheCallback: /callback?error=...&error_description=...
// is a link anyone can send. Without this browser's login it is just an
// expired sign-in; with it, the page and the audit trail say a fixed
// sentence, and only the server log holds the description.
func TestProviderErrorAtTheCallback(t *testing.T) {
	t.Parallel()
	const text = "Your account is locked. Call +1-555-0100 now"
	st := StartStack(t, StackOptions{})
	callback := func(state string) string {
		q := url.Values{"error": {"access_denied"}, "error_description": {text + " <script>alert(1)</script>"}, "iss": {st.ProviderURL}}
		if state != "" {
			q.Set("state", state)
		}
		return st.URL + "/callback?" + q.Encode()
	}

	t.Run("before any state check", func(t *testing.T) {
		p := NewHTTPUser(t, st, "alice").Visit(callback("forged-state-value"))
		p.MustContain(t, http.StatusBadRequest, `data-code="login_expired"`)
		if strings.Contains(p.Body, "555-0100") || strings.Contains(st.Audit.String(), "555-0100") || strings.Contains(st.Logs.String(), "555-0100") {
			t.Errorf("the description of an unchecked callback reached the page, the audit trail or the log")
		}
	})

	t.Run("after the state check", func(t *testing.T) {
		alice := NewHTTPUser(t, st, "alice")
		state := startLogin(t, alice, "/")
		p := alice.Visit(callback(state))
		p.MustContain(t, http.StatusBadRequest, `data-code="idp_refused"`, "access was denied or the sign-in was cancelled")
		if strings.Contains(p.Body, "555-0100") || strings.Contains(p.Body, "alert(1)") {
			t.Errorf("the page shows the provider's text:\n%s", p.Body)
		}
		if strings.Contains(st.Audit.String(), "555-0100") {
			t.Errorf("the audit trail holds the provider's text:\n%s", st.Audit.String())
		}
		var found bool
		for _, ev := range st.AuditEvents(t) {
			found = found || ev["type"] == "login" && ev["decision"] == "denied" && ev["code"] == "idp_refused"
		}
		if !found {
			t.Errorf("no denied login event with code idp_refused:\n%s", st.Audit.String())
		}
		if !strings.Contains(st.Logs.String(), "555-0100") {
			t.Errorf("the server log lacks the provider's description:\n%s", st.Logs.String())
		}
	})
}

// TestLoginCookiesCannotLockTheBrowserOut: a page that sends the browser to
// /login?next=<2 KB> thirty times leaves it with a few small login
// cookies, not a Cookie header the broker would refuse with 431.
func TestLoginCookiesCannotLockTheBrowserOut(t *testing.T) {
	t.Parallel()
	st := StartStack(t, StackOptions{})
	alice := NewHTTPUser(t, st, "alice")
	broker, _ := url.Parse(st.URL)
	for i := 0; i < 30; i++ {
		startLogin(t, alice, "/open?notebook="+strings.Repeat("a", 2000))
	}
	var n, size int
	for _, c := range alice.Client.Jar.Cookies(broker) {
		if strings.HasPrefix(c.Name, "secds_login_") {
			n++
			size += len(c.Name) + len(c.Value) + 3
		}
	}
	if n > 3 || size > 4000 {
		t.Errorf("after 30 logins the browser holds %d login cookies, %d bytes", n, size)
	}
	// The browser still signs in and opens a notebook.
	alice.Visit(st.URL+"/open?notebook=fraud-alice").MustContain(t, http.StatusOK, `id="notebook-name">fraud-alice<`)
}
