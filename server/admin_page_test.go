package server

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/secds/secds/internal/mapstore"
)

var rollbackForm = regexp.MustCompile(`<form method="post" action="/admin/rollback" id="rollback-confirm">\s*<input type="hidden" name="csrf_token" value="([^"]+)"><input type="hidden" name="version" value="(\d+)"><input type="hidden" name="etag" value="([^"]+)">`)

func TestAdminPage(t *testing.T) {
	ts := newTestServer(t, "https://notebooks.example", withAuditedStore(t, testMapping))
	ann := ts.sessionFor(admin("ann"))
	own := []string{"Origin", "https://notebooks.example"}
	if _, err := ts.live.Update(context.Background(), mapstore.Update{Content: []byte(editedMapping), Expected: ts.live.State().Serving.Version, Reason: "edit",
		By: mapstore.By{Username: "ann"}}); err != nil {
		t.Fatal(err)
	}

	t.Run("signed out: sign in, back to /admin", func(t *testing.T) {
		for _, r := range []struct{ method, path string }{{http.MethodGet, "/admin"}, {http.MethodPost, "/admin/explain"}, {http.MethodPost, "/admin/rollback"}} {
			if next, ok := signInRedirect(ts.do(r.method, r.path, strings.NewReader(""), nil, own...)); !ok || next != "/admin" {
				t.Errorf("%s %s signed out: sign-in %v, next %q", r.method, r.path, ok, next)
			}
		}
	})
	t.Run("a non-admin is refused, with a page and an event", func(t *testing.T) {
		bob := ts.session("bob")
		tok := csrfFrom(t, ts.do(http.MethodGet, "/logout", nil, bob).Body.String())
		for _, r := range []struct{ method, path, body string }{
			{http.MethodGet, "/admin", ""},
			{http.MethodPost, "/admin/explain", "username=alice&csrf_token=" + tok},
			{http.MethodPost, "/admin/rollback", "version=1&etag=x&csrf_token=" + tok},
		} {
			w := ts.do(r.method, r.path, strings.NewReader(r.body), bob, own...)
			if w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), `data-code="not_admin"`) || !strings.Contains(w.Body.String(), "Only secds admins") {
				t.Errorf("%s %s by bob = %d:\n%s", r.method, r.path, w.Code, w.Body)
			}
		}
		if n := strings.Count(ts.audit.String(), `"code":"not_admin"`); n != 3 {
			t.Errorf("%d refusal events, want 3:\n%s", n, ts.audit)
		}
	})

	page := ts.do(http.MethodGet, "/admin", nil, ann)
	body := page.Body.String()
	t.Run("the page shows the mapping, its history and diffs", func(t *testing.T) {
		for _, want := range []string{`id="mapping-version">2<`, `data-valid="true"`, "name: ml", `id="version-1"`, `<span class="add">&#43;  - name: ml`, `id="rollback-1"`} {
			if !strings.Contains(body, want) {
				t.Errorf("the admin page lacks %q:\n%s", want, body)
			}
		}
		if page.Code != http.StatusOK || strings.Contains(body, `id="rollback-2"`) {
			t.Errorf("GET /admin = %d (the latest version must offer no rollback):\n%s", page.Code, body)
		}
	})

	t.Run("the forms need the broker's page and the session's token", func(t *testing.T) {
		tok := csrfFrom(t, body)
		for name, tc := range map[string]struct {
			body    string
			headers []string
			text    string
		}{
			"another site":    {"username=bob&csrf_token=" + tok, []string{"Origin", "https://evil.example"}, "Cross-site form posts to the admin page are refused"},
			"Origin null":     {"username=bob&csrf_token=" + tok, []string{"Origin", "null"}, "Cross-site form posts to the admin page are refused"},
			"no token":        {"username=bob", own, "This form has expired"},
			"a forged token":  {"username=bob&csrf_token=forged", own, "This form has expired"},
			"a foreign fetch": {"username=bob&csrf_token=" + tok, []string{"Sec-Fetch-Site", "same-site"}, "Cross-site form posts"},
		} {
			w := ts.do(http.MethodPost, "/admin/explain", strings.NewReader(tc.body), ann, tc.headers...)
			if w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), `data-code="csrf_failed"`) || !strings.Contains(w.Body.String(), tc.text) {
				t.Errorf("%s = %d:\n%s", name, w.Code, w.Body)
			}
		}
		if strings.Contains(ts.audit.String(), `"code":"explain"`) {
			t.Error("a refused form ran an explain")
		}
	})

	t.Run("explain", func(t *testing.T) {
		tok := csrfFrom(t, body)
		form := url.Values{"csrf_token": {tok}, "username": {"bob"}, "groups": {"data-science, sales"}, "notebooks": {"1"}}.Encode()
		w := ts.do(http.MethodPost, "/admin/explain", strings.NewReader(form), ann, own...)
		res := w.Body.String()
		for _, want := range []string{`id="explain-who">bob<`, `data-granted="ds,ml"`, `id="explain-team-ds" data-status="granted"`, `id="explain-notebook-ds-alice"`, `value="data-science, sales"`} {
			if !strings.Contains(res, want) {
				t.Errorf("the explain result lacks %q", want)
			}
		}
		if w.Code != http.StatusOK || !auditHas(ts, `"code":"explain"`, `"for":"bob"`, `"via":"browser"`) {
			t.Errorf("explain = %d; audit:\n%s", w.Code, ts.audit)
		}
		for claims, want := range map[string]string{`{"department":`: "The claims must be a JSON object", `{}`: "would not get past sign-in"} {
			form := url.Values{"csrf_token": {tok}, "claims": {claims}}.Encode()
			w := ts.do(http.MethodPost, "/admin/explain", strings.NewReader(form), ann, own...)
			if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `id="explain-problem"`) || !strings.Contains(w.Body.String(), want) {
				t.Errorf("explain with claims %s = %d, want a problem %q", claims, w.Code, want)
			}
		}
	})

	t.Run("rollback", func(t *testing.T) {
		// The history's link asks first, showing what would change.
		link := `<a href="/admin/rollback?version=1" id="rollback-1">Roll back to version 1</a>`
		if !strings.Contains(body, link) {
			t.Fatalf("no link to roll back to version 1:\n%s", body)
		}
		confirm := ts.do(http.MethodGet, "/admin/rollback?version=1", nil, ann)
		cbody := confirm.Body.String()
		for _, want := range []string{"Roll back to version 1?", `id="rollback-diff"`, `<span class="file">--- version 2 (current)`, `<span class="del">-  - name: ml`, `id="rollback-confirm-submit">Roll back to version 1</button>`} {
			if !strings.Contains(cbody, want) {
				t.Errorf("the confirmation lacks %q:\n%s", want, cbody)
			}
		}
		if confirm.Code != http.StatusOK || ts.live.State().Latest.Number != 2 {
			t.Fatalf("the confirmation = %d, and must change nothing (latest %d)", confirm.Code, ts.live.State().Latest.Number)
		}
		for q, code := range map[string]string{"": "bad_version", "?version=x": "bad_version", "?version=2": "bad_version", "?version=9": "version_not_found"} {
			if w := ts.do(http.MethodGet, "/admin/rollback"+q, nil, ann); w.Code < 400 || !strings.Contains(w.Body.String(), `data-code="`+code+`"`) {
				t.Errorf("GET /admin/rollback%s = %d, want %s:\n%s", q, w.Code, code, w.Body)
			}
		}
		m := rollbackForm.FindStringSubmatch(cbody)
		if m == nil || m[2] != "1" {
			t.Fatalf("no rollback form for version 1:\n%s", cbody)
		}
		for name, form := range map[string]url.Values{
			"no version": {"csrf_token": {m[1]}, "etag": {html.UnescapeString(m[3])}},
			"no etag":    {"csrf_token": {m[1]}, "version": {"1"}},
		} {
			w := ts.do(http.MethodPost, "/admin/rollback", strings.NewReader(form.Encode()), ann, own...)
			if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), `data-code="bad_version"`) {
				t.Errorf("%s = %d:\n%s", name, w.Code, w.Body)
			}
		}
		form := url.Values{"csrf_token": {m[1]}, "version": {"1"}, "etag": {html.UnescapeString(m[3])}}.Encode()
		w := ts.do(http.MethodPost, "/admin/rollback", strings.NewReader(form), ann, own...)
		if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/admin?rolled_back=3#history" {
			t.Fatalf("rollback = %d %q:\n%s", w.Code, w.Header().Get("Location"), w.Body)
		}
		if !auditHas(ts, `"type":"mapping_change"`, `"via":"browser"`, `"reason":"rollback to 1"`, `"decision":"granted"`) {
			t.Errorf("no audit event for the rollback:\n%s", ts.audit)
		}
		if done := ts.do(http.MethodGet, "/admin?rolled_back=3", nil, ann).Body.String(); !strings.Contains(done, "Rolled back: version 3") {
			t.Error("the page does not say it rolled back")
		}
		// The same form again is based on version 2, which is gone: the
		// confirmation again, with what the rollback would change now.
		w = ts.do(http.MethodPost, "/admin/rollback", strings.NewReader(form), ann, own...)
		wantIn(t, "a stale rollback form", w, http.StatusPreconditionFailed, `id="rollback-changed"`, "You confirmed against version 2; version 3 is current now",
			`id="rollback-same"`) // version 3 is version 1 again
		if m := rollbackForm.FindStringSubmatch(w.Body.String()); m == nil || html.UnescapeString(m[3]) != ts.live.State().Serving.ETag() {
			t.Errorf("the confirmation after a stale rollback does not offer one based on version 3:\n%s", w.Body)
		}
		if ts.live.State().Latest.Number != 3 || !auditHas(ts, `"code":"version_conflict"`, `"reason":"rollback to 1"`, `"via":"browser"`) {
			t.Errorf("the stale rollback changed something or was not audited:\n%s", ts.audit)
		}
	})
}

