package devstack_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/secds/secds/abac"
	"github.com/secds/secds/configs"
)

// apiUser is a signed-in browser calling the JSON API with its session
// cookie and CSRF token, as the admin page's own scripts would.
type apiUser struct {
	*user
	csrf  string
	token string // a broker token instead of the cookie, when set
}

// signIn signs u in (through /admin, which sends anyone to sign-in first)
// and takes the session's CSRF token.
func (u *user) signIn() *apiUser {
	u.e.t.Helper()
	u.visit(u.e.st.BrokerURL + "/admin")
	a := &apiUser{user: u}
	status, _, body := a.call(http.MethodGet, "/api/v1/me", nil, nil)
	var me struct {
		CSRF string `json:"csrf_token"`
	}
	if err := json.Unmarshal(body, &me); status != http.StatusOK || err != nil || me.CSRF == "" {
		u.e.t.Fatalf("GET /api/v1/me = %d %s", status, body)
	}
	a.csrf = me.CSRF
	return a
}

// withToken returns a client for the same person with a broker token, as
// the CLI calls the API.
func (e *env) withToken(name string, id abac.Identity) *apiUser {
	e.t.Helper()
	// As a CLI login does: keep what the live mapping reads.
	tok, err := e.st.Broker.Tokens.Issue(e.st.Broker.Mapping.Mapping().Keep(id))
	if err != nil {
		e.t.Fatal(err)
	}
	e.secrets["broker token of "+name] = tok.Raw
	return &apiUser{user: e.browser(name), token: tok.Raw}
}

