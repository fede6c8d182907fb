package e2e

import (
	"net/http"
	"strings"
	"testing"
)

// TestBrowserAdminExplains: an admin signs in at the provider, opens the
// admin page and asks why alice gets what she gets. The form's CSRF token
// is checked by whichever replica the proxy picks.
func TestBrowserAdminExplains(t *testing.T) {
	st := StartStack(t, StackOptions{Provider: sharedProvider(t)})
	b := NewBrowser(t)

	if status := signIn(t, st, b, "/admin", "admin"); status != http.StatusOK {
		t.Fatalf("admin opening /admin: status %d, want 200", status)
	}
	if v := b.Attribute("mapping-state", "data-valid"); v != "true" {
		t.Errorf("mapping state data-valid = %q, want true", v)
	}
	b.Fill("explain-username", "alice")
	b.Fill("explain-groups", "ds-fraud")
	b.Click("explain-notebooks")
	if resp := b.ClickAndWait("explain-submit"); resp.Status != http.StatusOK {
		t.Fatalf("explain: status %d", resp.Status)
	}
	if got := b.Text("explain-who"); got != "alice" {
		t.Errorf("explained %q, want alice", got)
	}
	if got := b.Attribute("explain-result", "data-granted"); got != "fraud" {
		t.Errorf("granted teams = %q, want fraud", got)
	}
	for _, want := range []string{"arn:aws:iam::123456789012:role/secds-team-fraud", "owner=alice"} {
		if row := b.Text("explain-team-fraud"); !strings.Contains(row, want) {
			t.Errorf("the fraud row %q lacks %q", row, want)
		}
	}
	if row := b.Text("explain-team-marketing"); !strings.Contains(strings.ToLower(row), "ds-marketing") {
		t.Errorf("the marketing row %q does not say which group was missing", row)
	}
	for _, nb := range []string{"fraud-alice", "fraud-alice-scratch"} {
		if row := b.Text("explain-notebook-" + nb); !strings.Contains(row, nb) {
			t.Errorf("notebook row %q, want %s listed", row, nb)
		}
	}
	if ev := lastAudit(t, st, "admin", "admin"); ev["code"] != "explain" || ev["decision"] != "granted" {
		t.Errorf("last admin event = %v, want the explain", ev)
	}
}

func TestBrowserAdminPageRefusesOthers(t *testing.T) {
	st := StartStack(t, StackOptions{Provider: sharedProvider(t)})
	b := NewBrowser(t)
	if status := signIn(t, st, b, "/admin", "alice"); status != http.StatusForbidden {
		t.Fatalf("alice opening /admin: status %d, want 403", status)
	}
	if body := b.Body(); strings.Contains(body, "Explain") {
		t.Errorf("alice sees the admin page:\n%s", body)
	}
}
