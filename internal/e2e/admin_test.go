package e2e

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
	"testing"

	"github.com/secds/secds/abac"
	"github.com/secds/secds/configs"
)

// apiUser is a signed-in browser calling the JSON API with its session
// cookie and CSRF token, as the admin page's own scripts would, or a CLI
// with a broker token.
type apiUser struct {
	*HTTPUser
	csrf  string
	token string // a broker token instead of the cookie, when set
}

// apiAs signs name in (through /admin, which sends anyone to sign-in
// first) and takes the session's CSRF token.
func apiAs(t *testing.T, st *Stack, name string) *apiUser {
	t.Helper()
	u := NewHTTPUser(t, st, name)
	u.Visit(st.URL + "/admin")
	a := &apiUser{HTTPUser: u}
	status, _, body := a.call(http.MethodGet, "/api/v1/me", nil, nil)
	var me struct {
		CSRF string `json:"csrf_token"`
	}
	if err := json.Unmarshal(body, &me); status != http.StatusOK || err != nil || me.CSRF == "" {
		t.Fatalf("GET /api/v1/me = %d %s", status, body)
	}
	a.csrf = me.CSRF
	return a
}

// apiWithToken is a client for id with a broker token, as the CLI calls the
// API.
func apiWithToken(t *testing.T, st *Stack, id abac.Identity) *apiUser {
	t.Helper()
	raw, _ := issueToken(t, st, id)
	return &apiUser{HTTPUser: NewHTTPUser(t, st, id.Username), token: raw}
}

