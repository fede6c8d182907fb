package e2e

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/secds/secds/configs"
	"github.com/secds/secds/internal/dev/devidp"
)

// Entra ID-sized people (500 groups of 36 characters): alice belongs to the
// fraud team; trent does too by group, but is excluded as terminated.
var entraPeople = []devidp.User{
	{Subject: "entra-alice", Username: "alice", Name: "Alice Entra", Email: "alice@example.com",
		Groups: devidp.EntraGroups(500, "ds-fraud"), Extra: map[string]any{"employment": "employed"}},
	{Subject: "entra-trent", Username: "trent", Name: "Trent Entra", Email: "trent@example.com",
		Groups: devidp.EntraGroups(500, "ds-fraud"), Extra: map[string]any{"employment": "terminated"}},
}

func entraMapping(extraExclude string) []byte {
	return []byte(strings.Replace(string(configs.DevTeams), "      - groups: [ds-fraud]\n",
		"      - groups: [ds-fraud]\n    exclude:\n      - claims: [{path: employment, equals: [terminated]}]\n"+extraExclude, 1))
}

// setMapping writes the mapping file every replica serves and waits until
// all of them serve it.
func setMapping(t *testing.T, st *Stack, content []byte) {
	t.Helper()
	var before []string
	for _, r := range st.Replicas {
		before = append(before, r.Broker.Mapping.Mapping().References().Digest())
	}
	if err := os.WriteFile(filepath.Join(filepath.Dir(st.ConfigFile), "teams.yaml"), content, 0o600); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for i, r := range st.Replicas {
		for r.Broker.Mapping.Mapping().References().Digest() == before[i] {
			if time.Now().After(deadline) {
				t.Fatalf("replica %d did not load the new mapping", i)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// TestEntraSizedIdentities signs Entra-sized people in through Hydra in
// Chromium: the exclude rule on a claim holds for the terminated one (before,
// the session dropped claims to fit its cookie, and he got a notebook), the
// other opens her notebook, and a mapping change that names a new group
// sends her back through sign-in on her way, to the notebook she asked for.
func TestEntraSizedIdentities(t *testing.T) {
	st := StartStack(t, StackOptions{Provider: StartProviderWith(t, entraPeople)})
	setMapping(t, st, entraMapping(""))

	alice := NewBrowser(t)
	if status := signIn(t, st, alice, "/open?notebook=fraud-alice", "alice"); status != http.StatusOK {
		t.Fatalf("alice after signing in: status %d, want 200", status)
	}
	wantNotebookPage(t, alice, "fraud-alice", "alice", "fraud")

	trent := NewBrowser(t)
	if status := signIn(t, st, trent, "/open?notebook=fraud-alice", "trent"); status != http.StatusForbidden {
		t.Errorf("terminated trent after signing in: status %d, want 403", status)
	}
	if ev := lastAudit(t, st, "open", "trent"); ev["decision"] != "denied" {
		t.Errorf("trent's open event = %v", ev)
	}

	setMapping(t, st, entraMapping("      - groups: [on-leave]\n"))
	logins := len(st.Provider.Login.Logins())
	alice.Navigate(st.URL + "/open?notebook=fraud-alice")
	if loc := alice.Location(); !strings.HasPrefix(loc, st.Provider.Login.URL+"/login?") {
		t.Fatalf("alice's stale session landed on %s, want sign-in again", redact(loc))
	}
	if status := alice.ClickAndWait("login-alice").Status; status != http.StatusOK {
		t.Fatalf("alice after signing in again: status %d", status)
	}
	wantNotebookPage(t, alice, "fraud-alice", "alice", "fraud")
	if n := len(st.Provider.Login.Logins()); n != logins+1 {
		t.Errorf("the provider saw %d logins, want 1", n-logins)
	}
}