func (a *apiUser) call(method, path string, body []byte, hdr map[string]string) (int, http.Header, []byte) {
	a.e.t.Helper()
	req, err := http.NewRequest(method, a.e.st.BrokerURL+path, bytes.NewReader(body))
	if err != nil {
		a.e.t.Fatal(err)
	}
	if a.token != "" {
		req.Header.Set("Authorization", "Bearer "+a.token)
	} else if a.csrf != "" {
		req.Header.Set("X-CSRF-Token", a.csrf)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := a.c.Do(req)
	if err != nil {
		a.e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

// getMapping returns the current mapping and its ETag.
func (a *apiUser) getMapping() ([]byte, string) {
	a.e.t.Helper()
	status, h, body := a.call(http.MethodGet, "/api/v1/admin/mapping", nil, nil)
	if status != http.StatusOK || h.Get("ETag") == "" || !strings.HasPrefix(h.Get("Content-Type"), "application/yaml") {
		a.e.t.Fatalf("GET mapping = %d %v %s", status, h, body)
	}
	return body, h.Get("ETag")
}

func (a *apiUser) putMapping(content []byte, etag string) (int, http.Header, []byte) {
	a.e.t.Helper()
	hdr := map[string]string{"Content-Type": "application/yaml"}
	if etag != "" {
		hdr["If-Match"] = etag
	}
	return a.call(http.MethodPut, "/api/v1/admin/mapping", content, hdr)
}

func errorCode(body []byte) string {
	var e struct {
		Error struct{ Code string } `json:"error"`
	}
	_ = json.Unmarshal(body, &e)
	return e.Error.Code
}

func wantStatus(t *testing.T, what string, status int, body []byte, want int, code string) {
	t.Helper()
	if status != want || code != "" && errorCode(body) != code {
		t.Errorf("%s = %d %s; want %d %s", what, status, body, want, code)
	}
}

// Mapping variants on the dev mapping.
var (
	// brokenMapping has two mistakes, at 25:15 and 26:27.
	brokenMapping = bytes.Replace(bytes.Clone(configs.DevTeams),
		[]byte("role_arn: arn:aws:iam::123456789012:role/secds-team-marketing"),
		[]byte("role_arn: nope\n    role_session_seconds: 5"), 1)
	// noAdmins drops the admin groups.
	noAdmins = bytes.Replace(bytes.Clone(configs.DevTeams), []byte("admin_groups: [secds-admins]"), []byte("admin_groups: [someone-else]"), 1)
)

// edit replaces old with new in content, failing when old is absent.
func edit(t *testing.T, content []byte, old, new string) []byte {
	t.Helper()
	if !bytes.Contains(content, []byte(old)) {
		t.Fatalf("%q is not in the mapping", old)
	}
	return bytes.Replace(content, []byte(old), []byte(new), 1)
}

func (e *env) mappingEvents() []map[string]any {
	var out []map[string]any
	for _, ev := range e.auditEvents() {
		if ev["type"] == "mapping_change" {
			out = append(out, ev)
		}
	}
	return out
}

func TestAdminEditsTheMapping(t *testing.T) {
	e := start(t)
	admin := e.browser("admin").signIn()
	v1, etag1 := admin.getMapping()
	if !bytes.Equal(v1, configs.DevTeams) {
		t.Fatalf("GET mapping is not the file byte for byte:\n%s", v1)
	}
	changed := edit(t, v1, "cost-center: cc-1042", "cost-center: cc-9999")

	t.Run("refusals change nothing", func(t *testing.T) {
		status, _, body := admin.putMapping(changed, "")
		wantStatus(t, "PUT without If-Match", status, body, http.StatusPreconditionRequired, "if_match_required")
		status, _, body = admin.putMapping(changed, `"9-`+strings.Repeat("0", 64)+`"`)
		wantStatus(t, "PUT with a stale If-Match", status, body, http.StatusPreconditionFailed, "version_conflict")
		status, _, body = admin.putMapping(brokenMapping, etag1)
		wantStatus(t, "PUT of a broken mapping", status, body, http.StatusUnprocessableEntity, "mapping_invalid")
		var inv struct {
			Problems []struct {
				Line, Column int
				Text         string
			}
		}
		if json.Unmarshal(body, &inv); len(inv.Problems) != 2 || inv.Problems[0].Line != 25 || inv.Problems[0].Column != 15 || inv.Problems[1].Line != 26 {
			t.Errorf("problems = %+v, want 25:15 and 26:…", inv.Problems)
		}
		status, _, body = admin.putMapping(noAdmins, etag1)
		wantStatus(t, "PUT that locks the admin out", status, body, http.StatusUnprocessableEntity, "mapping_invalid")
		if !strings.Contains(string(body), "no longer in admin_groups") {
			t.Errorf("lock-out refusal does not say why: %s", body)
		}
		if cur, etag := admin.getMapping(); etag != etag1 || !bytes.Equal(cur, v1) {
			t.Errorf("a refused write changed the mapping to %s", etag)
		}
	})

	t.Run("validate", func(t *testing.T) {
		for _, tc := range []struct {
			content []byte
			valid   bool
		}{{brokenMapping, false}, {changed, true}} {
			status, _, body := admin.call(http.MethodPost, "/api/v1/admin/mapping/validate", tc.content, map[string]string{"Content-Type": "application/yaml"})
			var res struct {
				Valid    bool
				Problems []struct {
					File, Message, Text string
					Line, Column        int
				}
			}
			if err := json.Unmarshal(body, &res); status != http.StatusOK || err != nil || res.Valid != tc.valid {
				t.Fatalf("validate = %d %s, want valid=%v", status, body, tc.valid)
			}
			if !tc.valid && (res.Problems[0].Line != 25 || res.Problems[0].Column != 15 || !strings.Contains(res.Problems[0].Text, ":25:15: role_arn")) {
				t.Errorf("problems = %+v", res.Problems)
			}
		}
	})

	var etag2 string
	t.Run("a valid PUT is live at once", func(t *testing.T) {
		status, h, body := admin.putMapping(changed, etag1)
		if status != http.StatusOK || h.Get("ETag") == "" || h.Get("ETag") == etag1 {
			t.Fatalf("PUT = %d %v %s", status, h, body)
		}
		etag2 = h.Get("ETag")
		if cur, etag := admin.getMapping(); etag != etag2 || !bytes.Equal(cur, changed) {
			t.Errorf("GET after PUT = %s", etag)
		}
		if disk, _ := os.ReadFile(e.st.MappingFile); !bytes.Equal(disk, changed) {
			t.Error("the file on disk is not the new mapping")
		}
		if got := e.st.Broker.Mapping.Mapping().Teams[0].SessionTags["cost-center"]; got != "cc-9999" {
			t.Errorf("served cost-center = %q", got)
		}
	})

	t.Run("history and rollback restore byte for byte", func(t *testing.T) {
		status, _, body := admin.call(http.MethodGet, "/api/v1/admin/mapping/history", nil, nil)
		var hist struct {
			Serving, Latest int64
			Valid           bool
			Versions        []struct {
				Version      int64
				Author, ETag string
			}
		}
		if err := json.Unmarshal(body, &hist); status != http.StatusOK || err != nil || len(hist.Versions) != 2 || hist.Versions[0].Author != "admin" || hist.Serving != 2 || !hist.Valid {
			t.Fatalf("history = %d %s", status, body)
		}
		status, _, old := admin.call(http.MethodGet, "/api/v1/admin/mapping/history/1", nil, nil)
		if status != http.StatusOK || !bytes.Equal(old, configs.DevTeams) {
			t.Errorf("version 1 = %d %q", status, old)
		}
		status, h, body := admin.call(http.MethodPost, "/api/v1/admin/mapping/rollback", []byte(`{"version":1}`), map[string]string{"Content-Type": "application/json", "If-Match": etag2})
		if status != http.StatusOK || !strings.Contains(string(body), `"version":3`) || !strings.Contains(string(body), `"reason":"rollback to 1"`) {
			t.Fatalf("rollback = %d %s", status, body)
		}
		cur, etag := admin.getMapping()
		if !bytes.Equal(cur, configs.DevTeams) || etag != h.Get("ETag") {
			t.Error("after rollback the mapping is not version 1 byte for byte")
		}
		if disk, _ := os.ReadFile(e.st.MappingFile); !bytes.Equal(disk, configs.DevTeams) {
			t.Error("after rollback the file on disk is not version 1 byte for byte")
		}
		status, _, body = admin.call(http.MethodPost, "/api/v1/admin/mapping/rollback", []byte(`{"version":1}`), map[string]string{"Content-Type": "application/json", "If-Match": etag2})
		wantStatus(t, "rollback from a stale version", status, body, http.StatusPreconditionFailed, "version_conflict")
	})

	evs := e.mappingEvents()
	var granted []map[string]any
	for _, ev := range evs {
		if ev["user"] != "admin" || ev["request_id"] == "" {
			t.Errorf("mapping event without who: %v", ev)
		}
		if ev["decision"] == "granted" {
			granted = append(granted, ev)
		}
	}
	if len(granted) != 2 {
		t.Fatalf("granted mapping changes = %v", granted)
	}
	if ev := granted[1]; ev["from_version"] != 2.0 || ev["to_version"] != 3.0 || ev["from_digest"] == "" || ev["to_digest"] == "" || ev["from_digest"] == ev["to_digest"] {
		t.Errorf("rollback event = %v, want versions and digests before and after", ev)
	}
}

func TestTwoAdminsEditingAtOnce(t *testing.T) {
	e := start(t)
	ann, ben := e.browser("admin").signIn(), e.browser("admin").signIn()
	base, etag := ann.getMapping()
	if _, etagBen := ben.getMapping(); etagBen != etag {
		t.Fatal("both read different versions")
	}
	edits := [][]byte{
		edit(t, base, "cost-center: cc-1042", "cost-center: cc-ann"),
		edit(t, base, "cost-center: cc-2077", "cost-center: cc-ben"),
	}
	var wg sync.WaitGroup
	statuses := make([]int, 2)
	for i, who := range []*apiUser{ann, ben} {
		wg.Go(func() { statuses[i], _, _ = who.putMapping(edits[i], etag) })
	}
	wg.Wait()
	won, lost := 0, 1
	if statuses[0] != http.StatusOK {
		won, lost = 1, 0
	}
	if statuses[won] != http.StatusOK || statuses[lost] != http.StatusPreconditionFailed {
		t.Fatalf("statuses = %v, want one 200 and one 412", statuses)
	}
	// The loser is told, re-reads, re-applies their change: nothing is lost.
	loser := []*apiUser{ann, ben}[lost]
	cur, etag2 := loser.getMapping()
	if !bytes.Equal(cur, edits[won]) {
		t.Fatal("the current mapping is not the winner's")
	}
	mine := map[int][2]string{0: {"cost-center: cc-1042", "cost-center: cc-ann"}, 1: {"cost-center: cc-2077", "cost-center: cc-ben"}}[lost]
	if status, _, body := loser.putMapping(edit(t, cur, mine[0], mine[1]), etag2); status != http.StatusOK {
		t.Fatalf("retry = %d %s", status, body)
	}
	final, _ := ann.getMapping()
	if !bytes.Contains(final, []byte("cc-ann")) || !bytes.Contains(final, []byte("cc-ben")) {
		t.Errorf("an edit was lost:\n%s", final)
	}
	var conflicts int
	for _, ev := range e.mappingEvents() {
		if ev["code"] == "version_conflict" {
			conflicts++
		}
	}
	if conflicts != 1 {
		t.Errorf("%d conflict events, want the refused write audited once", conflicts)
	}
}

var csrfFieldRE = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

func TestNonAdminsAreRefusedEverywhere(t *testing.T) {
	e := start(t)
	before, _ := os.ReadFile(e.st.MappingFile)
	bobSession := e.browser("bob").signIn()
	bobToken := e.withToken("bob-cli", abac.Identity{Subject: "dev-bob", Username: "bob", Email: "bob@example.com", Groups: []string{"ds-marketing"}})
	etag := `"1-` + strings.Repeat("0", 64) + `"`
	routes := []struct {
		method, path, body string
	}{
		{http.MethodGet, "/api/v1/admin/mapping", ""},
		{http.MethodPut, "/api/v1/admin/mapping", string(noAdmins)},
		{http.MethodPost, "/api/v1/admin/mapping/validate", string(configs.DevTeams)},
		{http.MethodGet, "/api/v1/admin/mapping/history", ""},
		{http.MethodGet, "/api/v1/admin/mapping/history/1", ""},
		{http.MethodPost, "/api/v1/admin/mapping/rollback", `{"version":1}`},
		{http.MethodPost, "/api/v1/admin/explain", `{"username":"alice"}`},
	}
	for _, who := range []*apiUser{bobSession, bobToken} {
		for _, r := range routes {
			status, _, body := who.call(r.method, r.path, []byte(r.body), map[string]string{"If-Match": etag})
			wantStatus(t, fmt.Sprintf("%s %s by %s", r.method, r.path, who.name), status, body, http.StatusForbidden, "not_admin")
		}
	}
	// The page and its forms, with a valid CSRF token of bob's own.
	p := bobSession.visit(e.st.BrokerURL + "/admin")
	p.mustContain(t, http.StatusForbidden, `data-code="not_admin"`, "Only secds admins")
	for _, path := range []string{"/admin/explain", "/admin/rollback"} {
		resp, err := bobSession.c.PostForm(e.st.BrokerURL+path, url.Values{"csrf_token": {bobSession.csrf}, "username": {"alice"}, "version": {"1"}, "etag": {etag}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("POST %s by bob = %d, want 403", path, resp.StatusCode)
		}
	}

	var refused int
	for _, ev := range e.auditEvents() {
		if ev["type"] == "admin" && ev["decision"] == "denied" && ev["code"] == "not_admin" && ev["user"] == "bob" && ev["path"] != "" {
			refused++
		}
	}
	if want := 2*len(routes) + 4; refused != want { // and the sign-in landing on /admin
		t.Errorf("%d refusal events, want %d (one per refused request)", refused, want)
	}
	if after, _ := os.ReadFile(e.st.MappingFile); !bytes.Equal(after, before) {
		t.Error("a non-admin changed the mapping")
	}
	if evs := e.mappingEvents(); len(evs) != 0 {
		t.Errorf("mapping events for refused requests: %v", evs)
	}
}

func TestAdminPage(t *testing.T) {
	e := start(t)
	anon := e.browser("admin")
	resp, err := anon.c.Get(e.st.BrokerURL + "/admin")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if !strings.HasPrefix(resp.Header.Get("Location"), e.st.IdPURL) {
		t.Errorf("/admin without a session goes to %q, want sign-in", resp.Header.Get("Location"))
	}

	admin := e.browser("admin").signIn()
	p := admin.visit(e.st.BrokerURL + "/admin")
	p.mustContain(t, http.StatusOK, `id="mapping-state" data-valid="true"`, `id="mapping-version">1<`, `id="history"`, `id="version-1"`,
		`id="explain-form"`, `id="explain-username"`, `id="explain-groups"`, `id="explain-claims"`, `id="explain-submit"`, "name: fraud")
	csrf := csrfFieldRE.FindStringSubmatch(p.body)
	if csrf == nil {
		t.Fatal("the page's forms carry no CSRF token")
	}

	t.Run("explain form", func(t *testing.T) {
		resp, err := admin.c.PostForm(e.st.BrokerURL+"/admin/explain", url.Values{
			"csrf_token": {html.UnescapeString(csrf[1])}, "username": {"alice"}, "email": {"alice@example.com"}, "groups": {"ds-fraud, staff"}, "notebooks": {"1"},
		})
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		page{status: resp.StatusCode, body: string(body)}.mustContain(t, http.StatusOK,
			`id="explain-result" data-granted="fraud"`, `id="explain-team-fraud" data-status="granted"`, `id="explain-team-marketing" data-status="no"`,
			"arn:aws:iam::123456789012:role/secds-team-fraud", "owner=alice, team=fraud", `id="explain-notebook-fraud-alice"`, `value="ds-fraud, staff"`)
	})
	t.Run("a form without the CSRF token is refused", func(t *testing.T) {
		resp, err := admin.c.PostForm(e.st.BrokerURL+"/admin/explain", url.Values{"username": {"alice"}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("status = %d, want 403", resp.StatusCode)
		}
	})
	t.Run("history with diffs and rollback", func(t *testing.T) {
		cur, etag := admin.getMapping()
		if status, _, body := admin.putMapping(edit(t, cur, "cost-center: cc-1042", "cost-center: cc-7777"), etag); status != http.StatusOK {
			t.Fatalf("PUT = %d %s", status, body)
		}
		p := admin.visit(e.st.BrokerURL + "/admin")
		p.mustContain(t, http.StatusOK, `id="version-2"`, `id="diff-2"`, `<span class="del">-      cost-center: cc-1042`, `<span class="add">&#43;      cost-center: cc-7777`, `id="rollback-1"`)
		form := regexp.MustCompile(`(?s)<form[^>]*id="rollback-1".*?</form>`).FindString(p.body)
		values := url.Values{}
		for _, m := range regexp.MustCompile(`name="([^"]+)" value="([^"]*)"`).FindAllStringSubmatch(form, -1) {
			values.Set(m[1], html.UnescapeString(m[2]))
		}
		resp, err := admin.c.PostForm(e.st.BrokerURL+"/admin/rollback", values)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("rollback form = %d", resp.StatusCode)
		}
		loc, _ := resp.Request.URL.Parse(resp.Header.Get("Location"))
		admin.visit(loc.String()).mustContain(t, http.StatusOK, `id="message"`, "version 3", `id="mapping-version">3<`)
		if disk, _ := os.ReadFile(e.st.MappingFile); !bytes.Equal(disk, configs.DevTeams) {
			t.Error("the page's rollback did not restore version 1 byte for byte")
		}
		// The same form again is stale now: it named version 2 as current.
		resp, err = admin.c.PostForm(e.st.BrokerURL+"/admin/rollback", values)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusPreconditionFailed {
			t.Errorf("stale rollback form = %d, want 412", resp.StatusCode)
		}
	})
}

// getJSON fetches an unauthenticated ops endpoint.
func getBody(t *testing.T, u string) (int, string) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func eventually(t *testing.T, what string, limit time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, limit)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestBrokenMappingOnDiskKeepsServing(t *testing.T) {
	e := start(t)
	alice := e.browser("alice")
	alice.visit(e.st.BrokerURL+"/open?notebook=fraud-alice").mustContain(t, http.StatusOK, `id="notebook-name">fraud-alice<`)

	if err := os.WriteFile(e.st.MappingFile, brokenMapping, 0o644); err != nil {
		t.Fatal(err)
	}
	var ready string
	eventually(t, "/readyz reports the broken file", time.Second, func() bool {
		status, body := getBody(t, e.st.BrokerURL+"/readyz")
		ready = body
		return status == http.StatusOK && strings.Contains(body, "degraded")
	})
	// Anyone may ask /readyz: it gives counts and versions, not the file,
	// its lines or the role ARNs in them.
	if want := `"mapping":"degraded: 2 problems in the stored mapping version 2; serving version 1"`; !strings.Contains(ready, want) || !strings.Contains(ready, `"ready":true`) {
		t.Errorf("/readyz = %s, want %s", ready, want)
	}
	for _, secret := range []string{"teams.yaml", "role_arn", "nope", "arn:aws", e.st.MappingFile} {
		if strings.Contains(ready, secret) {
			t.Errorf("/readyz shows %q to anyone: %s", secret, ready)
		}
	}
	if _, metrics := getBody(t, e.st.MetricsURL+"/metrics"); !strings.Contains(metrics, "secds_mapping_valid 0") || !strings.Contains(metrics, `secds_mapping_reloads_total{result="invalid"} 1`) {
		t.Errorf("/metrics does not show the invalid mapping:\n%s", grepLines(metrics, "secds_mapping"))
	}
	if !strings.Contains(e.logs.String(), "teams.yaml:25:15") {
		t.Error("the log does not name the mistake with file:line:col")
	}
	// Still serving the last good mapping.
	alice.visit(e.st.BrokerURL+"/open?notebook=fraud-alice").mustContain(t, http.StatusOK, `id="notebook-name">fraud-alice<`)
	admin := e.browser("admin").signIn()
	admin.visit(e.st.BrokerURL+"/admin").mustContain(t, http.StatusOK, `data-valid="false"`, "Version 2 is invalid", `id="mapping-version">1<`, "teams.yaml:25:15")
	// The details /readyz leaves out are for admins.
	admin.visit(e.st.BrokerURL+"/api/v1/admin/readiness").mustContain(t, http.StatusOK, `"valid":false`, `"serving":1`, `"latest":2`, "teams.yaml:25:15: role_arn", "teams.yaml:26:27: role_session_seconds")
	alice.visit(e.st.BrokerURL+"/api/v1/admin/readiness").mustContain(t, http.StatusForbidden, "not_admin")

	// Fixed on disk: back to ready, the fix served.
	fixed := edit(t, configs.DevTeams, "cost-center: cc-1042", "cost-center: cc-fixed")
	if err := os.WriteFile(e.st.MappingFile, fixed, 0o644); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the fixed file is served", time.Second, func() bool {
		_, body := getBody(t, e.st.BrokerURL+"/readyz")
		return strings.Contains(body, `"mapping":"ok"`)
	})
	if got := e.st.Broker.Mapping.Mapping().Teams[0].SessionTags["cost-center"]; got != "cc-fixed" {
		t.Errorf("served cost-center = %q after the fix", got)
	}
	if _, metrics := getBody(t, e.st.MetricsURL+"/metrics"); !strings.Contains(metrics, "secds_mapping_valid 1") || !strings.Contains(metrics, "secds_mapping_version 3") {
		t.Errorf("/metrics after the fix:\n%s", grepLines(metrics, "secds_mapping"))
	}
	evs := e.mappingEvents()
	if len(evs) != 2 || evs[0]["code"] != "mapping_invalid" || evs[1]["decision"] != "granted" || evs[1]["via"] != "file" {
		t.Errorf("mapping events = %v, want the refused and the served change on disk", evs)
	}
}

func grepLines(s, substr string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// explanation is the part of POST /api/v1/admin/explain the comparison with
// /open reads.
type explanation struct {
	Granted []string
	Teams   []struct {
		Team    string
		Granted bool
		Reason  string
		Grant   *struct {
			RoleARN      string            `json:"role_arn"`
			NotebookTags map[string]string `json:"notebook_tags"`
		}
	}
	Notebooks []struct{ Team, Name, Status string }
}

func (a *apiUser) explain(req string) explanation {
	a.e.t.Helper()
	status, _, body := a.call(http.MethodPost, "/api/v1/admin/explain", []byte(req), map[string]string{"Content-Type": "application/json"})
	var x explanation
	if err := json.Unmarshal(body, &x); status != http.StatusOK || err != nil {
		a.e.t.Fatalf("explain %s = %d %s", req, status, body)
	}
	return x
}

func (x explanation) role(team string) string {
	for _, t := range x.Teams {
		if t.Team == team && t.Grant != nil {
			return t.Grant.RoleARN
		}
	}
	return ""
}

func TestExplainMatchesOpen(t *testing.T) {
	e := start(t)
	admin := e.browser("admin").signIn()

	// Each person as the identity provider describes them (devidp.DemoUsers).
	people := map[string]string{
		"alice": `{"username":"alice","email":"alice@example.com","groups":["ds-fraud"],"notebooks":true}`,
		"bob":   `{"username":"bob","email":"bob@example.com","groups":["ds-marketing"],"notebooks":true}`,
		"carol": `{"username":"carol","email":"carol@example.com","notebooks":true}`,
	}
	check := func(t *testing.T, name string) {
		x := admin.explain(people[name])
		u := e.browser(name)
		p := u.visit(e.st.BrokerURL + "/open")
		switch len(x.Notebooks) {
		case 0:
			p.mustContain(t, http.StatusForbidden, `data-code="no_team"`)
			if len(x.Granted) != 0 {
				t.Errorf("explain grants %v, /open grants nothing", x.Granted)
			}
		case 1:
			nb := x.Notebooks[0]
			p.mustContain(t, http.StatusOK, `id="notebook-name">`+nb.Name+`<`, `id="team">`+nb.Team+`<`)
			if ev := e.lastOpen(name); ev["team"] != nb.Team || ev["role"] != x.role(nb.Team) {
				t.Errorf("/open used team %v role %v; explain said %s %s", ev["team"], ev["role"], nb.Team, x.role(nb.Team))
			}
		default:
			want := []string{"Which notebook?"}
			for _, nb := range x.Notebooks {
				want = append(want, fmt.Sprintf("/open?team=%s&amp;notebook=%s", nb.Team, nb.Name))
			}
			p.mustContain(t, http.StatusOK, want...)
			nb := x.Notebooks[0]
			u.visit(e.st.BrokerURL+"/open?notebook="+nb.Name).mustContain(t, http.StatusOK, `id="notebook-name">`+nb.Name+`<`)
			if ev := e.lastOpen(name); ev["role"] != x.role(nb.Team) {
				t.Errorf("/open used role %v; explain said %s", ev["role"], x.role(nb.Team))
			}
		}
	}
	for _, name := range []string{"alice", "bob", "carol"} {
		t.Run(name, func(t *testing.T) { check(t, name) })
	}

	// An admin excludes alice from fraud by a claim: explain and /open agree
	// on the new mapping at once.
	cur, etag := admin.getMapping()
	excluded := edit(t, cur, "      - groups: [ds-fraud]\n", "      - groups: [ds-fraud]\n    exclude:\n      - claims:\n          - path: email\n            equals: [alice@example.com]\n")
	if status, _, body := admin.putMapping(excluded, etag); status != http.StatusOK {
		t.Fatalf("PUT = %d %s", status, body)
	}
	// The exclude reads the email claim, which no session kept: sessions are
	// stale, the admin's too, and sign in again (a browser does so itself).
	admin = e.browser("admin").signIn()
	x := admin.explain(people["alice"])
	if len(x.Granted) != 0 || !strings.Contains(x.Teams[0].Reason, "exclude rule 1") {
		t.Errorf("explain after the exclude = %+v", x)
	}
	t.Run("alice excluded", func(t *testing.T) { check(t, "alice") })
}