func (a *apiUser) call(method, path string, body []byte, hdr map[string]string) (int, http.Header, []byte) {
	a.t.Helper()
	req, err := http.NewRequest(method, a.st.URL+path, bytes.NewReader(body))
	if err != nil {
		a.t.Fatal(err)
	}
	if a.token != "" {
		req.Header.Set("Authorization", "Bearer "+a.token)
	} else if a.csrf != "" {
		req.Header.Set("X-CSRF-Token", a.csrf)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := a.Client.Do(req)
	if err != nil {
		a.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

// getMapping returns the current mapping and its ETag.
func (a *apiUser) getMapping() ([]byte, string) {
	a.t.Helper()
	status, h, body := a.call(http.MethodGet, "/api/v1/admin/mapping", nil, nil)
	if status != http.StatusOK || h.Get("ETag") == "" || !strings.HasPrefix(h.Get("Content-Type"), "application/yaml") {
		a.t.Fatalf("GET mapping = %d %v %s", status, h, body)
	}
	return body, h.Get("ETag")
}

func (a *apiUser) putMapping(content []byte, etag string) (int, http.Header, []byte) {
	a.t.Helper()
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

func mappingEvents(t *testing.T, st *Stack) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, ev := range st.AuditEvents(t) {
		if ev["type"] == "mapping_change" {
			out = append(out, ev)
		}
	}
	return out
}

var csrfFieldRE = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// TestNonAdminsAreRefusedEverywhere: the admin page, its forms and every
// admin API route refuse a person who is not an admin, by session or by
// token, change nothing, and audit each refusal.
func TestNonAdminsAreRefusedEverywhere(t *testing.T) {
	t.Run("the page in Chromium", func(t *testing.T) {
		st := StartStack(t, StackOptions{Provider: sharedProvider(t)})
		b := NewBrowser(t)
		if status := signIn(t, st, b, "/admin", "alice"); status != http.StatusForbidden {
			t.Fatalf("alice opening /admin: status %d, want 403", status)
		}
		if body := b.Body(); strings.Contains(body, "Explain") {
			t.Errorf("alice sees the admin page:\n%s", body)
		}
	})
	t.Run("every route", func(t *testing.T) {
		t.Parallel()
		st := StartStack(t, StackOptions{})
		before, _ := os.ReadFile(st.MappingFile)
		bobSession := apiAs(t, st, "bob")
		bobToken := apiWithToken(t, st, abac.Identity{Subject: "dev-bob", Username: "bob", Email: "bob@example.com", Groups: []string{"ds-marketing"}})
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
				wantStatus(t, fmt.Sprintf("%s %s by %s", r.method, r.path, who.Name), status, body, http.StatusForbidden, "not_admin")
			}
		}
		// The page and its forms, with a valid CSRF token of bob's own.
		p := bobSession.Visit(st.URL + "/admin")
		p.MustContain(t, http.StatusForbidden, `data-code="not_admin"`, "Only secds admins")
		for _, path := range []string{"/admin/explain", "/admin/rollback"} {
			resp, err := bobSession.Client.PostForm(st.URL+path, url.Values{"csrf_token": {bobSession.csrf}, "username": {"alice"}, "version": {"1"}, "etag": {etag}})
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusForbidden {
				t.Errorf("POST %s by bob = %d, want 403", path, resp.StatusCode)
			}
		}

		var refused int
		for _, ev := range st.AuditEvents(t) {
			if ev["type"] == "admin" && ev["decision"] == "denied" && ev["code"] == "not_admin" && ev["user"] == "bob" && ev["path"] != "" {
				refused++
			}
		}
		if want := 2*len(routes) + 4; refused != want { // and the sign-in landing on /admin
			t.Errorf("%d refusal events, want %d (one per refused request)", refused, want)
		}
		if after, _ := os.ReadFile(st.MappingFile); !bytes.Equal(after, before) {
			t.Error("a non-admin changed the mapping")
		}
		if evs := mappingEvents(t, st); len(evs) != 0 {
			t.Errorf("mapping events for refused requests: %v", evs)
		}
	})
}

// TestAdminPage: the page sends anyone without a session to sign in, shows
// an admin the mapping's state, its history with diffs, the explain form
// and rollback forms, each guarded by the session's CSRF token.
func TestAdminPage(t *testing.T) {
	t.Run("explain in Chromium", func(t *testing.T) {
		// In Chromium, an admin signs in at the provider, opens the admin page
		// and asks why alice gets what she gets. The form's CSRF token is
		// checked by whichever replica the proxy picks.
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
		if ev := st.LastAudit(t, "admin", "admin"); ev["code"] != "explain" || ev["decision"] != "granted" {
			t.Errorf("last admin event = %v, want the explain", ev)
		}
	})
	t.Run("hop by hop", func(t *testing.T) {
		t.Parallel()
		st := StartStack(t, StackOptions{})
		anon := NewHTTPUser(t, st, "admin")
		resp, err := anon.Client.Get(st.URL + "/admin")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if !strings.HasPrefix(resp.Header.Get("Location"), st.ProviderURL) {
			t.Errorf("/admin without a session goes to %q, want sign-in", resp.Header.Get("Location"))
		}

		admin := apiAs(t, st, "admin")
		p := admin.Visit(st.URL + "/admin")
		p.MustContain(t, http.StatusOK, `id="mapping-state" data-valid="true"`, `id="mapping-version">1<`, `id="history"`, `id="version-1"`,
			`id="explain-form"`, `id="explain-username"`, `id="explain-groups"`, `id="explain-claims"`, `id="explain-submit"`, "name: fraud")
		csrf := csrfFieldRE.FindStringSubmatch(p.Body)
		if csrf == nil {
			t.Fatal("the page's forms carry no CSRF token")
		}

		t.Run("explain form", func(t *testing.T) {
			resp, err := admin.Client.PostForm(st.URL+"/admin/explain", url.Values{
				"csrf_token": {html.UnescapeString(csrf[1])}, "username": {"alice"}, "email": {"alice@example.com"}, "groups": {"ds-fraud, staff"}, "notebooks": {"1"},
			})
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			Page{Status: resp.StatusCode, Body: string(body)}.MustContain(t, http.StatusOK,
				`id="explain-result" data-granted="fraud"`, `id="explain-team-fraud" data-status="granted"`, `id="explain-team-marketing" data-status="no"`,
				"arn:aws:iam::123456789012:role/secds-team-fraud", "owner=alice, team=fraud", `id="explain-notebook-fraud-alice"`, `value="ds-fraud, staff"`)
		})
		t.Run("a form without the CSRF token is refused", func(t *testing.T) {
			resp, err := admin.Client.PostForm(st.URL+"/admin/explain", url.Values{"username": {"alice"}})
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
			p := admin.Visit(st.URL + "/admin")
			p.MustContain(t, http.StatusOK, `id="version-2"`, `id="diff-2"`, `<span class="del">-      cost-center: cc-1042`, `<span class="add">&#43;      cost-center: cc-7777`, `id="rollback-1"`)
			// The history's link leads to a confirmation with the diff and
			// the form that rolls back.
			confirm := admin.Visit(st.URL + "/admin/rollback?version=1")
			confirm.MustContain(t, http.StatusOK, "Roll back to version 1?", `<span class="del">-      cost-center: cc-7777`)
			form := regexp.MustCompile(`(?s)<form[^>]*id="rollback-confirm".*?</form>`).FindString(confirm.Body)
			values := url.Values{}
			for _, m := range regexp.MustCompile(`name="([^"]+)" value="([^"]*)"`).FindAllStringSubmatch(form, -1) {
				values.Set(m[1], html.UnescapeString(m[2]))
			}
			resp, err := admin.Client.PostForm(st.URL+"/admin/rollback", values)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("rollback form = %d", resp.StatusCode)
			}
			loc, _ := resp.Request.URL.Parse(resp.Header.Get("Location"))
			admin.Visit(loc.String()).MustContain(t, http.StatusOK, `id="message"`, "version 3", `id="mapping-version">3<`)
			if disk, _ := os.ReadFile(st.MappingFile); !bytes.Equal(disk, configs.DevTeams) {
				t.Error("the page's rollback did not restore version 1 byte for byte")
			}
			// The same form again is stale now: it named version 2 as current.
			resp, err = admin.Client.PostForm(st.URL+"/admin/rollback", values)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusPreconditionFailed {
				t.Errorf("stale rollback form = %d, want 412", resp.StatusCode)
			}
		})
	})
}
