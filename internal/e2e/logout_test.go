package e2e

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// TestSignOut: the header's sign-out form. In Chromium it
// checks what only a browser decides: the Origin it sends from the broker's
// own page is the broker's (with Referrer-Policy no-referrer it would be
// "null", which the broker refuses), and form-action 'self' lets the form
// post and follow the 303 to the signed-out page. A typed /logout asks
// first; a reload of the signed-out page posts nothing. Hop by hop, the
// form's CSRF token and Origin checks.
func TestSignOut(t *testing.T) {
	t.Run("in Chromium", func(t *testing.T) {
		st := StartStack(t, StackOptions{Provider: sharedProvider(t)})
		b := NewBrowser(t)
		if status := signIn(t, st, b, "/login", "alice"); status != http.StatusOK {
			t.Fatalf("after signing in: status %d, want 200", status)
		}
		if got := b.Text("whoami"); got != "alice" {
			t.Fatalf("signed in as %q", got)
		}

		// A link to /logout signs no one out: it asks.
		if resp := b.Navigate(st.URL + "/logout"); resp.Status != http.StatusOK || !strings.Contains(b.Body(), "Sign out of secds?") {
			t.Fatalf("GET /logout: status %d:\n%s", resp.Status, b.Body())
		}
		b.Navigate(st.URL + "/")
		if got := b.Text("whoami"); got != "alice" {
			t.Fatalf("GET /logout signed alice out (header says %q)", got)
		}

		resp := b.ClickAndWait("logout")
		if resp.Status != http.StatusOK || !strings.HasSuffix(b.Location(), "/signed-out") {
			t.Fatalf("sign out: status %d at %s:\n%s", resp.Status, redact(b.Location()), b.Body())
		}
		if got := b.Text("signed-out"); got != "You are signed out" {
			t.Errorf("signed-out page heading = %q", got)
		}
		if ev := st.LastAudit(t, "logout", "alice"); ev["decision"] != "granted" {
			t.Errorf("logout audit event = %v", ev)
		}
		// Signed out for real: a notebook needs a new sign-in.
		b.Navigate(st.URL + "/open?notebook=fraud-alice")
		if loc := b.Location(); !strings.HasPrefix(loc, st.Provider.Login.URL+"/login?") {
			t.Errorf("after signing out /open landed on %s, want the provider's login page", redact(loc))
		}
	})
	t.Run("hop by hop", func(t *testing.T) {
		t.Parallel()
		st := StartStack(t, StackOptions{})
		alice := NewHTTPUser(t, st, "alice")
		alice.Visit(st.URL+"/open?notebook=fraud-alice").MustContain(t, http.StatusOK, "fraud-alice")
		// A link to /logout (or a typed URL) asks first and signs no one out.
		confirm := alice.Visit(st.URL + "/logout")
		confirm.MustContain(t, http.StatusOK, "Sign out of secds?", `action="/logout"`)
		tok := regexp.MustCompile(`name="csrf_token" value="([^"]+)"`).FindStringSubmatch(confirm.Body)
		if tok == nil {
			t.Fatalf("the sign-out form has no CSRF token:\n%s", confirm.Body)
		}
		alice.Visit(st.URL+"/").MustContain(t, http.StatusOK, "Hello, alice")

		// A cross-site form, even one with the token, and a sandboxed one
		// (Origin: null), are refused.
		for _, origin := range []string{"https://evil.example", "null"} {
			req, _ := http.NewRequest(http.MethodPost, st.URL+"/logout", strings.NewReader(url.Values{"csrf_token": {html.UnescapeString(tok[1])}}.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Origin", origin)
			resp, err := alice.Client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusForbidden {
				t.Errorf("logout with Origin %s = %d, want 403", origin, resp.StatusCode)
			}
		}
		alice.Visit(st.URL+"/").MustContain(t, http.StatusOK, "Hello, alice")

		req, _ := http.NewRequest(http.MethodPost, st.URL+"/logout", strings.NewReader(url.Values{"csrf_token": {html.UnescapeString(tok[1])}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", st.URL)
		resp, err := alice.Client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/signed-out" {
			t.Fatalf("logout = %d, Location %q; want 303 to /signed-out", resp.StatusCode, resp.Header.Get("Location"))
		}
		alice.Visit(st.URL+"/signed-out").MustContain(t, http.StatusOK, "You are signed out", `href="/login"`)
		resp, err = alice.Client.Get(st.URL + "/open?notebook=fraud-alice")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if loc := resp.Header.Get("Location"); !strings.HasPrefix(loc, st.ProviderURL) {
			t.Fatalf("after logout /open should go to the identity provider, went to %q", loc)
		}
	})
}
