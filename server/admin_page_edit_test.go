package server

import (
	"bytes"
	"context"
	"html"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/secds/secds/internal/mapstore"
)

// withAuditedStore is withStore with the mapping's changes recorded in the
// server's audit trail, as compose wires them.
func withAuditedStore(t *testing.T, content string) func(*Config) {
	return func(c *Config) {
		live, err := mapstore.NewLive(t.Context(), mapstore.NewMemory([]byte(content), mapstore.Change{Author: "seed", Reason: "seed"}, nil),
			mapstore.LiveOptions{Name: "teams.yaml", Log: slog.New(slog.DiscardHandler), Audit: c.Audit})
		if err != nil {
			t.Fatal(err)
		}
		c.Mapping = live
	}
}

var (
	editorETag    = regexp.MustCompile(`name="etag" value="([^"]+)" id="editor-etag"`)
	editorContent = regexp.MustCompile(`(?s)<textarea name="content" id="editor-content"[^>]*>\n(.*?)</textarea>`)
)

// editorOf reads the editor's text area and ETag back from a page, as a
// browser would submit them.
func editorOf(t *testing.T, page string) (content, etag string) {
	t.Helper()
	c, e := editorContent.FindStringSubmatch(page), editorETag.FindStringSubmatch(page)
	if c == nil || e == nil {
		t.Fatalf("no editor in the page:\n%s", page)
	}
	return html.UnescapeString(c[1]), html.UnescapeString(e[1])
}

// postEditor posts the editor's form as Chromium does: multipart, with the
// text area's lines ending in CRLF.
func (ts *testServer) postEditor(path string, cookie *http.Cookie, fields map[string]string) *httptest.ResponseRecorder {
	ts.t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for k, v := range fields {
		if k == "content" {
			v = strings.ReplaceAll(v, "\n", "\r\n")
		}
		if err := mw.WriteField(k, v); err != nil {
			ts.t.Fatal(err)
		}
	}
	if err := mw.Close(); err != nil {
		ts.t.Fatal(err)
	}
	r := httptest.NewRequest(http.MethodPost, ts.base+path, &b)
	r.RemoteAddr = ts.remote
	r.Header.Set("Content-Type", mw.FormDataContentType())
	r.Header.Set("Origin", ts.base)
	if cookie != nil {
		r.AddCookie(cookie)
	}
	w := httptest.NewRecorder()
	ts.s.ServeHTTP(w, r)
	return w
}

func wantIn(t *testing.T, what string, w *httptest.ResponseRecorder, status int, parts ...string) {
	t.Helper()
	body := w.Body.String()
	if w.Code != status {
		t.Errorf("%s = %d, want %d:\n%s", what, w.Code, status, body)
		return
	}
	for _, p := range parts {
		if !strings.Contains(body, p) {
			t.Errorf("%s lacks %q:\n%s", what, p, body)
		}
	}
}

