package e2e

import (
	"net/http"
	"testing"

	"github.com/secds/secds/configs"
)

// TestAdminPageAccessibility walks the admin page through each state an
// admin meets, in Chromium against Hydra, and checks each as TestPages
// checks the others (CheckPage: its text, no sideways scroll on a phone, a
// screenshot, the axe-core audit): the mapping and its history, an explain
// result, the editor's mistakes, a saved edit with its diff, and the
// rollback's confirmation.
func TestAdminPageAccessibility(t *testing.T) {
	st := StartStack(t, StackOptions{Provider: sharedProvider(t)})
	b := NewBrowser(t)
	if status := signIn(t, st, b, "/admin", "admin"); status != http.StatusOK {
		t.Fatalf("admin page: status %d", status)
	}
	b.CheckPage("admin-page", "secds admin", "Team mapping", "History", "Explain")

	b.Fill("explain-username", "alice")
	b.Fill("explain-groups", "ds-fraud")
	b.ClickAndWait("explain-submit")
	b.CheckPage("admin-explain", "For alice", "fraud")

	b.Navigate(st.URL + "/admin")
	b.Fill("editor-content", "version: 1\nteams:\n  - name: x\n    role_arn: nope\n")
	if resp := b.ClickAndWait("editor-validate"); resp.Status != http.StatusOK {
		t.Fatalf("validate: status %d", resp.Status)
	}
	b.CheckPage("admin-mistakes", "nothing was stored", "role_arn: nope")

	b.Navigate(st.URL + "/admin")
	b.Fill("editor-content", string(edit(t, configs.DevTeams, "cost-center: cc-1042", "cost-center: cc-7777")))
	b.Fill("editor-reason", "fraud moves to cc-7777")
	if resp := b.ClickAndWait("editor-save"); resp.Status != http.StatusOK {
		t.Fatalf("save: status %d", resp.Status)
	}
	b.CheckPage("admin-saved", "Saved as version 2", "Roll back to version 1")

	if resp := b.ClickAndWait("rollback-1"); resp.Status != http.StatusOK {
		t.Fatalf("the rollback link: status %d", resp.Status)
	}
	b.CheckPage("admin-rollback-confirm", "Roll back to version 1?")
}
