package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// signIn is the part every browser test shares: from a broker page that
// needs a session, through Hydra to the login page, and a click on the
// user's button. It returns the final response after all the redirects.
func signIn(t *testing.T, st *Stack, b *Browser, path, user string) int64 {
	t.Helper()
	b.Navigate(st.URL + path)
	if loc := b.Location(); !strings.HasPrefix(loc, st.Provider.Login.URL+"/login?") {
		t.Fatalf("opening %s landed on %s, want the provider's login page", path, redact(loc))
	}
	if got := b.Text("login-title"); !strings.Contains(got, "secds-e2e-") {
		t.Errorf("login page title = %q, want it to name the broker's client", got)
	}
	return b.ClickAndWait("login-" + user).Status
}

func wantNotebookPage(t *testing.T, b *Browser, notebook, user, team string) {
	t.Helper()
	for id, want := range map[string]string{"notebook-name": notebook, "source-identity": user, "team": team} {
		if got := b.Text(id); got != want {
			t.Errorf("#%s = %q, want %q", id, got, want)
		}
	}
}

// TestBrowserBookmarkOpensTheNotebook runs over https, as in production
// (TLS at the proxy, __Host- cookies), and once over http on loopback, as
// the dev stack runs.
func TestBrowserBookmarkOpensTheNotebook(t *testing.T) {
	for _, scheme := range []string{"https", "http"} {
		t.Run(scheme, func(t *testing.T) {
			st := StartStack(t, StackOptions{Provider: sharedProvider(t), Scheme: scheme})
			b := NewBrowser(t)

			if status := signIn(t, st, b, "/open?notebook=fraud-alice", "alice"); status != http.StatusOK {
				t.Fatalf("after signing in: status %d, want 200", status)
			}
			wantNotebookPage(t, b, "fraud-alice", "alice", "fraud")
			if loc := b.Location(); !strings.Contains(loc, "/notebooks/fraud-alice") {
				t.Errorf("the notebook page is at %s", redact(loc))
			}
			wantBrokerCookies(t, st, b)
			ev := lastAudit(t, st, "open", "alice")
			if ev["decision"] != "granted" || ev["notebook"] != "fraud-alice" || ev["team"] != "fraud" {
				t.Errorf("open event = %v", ev)
			}

			t.Run("the bookmark again needs no login", func(t *testing.T) {
				logins := len(st.Provider.Login.Logins())
				if resp := b.Navigate(st.URL + "/open?notebook=fraud-alice"); resp.Status != http.StatusOK {
					t.Fatalf("status %d", resp.Status)
				}
				wantNotebookPage(t, b, "fraud-alice", "alice", "fraud")
				if n := len(st.Provider.Login.Logins()); n != logins {
					t.Errorf("the provider saw %d more logins; the session cookie should have been enough", n-logins)
				}
			})
		})
	}
}

func TestBrowserChooserWhenTwoNotebooksFit(t *testing.T) {
	st := StartStack(t, StackOptions{Provider: sharedProvider(t)})
	b := NewBrowser(t)

	if status := signIn(t, st, b, "/open", "alice"); status != http.StatusOK {
		t.Fatalf("after signing in: status %d, want the chooser (200)", status)
	}
	if h := b.Text("choices"); !strings.Contains(h, "fraud-alice-scratch") || !strings.Contains(h, "fraud-alice") {
		t.Fatalf("the chooser lists %q, want both of alice's notebooks", h)
	}
	if ev := lastAudit(t, st, "open", "alice"); ev["decision"] != "choose" {
		t.Errorf("open event = %v, want decision choose", ev)
	}
	if resp := b.ClickLink("fraud-alice-scratch"); resp.Status != http.StatusOK {
		t.Fatalf("clicking fraud-alice-scratch: status %d", resp.Status)
	}
	wantNotebookPage(t, b, "fraud-alice-scratch", "alice", "fraud")
}

func TestBrowserDeniedUserSeesWhy(t *testing.T) {
	st := StartStack(t, StackOptions{Provider: sharedProvider(t)})
	b := NewBrowser(t)

	// Another team's notebook answers as a missing one would (404), so
	// names cannot be probed; the audit event keeps the true reason.
	if status := signIn(t, st, b, "/open?notebook=fraud-alice", "bob"); status != http.StatusNotFound {
		t.Fatalf("bob opening fraud-alice: status %d, want 404", status)
	}
	if code := b.Attribute("problem", "data-code"); code != "notebook_not_found" {
		t.Errorf("problem code = %q, want notebook_not_found", code)
	}
	body := b.Body()
	for _, want := range []string{"Notebook not found", "You have no notebook named fraud-alice", "You can open marketing-bob (team marketing)", "request ID"} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %q:\n%s", want, body)
		}
	}
	if ev := lastAudit(t, st, "open", "bob"); ev["code"] != "notebook_not_allowed" || ev["decision"] == "granted" {
		t.Errorf("open event = %v, want a refusal", ev)
	}
}

// lastAudit is the newest audit event of a type for a user.
func lastAudit(t *testing.T, st *Stack, typ, user string) map[string]any {
	t.Helper()
	lines := strings.Split(st.Audit.String(), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		var ev map[string]any
		if json.Unmarshal([]byte(lines[i]), &ev) == nil && ev["type"] == typ && ev["user"] == user {
			return ev
		}
	}
	t.Fatalf("no %s event for %s in the audit trail:\n%s", typ, user, st.Audit.String())
	return nil
}