func TestAdminPageEditor(t *testing.T) {
	ts := newTestServer(t, "https://notebooks.example", withAuditedStore(t, testMapping))
	ann := ts.sessionFor(admin("ann"))
	page := ts.do(http.MethodGet, "/admin", nil, ann).Body.String()
	content, etag := editorOf(t, page)
	tok := csrfFrom(t, page)
	if content != testMapping || etag != ts.live.State().Serving.ETag() {
		t.Fatalf("the editor shows %q with %s, want version 1 and its ETag", content, etag)
	}
	form := func(content, etag string) map[string]string {
		return map[string]string{"csrf_token": tok, "content": content, "etag": etag, "reason": "add ml"}
	}
	// Two mistakes: the role at 7:15 and the session length at 8:27.
	broken := strings.Replace(editedMapping, "role_arn: arn:aws:iam::123456789012:role/secds-team-ds", "role_arn: nope\n    role_session_seconds: 5", 1)

	t.Run("a text area keeps a leading new line", func(t *testing.T) {
		if !strings.Contains(page, `autocomplete="off">`+"\n"+"version: 1") {
			t.Error("the text area's first new line is not the one the HTML parser drops")
		}
	})

	t.Run("validate: positioned mistakes, the lines quoted, nothing stored", func(t *testing.T) {
		w := ts.postEditor("/admin/validate", ann, form(broken, etag))
		wantIn(t, "validate", w, http.StatusOK, `id="editor-problems"`, "2 mistakes", `data-line="7" data-column="15"`, `<code class="where">teams.yaml:7:15</code>`,
			`<span class="hit"><span class="ln">7</span>     role_arn: <mark>nope</mark></span>`, `<span class="ln">6</span>       - groups: [data-science]`,
			`data-line="8" data-column="27"`, `<span class="hit"><span class="ln">8</span>     role_session_seconds: <mark>5</mark></span>`)
		if got, _ := editorOf(t, w.Body.String()); got != broken {
			t.Errorf("the text area after validate = %q, want the admin's text with LF line ends", got)
		}
		wantIn(t, "validate a good text", ts.postEditor("/admin/validate", ann, form(editedMapping, etag)), http.StatusOK,
			`id="editor-valid"`, "with teams ds, ml", "Nothing was stored")
		// An admin may not lock themselves out: said before a save.
		wantIn(t, "validate a lock-out", ts.postEditor("/admin/validate", ann, form(strings.Replace(testMapping, "[secds-admins]", "[others]", 1), etag)), http.StatusOK,
			`<code class="where">teams.yaml</code>: with this mapping ann is no longer in admin_groups`)
		if n := ts.live.State().Latest.Number; n != 1 || strings.Contains(ts.audit.String(), "mapping_change") {
			t.Errorf("validate stored something: latest %d\n%s", n, ts.audit)
		}
	})

	t.Run("diff against live", func(t *testing.T) {
		w := ts.postEditor("/admin/diff", ann, form(editedMapping, etag))
		wantIn(t, "diff", w, http.StatusOK, `id="editor-diff"`, `<span class="file">--- version 1 (current)`, `<span class="file">&#43;&#43;&#43; your text`, `<span class="add">&#43;  - name: ml`)
		if strings.Contains(w.Body.String(), `<span class="del">`) {
			t.Error("CRLF line ends show as changed lines")
		}
		wantIn(t, "diff, unchanged", ts.postEditor("/admin/diff", ann, form(testMapping, etag)), http.StatusOK, `id="editor-same"`)
	})

	t.Run("a form without its version is refused", func(t *testing.T) {
		for _, path := range []string{"/admin/validate", "/admin/diff", "/admin/save"} {
			wantIn(t, path+" without an etag", ts.postEditor(path, ann, form(editedMapping, "")), http.StatusBadRequest, `data-code="bad_version"`)
		}
		wantIn(t, "save without the CSRF token", ts.postEditor("/admin/save", ann, map[string]string{"content": editedMapping, "etag": etag}), http.StatusForbidden, `data-code="csrf_failed"`)
	})

	t.Run("save invalid: 422, the mistakes, the text kept", func(t *testing.T) {
		w := ts.postEditor("/admin/save", ann, form(broken, etag))
		wantIn(t, "save invalid", w, http.StatusUnprocessableEntity, `id="editor-problems"`, `teams.yaml:7:15`, `teams.yaml:8:27`, "nothing was stored")
		if got, e := editorOf(t, w.Body.String()); got != broken || e != etag {
			t.Errorf("after an invalid save the editor has %q on %s", got, e)
		}
		if !auditHas(ts, `"type":"mapping_change"`, `"decision":"denied"`, `"code":"mapping_invalid"`, `"via":"browser"`, `"user":"ann"`) {
			t.Errorf("the refused save is not audited as the API's is:\n%s", ts.audit)
		}
	})

	t.Run("save: a new version, audited, the page says so", func(t *testing.T) {
		w := ts.postEditor("/admin/save", ann, form(editedMapping, etag))
		if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/admin?saved=2#editor" {
			t.Fatalf("save = %d %q:\n%s", w.Code, w.Header().Get("Location"), w.Body)
		}
		st := ts.live.State()
		if st.Serving.Number != 2 || st.Serving.Author != "ann" || st.Serving.Reason != "edit: add ml" {
			t.Errorf("serving %+v, want version 2 by ann for edit: add ml", st.Serving)
		}
		if rev, _ := ts.live.Store().Get(context.Background()); string(rev.Content) != editedMapping {
			t.Errorf("stored %q, want the text with LF line ends", rev.Content)
		}
		if !auditHas(ts, `"type":"mapping_change"`, `"decision":"granted"`, `"via":"browser"`, `"user":"ann"`, `"from_version":1`, `"to_version":2`) {
			t.Errorf("no audit event for the save:\n%s", ts.audit)
		}
		done := ts.do(http.MethodGet, "/admin?saved=2", nil, ann).Body.String()
		if !strings.Contains(done, `id="message">Saved as version 2 by ann; it is live.`) {
			t.Errorf("the page does not say it saved:\n%s", done)
		}
		if _, e := editorOf(t, done); e != st.Serving.ETag() {
			t.Errorf("the editor after a save is based on %s, want version 2", e)
		}
		if forged := ts.do(http.MethodGet, "/admin?saved=7", nil, ann).Body.String(); strings.Contains(forged, `id="message"`) {
			t.Error("a link claims a save that never happened")
		}
	})

	t.Run("stale save: 412 in words, the other change shown, the text kept", func(t *testing.T) {
		// Ann's page is on version 2; bob saves version 3 through the API.
		page := ts.do(http.MethodGet, "/admin", nil, ann).Body.String()
		_, base := editorOf(t, page)
		other := strings.Replace(editedMapping, "secds-team-ml", "secds-team-ml2", 1)
		if _, err := ts.live.Update(context.Background(), mapstore.Update{Content: []byte(other), Expected: ts.live.State().Serving.Version, Reason: "edit", By: mapstore.By{Username: "bob"}}); err != nil {
			t.Fatal(err)
		}
		mine := editedMapping + "  - name: extra\n    match:\n      - groups: [extra]\n    role_arn: arn:aws:iam::123456789012:role/secds-team-extra\n"
		// Validate and Diff already say the mapping moved on.
		wantIn(t, "validate on a stale base", ts.postEditor("/admin/validate", ann, form(mine, base)), http.StatusOK, `id="editor-changed"`, "version 3 by bob is current")

		w := ts.postEditor("/admin/save", ann, form(mine, base))
		wantIn(t, "stale save", w, http.StatusPreconditionFailed, `id="editor-conflict"`, "Not saved: someone else changed the mapping",
			`id="conflict-based">2<`, `id="conflict-current">3<`, "by <strong>bob</strong>", "Nothing was changed", "412",
			`<span class="del">-    role_arn: arn:aws:iam::123456789012:role/secds-team-ml`, `<span class="add">&#43;    role_arn: arn:aws:iam::123456789012:role/secds-team-ml2`)
		got, e := editorOf(t, w.Body.String())
		if got != mine {
			t.Errorf("the stale save lost the admin's text: %q", got)
		}
		if e != ts.live.State().Serving.ETag() {
			t.Errorf("after the conflict the form is based on %s, want version 3", e)
		}
		if ts.live.State().Latest.Number != 3 || !auditHas(ts, `"code":"version_conflict"`, `"via":"browser"`, `"user":"ann"`) {
			t.Errorf("the stale save changed something or was not audited:\n%s", ts.audit)
		}
		// Having seen the other change, ann saves on version 3.
		if w := ts.postEditor("/admin/save", ann, form(got, e)); w.Code != http.StatusSeeOther {
			t.Errorf("the save after the conflict = %d:\n%s", w.Code, w.Body)
		}
	})
}

