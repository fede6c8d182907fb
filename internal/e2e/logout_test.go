package e2e

import (
	"net/http"
	"strings"
	"testing"
)

// TestBrowserSignsOut: the header's sign-out form, in a real browser. It
// checks what only a browser decides: the Origin it sends from the broker's
// own page is the broker's (with Referrer-Policy no-referrer it would be
// "null", which the broker refuses), and form-action 'self' lets the form
// post and follow the 303 to the signed-out page. A typed /logout asks
// first; a reload of the signed-out page posts nothing.
func TestBrowserSignsOut(t *testing.T) {
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
	if ev := lastAudit(t, st, "logout", "alice"); ev["decision"] != "granted" {
		t.Errorf("logout audit event = %v", ev)
	}
	// Signed out for real: a notebook needs a new sign-in.
	b.Navigate(st.URL + "/open?notebook=fraud-alice")
	if loc := b.Location(); !strings.HasPrefix(loc, st.Provider.Login.URL+"/login?") {
		t.Errorf("after signing out /open landed on %s, want the provider's login page", redact(loc))
	}
}
