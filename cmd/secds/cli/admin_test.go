package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/secds/secds/abac"
	"github.com/secds/secds/configs"
	"github.com/secds/secds/internal/dev/devstack"
)

// laptop is one admin's machine against a dev stack: their config and cache
// directories and a scripted browser that signs in at the dev identity
// provider as user when the CLI opens it.
type laptop struct {
	t    *testing.T
	st   *devstack.Stack
	home string
	user string
	web  *http.Client
}

func newLaptop(t *testing.T, user string) *laptop {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	st, err := devstack.Start(ctx, devstack.Options{Addr: "127.0.0.1:0", Log: slog.New(slog.DiscardHandler), AuditOut: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	l := &laptop{t: t, st: st, home: t.TempDir(), user: user, web: &http.Client{Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	l.run("", "configure", "--broker", st.BrokerURL).want(t, 0)
	l.run("", "login").want(t, 0, "Logged in")
	return l
}

type result struct {
	code           int
	stdout, stderr string
}

func (l *laptop) run(stdin string, args ...string) result {
	var out, errb bytes.Buffer
	code := Run(context.Background(), args, Env{
		Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb,
		Getenv: func(k string) string {
			return map[string]string{"XDG_CONFIG_HOME": filepath.Join(l.home, "config"), "XDG_CACHE_HOME": filepath.Join(l.home, "cache"), "HOME": l.home}[k]
		},
		OpenBrowser:  l.signIn,
		Keyring:      failingKeyring{},
		Interactive:  func() bool { return false },
		LoginTimeout: 20 * time.Second,
	})
	return result{code, out.String(), errb.String()}
}

func (r result) want(t *testing.T, code int, parts ...string) {
	t.Helper()
	if r.code != code {
		t.Fatalf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, code, r.stdout, r.stderr)
	}
	for _, p := range parts {
		if !strings.Contains(r.stdout+r.stderr, p) {
			t.Errorf("output lacks %q\nstdout:\n%s\nstderr:\n%s", p, r.stdout, r.stderr)
		}
	}
}

var (
	formActionRE = regexp.MustCompile(`action="([^"]+)"`)
	reqIDRE      = regexp.MustCompile(`name="req" value="([^"]+)"`)
)

// signIn is the browser: it follows the CLI's login URL and submits the
// identity provider's login form as l.user.
var hiddenRE = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)

func (l *laptop) signIn(start string) error {
	next, form := start, url.Values(nil)
	for range 15 {
		var resp *http.Response
		var err error
		if form != nil {
			req, _ := http.NewRequest(http.MethodPost, next, strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Sec-Fetch-Site", "same-origin") // as a browser posting its page's form
			resp, err = l.web.Do(req)
		} else {
			resp, err = l.web.Get(next)
		}
		if err != nil {
			return err
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		form = nil
		switch {
		case resp.StatusCode >= 300 && resp.StatusCode < 400:
			loc, err := resp.Request.URL.Parse(resp.Header.Get("Location"))
			if err != nil {
				return err
			}
			next = loc.String()
		case strings.Contains(string(body), `id="login-`+l.user+`"`):
			action, req := formActionRE.FindSubmatch(body), reqIDRE.FindSubmatch(body)
			if action == nil || req == nil {
				return fmt.Errorf("login page without a form")
			}
			a, _ := resp.Request.URL.Parse(html.UnescapeString(string(action[1])))
			next, form = a.String(), url.Values{"req": {html.UnescapeString(string(req[1]))}, "username": {l.user}}
		case strings.Contains(string(body), `id="cli-confirm"`):
			// "Sign in the secds CLI on this computer as admin?": yes.
			form = url.Values{"decision": {"allow"}}
			for _, m := range hiddenRE.FindAllSubmatch(body, -1) {
				form.Set(html.UnescapeString(string(m[1])), html.UnescapeString(string(m[2])))
			}
			next = l.st.BrokerURL + "/cli/login"
		default:
			return nil
		}
	}
	return fmt.Errorf("too many redirects from %s", start)
}

func (l *laptop) file(name string, content []byte) string {
	l.t.Helper()
	p := filepath.Join(l.home, name)
	if err := os.WriteFile(p, content, 0o644); err != nil {
		l.t.Fatal(err)
	}
	return p
}

var brokenMapping = bytes.Replace(bytes.Clone(configs.DevTeams),
	[]byte("role_arn: arn:aws:iam::123456789012:role/secds-team-marketing"),
	[]byte("role_arn: nope\n    role_session_seconds: 5"), 1)

func TestAdminMappingCommands(t *testing.T) {
	l := newLaptop(t, "admin")
	got := l.run("", "admin", "mapping", "get")
	got.want(t, 0, "# version 1")
	if got.stdout != string(configs.DevTeams) {
		t.Fatalf("get printed something else than the mapping:\n%s", got.stdout)
	}

	broken := l.file("broken.yaml", brokenMapping)
	l.run("", "admin", "mapping", "validate", "-f", broken).want(t, ExitFailure, broken+":25:15: role_arn", broken+":26:27: role_session_seconds", "2 mistakes")
	l.run("", "admin", "mapping", "apply", "-f", broken).want(t, ExitFailure, broken+":25:15:", "nothing was changed")

	good := l.file("good.yaml", bytes.Replace(configs.DevTeams, []byte("cc-1042"), []byte("cc-cli"), 1))
	l.run("", "admin", "mapping", "validate", "-f", good).want(t, 0, "valid")
	l.run("", "admin", "mapping", "diff", "-f", good).want(t, 0, "--- current (version 1)", "-      cost-center: cc-1042", "+      cost-center: cc-cli")
	l.run("", "admin", "mapping", "apply", "-f", good, "--reason", "cli test").want(t, 0, "version 2 (was 1) is live")
	l.run("", "admin", "mapping", "apply", "-f", good).want(t, 0, "No changes")

	h := l.run("", "admin", "mapping", "history")
	h.want(t, 0, "*2", "admin", "edit: cli test", "first seen")
	l.run("", "admin", "mapping", "rollback", "1").want(t, 0, "version 3 is live")
	if disk, _ := os.ReadFile(l.st.MappingFile); !bytes.Equal(disk, configs.DevTeams) {
		t.Error("rollback did not restore version 1 byte for byte")
	}
	old := l.run("", "admin", "mapping", "get", "--version", "2")
	if !strings.Contains(old.stdout, "cc-cli") {
		t.Errorf("get --version 2 = %s", old.stdout)
	}
	var hist struct{ Serving int64 }
	if err := json.Unmarshal([]byte(l.run("", "admin", "mapping", "history", "-o", "json").stdout), &hist); err != nil || hist.Serving != 3 {
		t.Errorf("history -o json: serving %d, %v", hist.Serving, err)
	}
}

// editorScript writes a shell script that plays the person at the editor:
// each run appends the file it was given to a log and runs the next step.
func (l *laptop) editorScript(steps ...string) (script, seen string) {
	l.t.Helper()
	seen = filepath.Join(l.home, "seen")
	var b strings.Builder
	fmt.Fprintf(&b, "#!/bin/sh\nset -e\nn=$(cat %[1]s.n 2>/dev/null || echo 0)\necho $((n+1)) > %[1]s.n\ncp \"$1\" %[1]s.$n\ncase $n in\n", seen)
	for i, s := range steps {
		fmt.Fprintf(&b, "%d) %s ;;\n", i, s)
	}
	b.WriteString("*) exit 3 ;;\nesac\n")
	script = filepath.Join(l.home, "editor.sh")
	if err := os.WriteFile(script, []byte(b.String()), 0o755); err != nil {
		l.t.Fatal(err)
	}
	return script, seen
}

func TestAdminMappingEdit(t *testing.T) {
	l := newLaptop(t, "admin")

	t.Run("mistakes reopen the editor with them on top", func(t *testing.T) {
		script, seen := l.editorScript(
			`sed -i 's#role/secds-team-marketing#role/x\n    role_session_seconds: 5#' "$1"`,
			`sed -i 's#^    role_session_seconds: 5$##; s#cc-1042#cc-edited#' "$1"`,
		)
		r := l.run("y\n", "admin", "mapping", "edit", "--editor", script)
		r.want(t, 0, "role_session_seconds must be", "+      cost-center: cc-edited", "version 2 (was 1) is live")
		second, _ := os.ReadFile(seen + ".1")
		lines := strings.Split(string(second), "\n")
		m := regexp.MustCompile(`teams\.yaml:(\d+):27: role_session_seconds`).FindStringSubmatch(string(second))
		if m == nil {
			t.Fatalf("the reopened file has no positioned mistake on top:\n%s", second)
		}
		var n int
		fmt.Sscan(m[1], &n)
		if !strings.Contains(lines[n-1], "role_session_seconds: 5") {
			t.Errorf("the header says line %d, which is %q", n, lines[n-1])
		}
		disk, _ := os.ReadFile(l.st.MappingFile)
		if bytes.Contains(disk, []byte("# secds:")) || !bytes.Contains(disk, []byte("cc-edited")) {
			t.Errorf("stored mapping:\n%s", disk)
		}
	})

	t.Run("no changes cancels", func(t *testing.T) {
		os.Remove(filepath.Join(l.home, "seen.n"))
		script, _ := l.editorScript(`true`)
		l.run("", "admin", "mapping", "edit", "--editor", script).want(t, 0, "no changes")
	})

	t.Run("declined is not applied", func(t *testing.T) {
		os.Remove(filepath.Join(l.home, "seen.n"))
		script, _ := l.editorScript(`sed -i 's#cc-2077#cc-declined#' "$1"`)
		r := l.run("n\n", "admin", "mapping", "edit", "--editor", script)
		r.want(t, 0, "Not applied")
		removeKeptCopy(t, r)
		if disk, _ := os.ReadFile(l.st.MappingFile); bytes.Contains(disk, []byte("cc-declined")) {
			t.Error("a declined edit was applied")
		}
	})

	t.Run("a change made meanwhile is not overwritten", func(t *testing.T) {
		os.Remove(filepath.Join(l.home, "seen.n"))
		// While the admin edits, someone changes the file on disk.
		script, _ := l.editorScript(fmt.Sprintf(`sed -i 's#cc-2077#cc-mine#' "$1"; sed -i 's#cc-edited#cc-theirs#' %s; sleep 1`, l.st.MappingFile))
		r := l.run("y\n", "admin", "mapping", "edit", "--editor", script)
		r.want(t, ExitFailure, "changed since you read it", "Your version is kept in")
		removeKeptCopy(t, r)
		disk, _ := os.ReadFile(l.st.MappingFile)
		if !bytes.Contains(disk, []byte("cc-theirs")) || bytes.Contains(disk, []byte("cc-mine")) {
			t.Errorf("the other change was lost:\n%s", disk)
		}
	})
}

// removeKeptCopy removes the copy edit keeps for the person to retry with.
func removeKeptCopy(t *testing.T, r result) {
	t.Helper()
	m := regexp.MustCompile(`kept in (\S+)/teams\.yaml`).FindStringSubmatch(r.stderr)
	if m == nil {
		t.Fatalf("edit names no kept copy:\n%s", r.stderr)
	}
	if b, err := os.ReadFile(m[1] + "/teams.yaml"); err != nil || len(b) == 0 {
		t.Errorf("the kept copy is missing: %v", err)
	}
	os.RemoveAll(m[1])
}

func TestAdminExplainAndIAM(t *testing.T) {
	l := newLaptop(t, "admin")
	l.run("", "admin", "explain", "--username", "alice", "--email", "alice@example.com", "--groups", "ds-fraud", "--notebooks").
		want(t, 0, "alice (groups ds-fraud): teams fraud", "granted", "arn:aws:iam::123456789012:role/secds-team-fraud", "fraud-alice-scratch", "Stopped")
	l.run("", "admin", "explain", "--user", "carol").want(t, 0, "carol: no team")
	// No notebook found is said, with what was looked for.
	l.run("", "admin", "explain", "--username", "dora", "--groups", "ds-fraud", "--notebooks").
		want(t, 0, "dora (groups ds-fraud): teams fraud", "No notebook is tagged for this identity (selector: team fraud: notebooks tagged owner=dora, team=fraud).")
	if r := l.run("", "admin", "explain", "--username", "dora", "--groups", "ds-fraud"); strings.Contains(r.stdout, "No notebook") {
		t.Errorf("without --notebooks, explain speaks of notebooks:\n%s", r.stdout)
	}
	claims := l.file("claims.json", []byte(`{"sub":"x","preferred_username":"bob","groups":["ds-marketing"]}`))
	l.run("", "admin", "explain", "--claims", claims).want(t, 0, "bob (groups ds-marketing): teams marketing")

	r := l.run("", "admin", "iam", "--broker-role", "arn:aws:iam::999988887777:role/secds-broker", "--team", "fraud")
	r.want(t, 0)
	var p struct {
		Broker struct {
			Principal string
			Policy    struct{ Statement []struct{ Resource []string } }
		}
		Teams []struct {
			RoleName string `json:"role_name"`
			Trust    struct {
				Version   string
				Statement []struct {
					Principal map[string]string
					Condition map[string]map[string]any
				}
			} `json:"trust_policy"`
		}
		Notes []string
	}
	if err := json.Unmarshal([]byte(r.stdout), &p); err != nil || len(p.Teams) != 1 || p.Teams[0].Trust.Version != "2012-10-17" || p.Teams[0].RoleName != "secds-team-fraud" ||
		p.Teams[0].Trust.Statement[0].Principal["AWS"] != "arn:aws:iam::999988887777:role/secds-broker" || p.Teams[0].Trust.Statement[0].Condition["StringEquals"]["aws:RequestTag/team"] != "fraud" {
		t.Errorf("iam --team fraud = %v\n%s", err, r.stdout)
	}
	if p.Broker.Principal != "arn:aws:iam::999988887777:role/secds-broker" || len(p.Broker.Policy.Statement) != 1 || len(p.Broker.Policy.Statement[0].Resource) != 3 || len(p.Notes) == 0 {
		t.Errorf("iam --team fraud: the broker policy must cover every team role, with notes\n%s", r.stdout)
	}

	// --check proves the policies offline, on the broker's mapping or a file.
	l.run("", "admin", "iam", "--broker-role", "arn:aws:iam::999988887777:role/secds-broker", "--check").
		want(t, 0, "identities ×", "IAM looser than the broker: 0. IAM stricter than the broker: 0.", "team membership", "OK: IAM refuses everything the broker refuses")
	example := filepath.Join("..", "..", "..", "configs", "teams.example.yaml")
	r = l.run("", "admin", "iam", "--broker-role", "arn:aws:iam::111122223333:user/secds-broker", "--check", "-o", "json", "-f", example)
	r.want(t, 0)
	var report struct {
		Pairs      int
		BothAllow  int              `json:"both_allow"`
		Looser     []map[string]any `json:"iam_looser"`
		Stricter   []map[string]any `json:"iam_stricter"`
		BrokerOnly []map[string]any `json:"broker_only"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &report); err != nil || report.Pairs == 0 || report.BothAllow == 0 || len(report.BrokerOnly) == 0 || len(report.Looser)+len(report.Stricter) != 0 {
		t.Errorf("iam --check -o json = %v\n%s", err, r.stdout)
	}

	out := filepath.Join(l.home, "policies dir")
	r = l.run("", "admin", "iam", "--broker-role", "arn:aws:iam::999988887777:user/ops/secds-broker", "--all",
		"--source-vpce", "vpce-0123456789abcdef0", "--user-ip", "203.0.113.0/24", "--out", out)
	r.want(t, 0,
		"aws iam update-assume-role-policy --role-name secds-team-platform --policy-document 'file://"+out+"/platform.trust.json'",
		"aws iam put-role-policy --role-name secds-team-platform --policy-name secds-notebooks --policy-document 'file://"+out+"/platform.permissions.json'",
		"aws iam put-user-policy --user-name secds-broker --policy-name secds-assume-team-roles --policy-document 'file://"+out+"/broker.json'")
	if !strings.Contains(r.stderr, "Wrote 7 policies") || !strings.Contains(r.stderr, "Note: Presigning is allowed from the broker's network") {
		t.Errorf("stderr = %s", r.stderr)
	}
	if b, err := os.ReadFile(filepath.Join(out, "marketing.permissions.json")); err != nil || !bytes.Contains(b, []byte("vpce-0123456789abcdef0")) || !bytes.Contains(b, []byte("203.0.113.0/24")) {
		t.Errorf("marketing.permissions.json: %v %s", err, b)
	}
	if b, err := os.ReadFile(filepath.Join(out, "broker.json")); err != nil || !bytes.Contains(b, []byte("arn:aws:iam::123456789012:role/secds-team-marketing")) {
		t.Errorf("broker.json: %v %s", err, b)
	}
	if entries, _ := os.ReadDir(out); len(entries) != 7 {
		t.Errorf("%d files in %s, want 7 and no temporary file left", len(entries), out)
	}
	l.run("", "admin", "iam", "--broker-role", "arn:aws:iam::999988887777:role/secds-broker", "--all", "--user-ip", "203.0.113.0/24").
		want(t, ExitUsage, "the broker's network must be given too")
	l.run("", "admin", "iam", "--team", "fraud").want(t, ExitUsage, "broker-role")

	// --state-table: the broker policy also opens the shared-state table,
	// by its ARN only; --check still passes with it.
	table := "arn:aws:dynamodb:eu-west-1:999988887777:table/secds-state"
	l.run("", "admin", "iam", "--broker-role", "arn:aws:iam::999988887777:role/secds-broker", "--all", "--state-table", "secds-state").
		want(t, ExitUsage, `state table "secds-state" is a table name; give the table's ARN, arn:aws:dynamodb:REGION:ACCOUNT:table/NAME`)
	l.run("", "admin", "iam", "--broker-role", "arn:aws:iam::999988887777:role/secds-broker", "--check", "--state-table", table+"/index/x").
		want(t, ExitUsage, "names a part of a table")
	out = filepath.Join(l.home, "with-table")
	l.run("", "admin", "iam", "--broker-role", "arn:aws:iam::999988887777:role/secds-broker", "--all", "--state-table", table, "--out", out).
		want(t, 0, "put-role-policy --role-name secds-broker --policy-name secds-assume-team-roles", "on its shared-state table "+table)
	var brk struct {
		Statement []struct {
			Sid              string
			Action, Resource []string
		}
	}
	if b, err := os.ReadFile(filepath.Join(out, "broker.json")); err != nil || json.Unmarshal(b, &brk) != nil || len(brk.Statement) != 2 ||
		brk.Statement[1].Sid != "SharedStateTable" || strings.Join(brk.Statement[1].Resource, ",") != table || len(brk.Statement[1].Action) != 5 {
		t.Errorf("broker.json with --state-table: %v %+v", err, brk)
	}
	l.run("", "admin", "iam", "--broker-role", "arn:aws:iam::999988887777:role/secds-broker", "--check", "--state-table", table).
		want(t, 0, "OK: IAM refuses everything the broker refuses")
}

func TestAdminCommandsRefuseNonAdmins(t *testing.T) {
	l := newLaptop(t, "bob")
	l.run("", "admin", "mapping", "get").want(t, ExitDenied, "Only secds admins")
	l.run("", "admin", "explain", "--user", "alice").want(t, ExitDenied, "Only secds admins")
	l.run("", "admin", "tokens", "revoke", "alice").want(t, ExitDenied, "Only secds admins")
}

// TestAdminTokensRevoke: an admin revokes alice's CLI tokens; the broker
// refuses them from the next request on, and she can sign in again.
func TestAdminTokensRevoke(t *testing.T) {
	l := newLaptop(t, "admin")
	alice := abac.Identity{Subject: "alice-subject", Username: "alice", Groups: []string{"ds-fraud"}}
	// As secds login issues it: cut down to what the mapping reads.
	tok, err := l.st.Broker.Tokens.Issue(l.st.Broker.Mapping.Mapping().Keep(alice))
	if err != nil {
		t.Fatal(err)
	}
	me := func(raw string) (int, string) {
		req, _ := http.NewRequest(http.MethodGet, l.st.BrokerURL+"/api/v1/me", nil)
		req.Header.Set("Authorization", "Bearer "+raw)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	if status, body := me(tok.Raw); status != http.StatusOK {
		t.Fatalf("before: %d %s", status, body)
	}
	l.run("", "admin", "tokens", "revoke").want(t, ExitUsage, "name one person")
	l.run("", "admin", "tokens", "revoke", "alice", "--subject", "x").want(t, ExitUsage, "name one person")
	l.run("", "admin", "tokens", "revoke", "alice").want(t, 0, "Revoked every secds CLI token of alice issued before")
	if status, body := me(tok.Raw); status != http.StatusUnauthorized || !strings.Contains(body, `"token_revoked"`) || !strings.Contains(body, "Run secds login") {
		t.Fatalf("after: %d %s", status, body)
	}
	// By subject, as the audit trail names a person whose username changed.
	bob := abac.Identity{Subject: "bob-subject", Username: "bob", Groups: []string{"ds-marketing"}}
	bobTok, _ := l.st.Broker.Tokens.Issue(l.st.Broker.Mapping.Mapping().Keep(bob))
	r := l.run("", "admin", "tokens", "revoke", "--subject", "bob-subject", "-o", "json")
	r.want(t, 0, `"subject": "bob-subject"`, `"revoked_before"`)
	if status, _ := me(bobTok.Raw); status != http.StatusUnauthorized {
		t.Errorf("bob's token after a revocation by subject: %d", status)
	}
	// A token issued after the revocation works: the person signs in again.
	time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second)))
	fresh, _ := l.st.Broker.Tokens.Issue(l.st.Broker.Mapping.Mapping().Keep(alice))
	if status, body := me(fresh.Raw); status != http.StatusOK {
		t.Errorf("a token issued after the revocation: %d %s", status, body)
	}
	// The admin's own CLI token, freshly issued, kept working throughout.
	l.run("", "admin", "mapping", "history").want(t, 0)
}

func TestAdminPosture(t *testing.T) {
	l := newLaptop(t, "admin")
	// The dev mapping: fraud enforces its requirements (dave's notebook can
	// reach the internet), marketing is only warned, platform has none.
	r := l.run("", "admin", "posture")
	r.want(t, 0, "fraud-dave", "direct_internet_access=Enabled", "marketing-bob", "root_access=Enabled", "no requirements", "STUDIO DOMAIN", "d-secdsdev0001",
		"6 notebooks against the live mapping (version 1): 2 compliant, 2 not (1 refused under enforce), 0 unknown, 2 with no requirements")
	// A proposed default block, checked before it is applied: in warn mode
	// for every team, internet and root access refused.
	proposed := l.file("require.yaml", bytes.Replace(configs.DevTeams, []byte("  notebook_session_seconds: 3600\n"),
		[]byte("  notebook_session_seconds: 3600\n  require: {mode: warn, direct_internet_access: Disabled, root_access: Disabled}\n"), 1))
	l.run("", "admin", "posture", "-f", proposed).want(t, 0, "against the proposed mapping", "platform-admin", "direct_internet_access=Enabled, root_access=Enabled",
		"2 compliant, 4 not (0 refused under enforce), 0 unknown, 0 with no requirements")
	// A broken proposal is refused with its mistakes, not checked.
	broken := l.file("broken.yaml", bytes.Replace(configs.DevTeams, []byte("  notebook_session_seconds: 3600\n"),
		[]byte("  notebook_session_seconds: 3600\n  require: {direct_internet_access: Off}\n"), 1))
	l.run("", "admin", "posture", "-f", broken).want(t, ExitFailure, `require.direct_internet_access "Off" must be Disabled`)
}