// TestAdminPageRollbackNamesEachVersion: every rollback link says which
// version it rolls back to, so a screen reader's list of links tells them
// apart.
func TestAdminPageRollbackNamesEachVersion(t *testing.T) {
	ts := newTestServer(t, "https://notebooks.example", withStore(t, testMapping))
	for _, c := range []string{editedMapping, testMapping, editedMapping} {
		if _, err := ts.live.Update(context.Background(), mapstore.Update{Content: []byte(c), Expected: ts.live.State().Serving.Version, Reason: "edit"}); err != nil {
			t.Fatal(err)
		}
	}
	body := ts.do(http.MethodGet, "/admin", nil, ts.sessionFor(admin("ann"))).Body.String()
	names := regexp.MustCompile(`<a href="/admin/rollback\?version=(\d+)" id="rollback-\d+">([^<]*)</a>`).FindAllStringSubmatch(body, -1)
	if len(names) != 3 {
		t.Fatalf("%d rollback links, want 3:\n%s", len(names), body)
	}
	seen := map[string]bool{}
	for _, m := range names {
		if m[2] != "Roll back to version "+m[1] || seen[m[2]] {
			t.Errorf("rollback link %q for version %s", m[2], m[1])
		}
		seen[m[2]] = true
	}
}

// TestAdminPageStaleSaveAfterSeveralVersions: when more than one version
// came in between, the page says how many, and the diff covers them all.
func TestAdminPageStaleSaveAfterSeveralVersions(t *testing.T) {
	ts := newTestServer(t, "https://notebooks.example", withStore(t, testMapping))
	ann := ts.sessionFor(admin("ann"))
	page := ts.do(http.MethodGet, "/admin", nil, ann).Body.String()
	_, etag := editorOf(t, page)
	for _, c := range []string{editedMapping, strings.Replace(editedMapping, "secds-team-ml", "secds-team-ml2", 1)} {
		if _, err := ts.live.Update(context.Background(), mapstore.Update{Content: []byte(c), Expected: ts.live.State().Serving.Version, Reason: "edit", By: mapstore.By{Username: "bob"}}); err != nil {
			t.Fatal(err)
		}
	}
	mine := strings.Replace(testMapping, "secds-team-ds", "secds-team-ds2", 1)
	w := ts.postEditor("/admin/save", ann, map[string]string{"csrf_token": csrfFrom(t, page), "content": mine, "etag": etag})
	wantIn(t, "a save two versions behind", w, http.StatusPreconditionFailed, "but 2 versions were saved since, the latest, version <strong id=\"conflict-current\">3</strong>, by <strong>bob</strong>",
		`<span class="file">--- version 1`, `<span class="add">&#43;    role_arn: arn:aws:iam::123456789012:role/secds-team-ml2`)
	if got, _ := editorOf(t, w.Body.String()); got != mine {
		t.Errorf("the text was not kept: %q", got)
	}
}

