package devstack_test

import (
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/secds/secds/cmd/secds/cli"
	"github.com/secds/secds/configs"
	"github.com/secds/secds/internal/dev/devidp"
	"github.com/secds/secds/internal/dev/devstack"
)

// Entra ID-sized people: 500 groups of 36 characters each. alice is on the
// fraud team; trent is too, by group, but the mapping excludes terminated
// staff by a claim.
var entraUsers = []devidp.User{
	{Subject: "entra-alice", Username: "alice", Name: "Alice Entra", Email: "alice@example.com",
		Groups: devidp.EntraGroups(500, "ds-fraud"), Extra: map[string]any{"employment": "employed"}},
	{Subject: "entra-trent", Username: "trent", Name: "Trent Entra", Email: "trent@example.com",
		Groups: devidp.EntraGroups(500, "ds-fraud"), Extra: map[string]any{"employment": "terminated"}},
}

// excludeTerminated is the dev mapping with terminated staff out of fraud.
func excludeTerminated(extra string) string {
	return strings.Replace(string(configs.DevTeams), "      - groups: [ds-fraud]\n",
		"      - groups: [ds-fraud]\n    exclude:\n      - claims: [{path: employment, equals: [terminated]}]\n"+extra, 1)
}

func startEntra(t *testing.T) *cliEnv {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "teams.yaml"), []byte(excludeTerminated("")), 0o600); err != nil {
		t.Fatal(err)
	}
	return startCLIWith(t, "alice", devstack.Options{Users: entraUsers, MappingDir: dir})
}

// as is another person on the same stack, with their own browser and CLI.
func (c *cliEnv) as(user string) *cliEnv {
	jar, _ := cookiejar.New(nil)
	o := &cliEnv{
		t: c.t, st: c.st, cancel: c.cancel, logs: c.logs, audit: c.audit, output: c.output, home: c.t.TempDir(), browserUser: user, keyring: noKeyring{},
		browser: &http.Client{Jar: jar, Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
		now:     time.Now(), secrets: c.secrets,
	}
	return o
}

func (c *cliEnv) logins(user, via string) int {
	n := 0
	for _, ev := range (&env{t: c.t, audit: c.audit}).auditEvents() {
		if ev["type"] == "login" && ev["user"] == user && ev["via"] == via && ev["decision"] == "granted" {
			n++
		}
	}
	return n
}

// TestEntraSizedIdentities: with 500 groups, the exclude rule still applies
// in the browser and the CLI (before, the session dropped the claims to fit,
// and the terminated user got a notebook), the person who should get in
// does, with a session cookie under 4 KB, and a mapping that starts to
// name a group the sessions did not keep makes them stale: the browser signs
// in again on its way to the notebook, the CLI gets 401 session_stale.
func TestEntraSizedIdentities(t *testing.T) {
	alice := startEntra(t)
	trent := alice.as("trent")
	base := alice.st.BrokerURL
	bookmark := base + "/open?notebook=fraud-alice"

	t.Run("browser", func(t *testing.T) {
		page, status, err := alice.follow(bookmark)
		if err != nil || !strings.Contains(page, `id="notebook-name">fraud-alice<`) {
			t.Fatalf("alice's bookmark: %d %v\n%s", status, err, page)
		}
		u, _ := url.Parse(base)
		for _, ck := range alice.browser.Jar.Cookies(u) {
			if strings.HasSuffix(ck.Name, "secds_session") && len(ck.String()) >= 4096 {
				t.Errorf("session cookie is %d bytes", len(ck.String()))
			}
		}
		page, status, _ = trent.follow(bookmark)
		if status == http.StatusOK || strings.Contains(page, "notebook-name") {
			t.Fatalf("terminated trent opened the notebook: %d\n%s", status, page)
		}
		if ev := trent.lastOpenEvent("trent"); ev["decision"] != "denied" {
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
		if ev := trent.lastOpenEvent("trent"); ev["decision"] != "denied" || ev["via"] != "api" {
			t.Errorf("trent's CLI open event = %v", ev)
		}
	})

	// The mapping now also excludes a group nobody's session kept.
	token := alice.storedToken("default")
	before := alice.st.Broker.Mapping.Mapping().References().Digest()
	if err := os.WriteFile(alice.st.MappingFile, []byte(excludeTerminated("      - groups: [on-leave]\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); alice.st.Broker.Mapping.Mapping().References().Digest() == before; {
		if time.Now().After(deadline) {
			t.Fatal("the broker did not load the changed mapping")
		}
		time.Sleep(20 * time.Millisecond)
	}

	t.Run("a stale token gets 401 session_stale", func(t *testing.T) {
		status, hdr, m := apiCall(t, nil, http.MethodGet, base+"/api/v1/me", token, nil, nil)
		msg, _ := m["error"].(map[string]any)["message"].(string)
		if status != http.StatusUnauthorized || errCode(m) != "session_stale" || !strings.Contains(msg, "Run secds login again") || hdr.Get("WWW-Authenticate") == "" {
			t.Fatalf("GET /api/v1/me with a stale token = %d %v", status, m)
		}
	})
	t.Run("a stale browser session signs in again on its way", func(t *testing.T) {
		n := alice.logins("alice", "browser")
		page, status, err := alice.follow(bookmark)
		if err != nil || !strings.Contains(page, `id="notebook-name">fraud-alice<`) {
			t.Fatalf("alice's bookmark after the change: %d %v\n%s", status, err, page)
		}
		if got := alice.logins("alice", "browser"); got != n+1 {
			t.Errorf("browser logins %d → %d; the stale session should have signed in once more", n, got)
		}
		_, status, _ = trent.follow(bookmark)
		if status == http.StatusOK {
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
}