func TestAdminPageOnAFixedMapping(t *testing.T) {
	ts := newTestServer(t, "https://notebooks.example")
	ann := ts.sessionFor(admin("ann"))
	w := ts.do(http.MethodGet, "/admin", nil, ann)
	if body := w.Body.String(); w.Code != http.StatusOK || !strings.Contains(body, "serves a fixed mapping") || strings.Contains(body, `id="history"`) {
		t.Errorf("GET /admin on a fixed mapping = %d:\n%s", w.Code, body)
	}
	if strings.Contains(w.Body.String(), `id="editor"`) {
		t.Error("a fixed mapping is offered for editing")
	}
	tok := csrfFrom(t, w.Body.String())
	etag := `"1-` + strings.Repeat("0", 64) + `"`
	form := url.Values{"csrf_token": {tok}, "version": {"1"}, "etag": {etag}}.Encode()
	r := ts.do(http.MethodPost, "/admin/rollback", strings.NewReader(form), ann, "Origin", "https://notebooks.example")
	if r.Code != http.StatusConflict || !strings.Contains(r.Body.String(), `data-code="mapping_read_only"`) {
		t.Errorf("rollback on a fixed mapping = %d:\n%s", r.Code, r.Body)
	}
	if r := ts.do(http.MethodGet, "/admin/rollback?version=1", nil, ann); r.Code != http.StatusConflict || !strings.Contains(r.Body.String(), `data-code="mapping_read_only"`) {
		t.Errorf("the rollback's confirmation on a fixed mapping = %d:\n%s", r.Code, r.Body)
	}
	for _, path := range []string{"/admin/validate", "/admin/diff", "/admin/save"} {
		r := ts.postEditor(path, ann, map[string]string{"csrf_token": tok, "content": editedMapping, "etag": etag})
		if r.Code != http.StatusConflict || !strings.Contains(r.Body.String(), `data-code="mapping_read_only"`) {
			t.Errorf("%s on a fixed mapping = %d:\n%s", path, r.Code, r.Body)
		}
	}
}

// TestMappingChangeMakesSessionsStale: an edit that reads a group sessions
// did not keep sends their holders to sign in again.
func TestMappingChangeMakesSessionsStale(t *testing.T) {
	ts := newTestServer(t, "https://notebooks.example", withStore(t, testMapping))
	alice, tok := ts.session("alice"), ts.token("alice")
	more := strings.Replace(editedMapping, "      - groups: [data-science]\n    role_arn: arn:aws:iam::123456789012:role/secds-team-ml", "      - groups: [machine-learning]\n    role_arn: arn:aws:iam::123456789012:role/secds-team-ml", 1)
	if _, err := ts.live.Update(context.Background(), mapstore.Update{Content: []byte(more), Expected: ts.live.State().Serving.Version, Reason: "edit"}); err != nil {
		t.Fatal(err)
	}
	wantError(t, "an old token", ts.do(http.MethodGet, "/api/v1/me", nil, nil, bearer(tok)...), http.StatusUnauthorized, "session_stale")
	if next, ok := signInRedirect(ts.do(http.MethodGet, "/open?notebook=ds-alice", nil, alice)); !ok || next != "/open?notebook=ds-alice" {
		t.Errorf("an old session opening: sign-in %v, next %q", ok, next)
	}
}
