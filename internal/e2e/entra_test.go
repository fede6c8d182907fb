package e2e

import (
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/secds/secds/cmd/secds/cli"
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
	if err := os.WriteFile(st.MappingFile, content, 0o600); err != nil {
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

// logins counts user's granted logins via the browser or the api.
func logins(t *testing.T, st *Stack, user, via string) int {
	t.Helper()
	n := 0
	for _, ev := range st.AuditEvents(t) {
		if ev["type"] == "login" && ev["user"] == user && ev["via"] == via && ev["decision"] == "granted" {
			n++
		}
	}
	return n
}

// TestEntraSizedIdentities: with 500 groups, the exclude rule on a claim
// still holds for the terminated one, in the browser and the CLI (before,
// the session dropped claims to fit its cookie, and he got a notebook); the
// person who should get in does, with a session cookie under 4 KB; and a
// mapping change that names a group the sessions did not keep makes them
// stale: the browser signs in again on its way to the notebook asked for,
// the CLI gets 401 session_stale and logs in again. In Chromium through
// Hydra, and hop by hop with the CLI against the dev identity provider.
func TestEntraSizedIdentities(t *testing.T) {
	t.Run("in Chromium", func(t *testing.T) {
		st := StartStack(t, StackOptions{Provider: StartProviderWith(t, entraPeople), Mapping: entraMapping("")})

		alice := NewBrowser(t)
		if status := signIn(t, st, alice, "/open?notebook=fraud-alice", "alice"); status != http.StatusOK {
			t.Fatalf("alice after signing in: status %d, want 200", status)
		}
		wantNotebookPage(t, alice, "fraud-alice", "alice", "fraud")

		trent := NewBrowser(t)
		if status := signIn(t, st, trent, "/open?notebook=fraud-alice", "trent"); status != http.StatusForbidden {
			t.Errorf("terminated trent after signing in: status %d, want 403", status)
		}
		if ev := st.LastAudit(t, "open", "trent"); ev["decision"] != "denied" {
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
	})
	t.Run("hop by hop and the CLI", func(t *testing.T) {
		t.Parallel()
		st := StartStack(t, StackOptions{Users: entraPeople, Mapping: entraMapping("")})
		alice, trent := newLaptop(t, st, "alice"), newLaptop(t, st, "trent")
		bookmark := st.URL + "/open?notebook=fraud-alice"

		t.Run("browser", func(t *testing.T) {
			alice.browser.Visit(bookmark).MustContain(t, http.StatusOK, `id="notebook-name">fraud-alice<`)
			u, _ := url.Parse(st.URL)
			for _, ck := range alice.browser.Client.Jar.Cookies(u) {
				if strings.HasSuffix(ck.Name, "secds_session") && len(ck.String()) >= 4096 {
					t.Errorf("session cookie is %d bytes", len(ck.String()))
				}
			}
			if p := trent.browser.Visit(bookmark); p.Status == http.StatusOK || strings.Contains(p.Body, "notebook-name") {
				t.Fatalf("terminated trent opened the notebook: %d\n%s", p.Status, p.Body)
			}
			if ev := st.LastAudit(t, "open", "trent"); ev["decision"] != "denied" {
				t.Errorf("trent's open event = %v", ev)
			}
		})

		alice.configure()
		trent.configure()
		t.Run("CLI", func(t *testing.T) {
			alice.run("login").want(t, 0, "as alice")
			alice.run("open", "fraud-alice", "--print-url").want(t, 0, "http")
			trent.run("login").want(t, 0, "as trent")
			trent.run("open", "fraud-alice", "--print-url").want(t, cli.ExitDenied)
			if ev := st.LastAudit(t, "open", "trent"); ev["decision"] != "denied" || ev["via"] != "api" {
				t.Errorf("trent's CLI open event = %v", ev)
			}
		})

		// The mapping now also excludes a group nobody's session kept.
		token := alice.storedToken("default")
		setMapping(t, st, entraMapping("      - groups: [on-leave]\n"))

		t.Run("a stale token gets 401 session_stale", func(t *testing.T) {
			status, hdr, m := apiCall(t, nil, http.MethodGet, st.URL+"/api/v1/me", token, nil, nil)
			msg, _ := m["error"].(map[string]any)["message"].(string)
			if status != http.StatusUnauthorized || errCode(m) != "session_stale" || !strings.Contains(msg, "Run secds login again") || hdr.Get("WWW-Authenticate") == "" {
				t.Fatalf("GET /api/v1/me with a stale token = %d %v", status, m)
			}
		})
		t.Run("a stale browser session signs in again on its way", func(t *testing.T) {
			n := logins(t, st, "alice", "browser")
			alice.browser.Visit(bookmark).MustContain(t, http.StatusOK, `id="notebook-name">fraud-alice<`)
			if got := logins(t, st, "alice", "browser"); got != n+1 {
				t.Errorf("browser logins %d → %d; the stale session should have signed in once more", n, got)
			}
			if p := trent.browser.Visit(bookmark); p.Status == http.StatusOK {
				t.Error("trent got in after the change")
			}
		})
		t.Run("the CLI logs in again", func(t *testing.T) {
			r := alice.run("open", "fraud-alice", "--print-url")
			r.want(t, 0, "http")
			if !strings.Contains(r.stderr, "session_stale") {
				t.Errorf("the CLI did not say why it logged in again:\n%s", r.stderr)
			}
		})
	})
}