// TestAdminPageShowsAnInvalidVersionsLines: a version stored behind the
// broker's back with mistakes (as a file edited by hand) is shown with the
// lines each mistake is about, and is in the editor to be fixed.
func TestAdminPageShowsAnInvalidVersionsLines(t *testing.T) {
	ts := newTestServer(t, "https://notebooks.example", withStore(t, testMapping))
	broken := strings.Replace(testMapping, "role_arn: arn:aws:iam::123456789012:role/secds-team-ds", "role_arn: nope", 1)
	if _, err := ts.live.Store().Put(context.Background(), []byte(broken), ts.live.State().Latest.Version, mapstore.Change{Reason: "on disk"}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for ts.live.State().Valid() && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	w := ts.do(http.MethodGet, "/admin", nil, ts.sessionFor(admin("ann")))
	wantIn(t, "the page of an invalid version", w, http.StatusOK, `data-valid="false"`, "Fix these in the editor below",
		`<li id="latest-problem-0" data-line="7" data-column="15"><code class="where">teams.yaml:7:15</code>`,
		`<span class="hit"><span class="ln">7</span>     role_arn: <mark>nope</mark></span>`)
	if got, _ := editorOf(t, w.Body.String()); got != broken {
		t.Errorf("the editor has %q, want the invalid version to fix", got)
	}
}
