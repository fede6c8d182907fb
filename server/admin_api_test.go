package server

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/secds/secds/internal/api"
	"github.com/secds/secds/internal/mapstore"
)

// editedMapping is testMapping with a second team. It reads no group or
// claim the first did not, so sessions and tokens stay fresh across it.
const editedMapping = testMapping + `  - name: ml
    match:
      - groups: [data-science]
    role_arn: arn:aws:iam::123456789012:role/secds-team-ml
`

// yamlBody is a raw YAML request body.
var yamlBody = []string{"Content-Type", mappingType}

// adminAPIRoutes are the admin API, each with a body it would accept.
var adminAPIRoutes = []struct{ method, path, body string }{
	{http.MethodGet, adminMapping, ""},
	{http.MethodPut, adminMapping, editedMapping},
	{http.MethodPost, adminMapping + "/validate", editedMapping},
	{http.MethodGet, adminMapping + "/history", ""},
	{http.MethodGet, adminMapping + "/history/1", ""},
	{http.MethodPost, adminMapping + "/rollback", `{"version":1}`},
	{http.MethodPost, adminAPI + "/explain", `{"username":"bob","groups":["data-science"]}`},
	{http.MethodPost, adminAPI + "/posture", `{}`},
	{http.MethodGet, adminAPI + "/readiness", ""},
	{http.MethodPost, adminAPI + "/tokens/revoke", `{"username":"bob"}`},
}

func TestAdminAPIRefusals(t *testing.T) {
	ts := newTestServer(t, "https://notebooks.example", withStore(t, testMapping))
	clock := time.Now()
	ts.s.cfg.Now = func() time.Time { return clock }
	bob, adminTok := ts.token("bob"), ts.tokenFor(admin("ann"))
	etag := `"1-` + strings.Repeat("0", 64) + `"`
	for _, r := range adminAPIRoutes {
		what := r.method + " " + r.path
		call := func(h ...string) *httptest.ResponseRecorder {
			return ts.do(r.method, r.path, strings.NewReader(r.body), nil, append(h, "If-Match", etag, "Content-Type", "application/json")...)
		}
		wantError(t, what+" anonymous", call(), http.StatusUnauthorized, "not_signed_in")
		wantError(t, what+" forged token", call("Authorization", "Bearer forged"), http.StatusUnauthorized, "token_invalid")
		wantError(t, what+" by a non-admin", call(bearer(bob)...), http.StatusForbidden, "not_admin")
		// An admin's token of more than an hour ago is not enough.
		clock = time.Now().Add(2 * time.Hour)
		wantError(t, what+" with an old admin token", call(bearer(adminTok)...), http.StatusUnauthorized, "fresh_login_required")
		clock = time.Now()
	}
	if n := strings.Count(ts.audit.String(), `"code":"not_admin"`); n != len(adminAPIRoutes) {
		t.Errorf("%d not_admin events for %d refused requests:\n%s", n, len(adminAPIRoutes), ts.audit)
	}
	if !auditHas(ts, `"type":"admin"`, `"decision":"denied"`, `"user":"bob"`, `"path":"PUT /api/v1/admin/mapping"`) {
		t.Errorf("the refusal's event lacks who and what:\n%s", ts.audit)
	}
	if st := ts.live.State(); st.Latest.Number != 1 {
		t.Errorf("refused requests changed the mapping: version %d", st.Latest.Number)
	}
}

func TestAdminAPIWithoutAMappingStore(t *testing.T) {
	none := newTestServer(t, "https://notebooks.example", func(c *Config) { c.Mapping = nil })
	// Nobody can sign in to a broker without a mapping; a token from
	// before still meets the admin refusal, not a crash.
	none.mapping = newTestServer(t, "https://notebooks.example").mapping
	tok := none.tokenFor(admin("ann"))
	wantError(t, "admin API without a mapping", none.do(http.MethodGet, adminMapping, nil, nil, bearer(tok)...), http.StatusUnauthorized, "session_stale")

	fixed := newTestServer(t, "https://notebooks.example")
	tok = fixed.tokenFor(admin("ann"))
	for _, r := range []struct{ method, path string }{
		{http.MethodGet, adminMapping}, {http.MethodGet, adminMapping + "/history"}, {http.MethodGet, adminMapping + "/history/1"},
	} {
		w := fixed.do(r.method, r.path, nil, nil, bearer(tok)...)
		if e := wantError(t, r.path+" on a fixed mapping", w, http.StatusConflict, "mapping_read_only"); !strings.Contains(e.Error.Message, "read-only") {
			t.Errorf("%s: %q", r.path, e.Error.Message)
		}
	}
	w := fixed.do(http.MethodPut, adminMapping, strings.NewReader(editedMapping), nil, append(bearer(tok), "If-Match", `"1-`+strings.Repeat("0", 64)+`"`, "Content-Type", mappingType)...)
	wantError(t, "PUT on a fixed mapping", w, http.StatusConflict, "mapping_read_only")
}

func TestAdminMappingETag(t *testing.T) {
	ts := newTestServer(t, "https://notebooks.example", withStore(t, testMapping))
	tok := ts.tokenFor(admin("ann"))
	get := func(h ...string) *httptest.ResponseRecorder {
		return ts.do(http.MethodGet, adminMapping, nil, nil, append(bearer(tok), h...)...)
	}
	put := func(content, ifMatch string, h ...string) *httptest.ResponseRecorder {
		if ifMatch != "" {
			h = append(h, "If-Match", ifMatch)
		}
		return ts.do(http.MethodPut, adminMapping, strings.NewReader(content), nil, append(append(bearer(tok), yamlBody...), h...)...)
	}

	w := get()
	etag := w.Header().Get("ETag")
	if w.Code != http.StatusOK || w.Body.String() != testMapping || !strings.HasPrefix(w.Header().Get("Content-Type"), mappingType) ||
		!strings.HasPrefix(etag, `"1-`) || w.Header().Get(versionHeader) != "1" || w.Header().Get(servingHeader) != "1" {
		t.Fatalf("GET mapping = %d %q ETag %q version %q:\n%s", w.Code, w.Header().Get("Content-Type"), etag, w.Header().Get(versionHeader), w.Body)
	}
	var doc api.MappingDoc
	decode(t, "GET mapping as JSON", get("Accept", "application/json"), http.StatusOK, &doc)
	if doc.Content != testMapping || doc.ETag != etag || doc.Version != 1 || doc.Serving != 1 {
		t.Errorf("JSON document = %+v", doc)
	}

	t.Run("a write needs If-Match", func(t *testing.T) {
		for _, ifMatch := range []string{"", "*"} {
			if e := wantError(t, "If-Match "+ifMatch, put(editedMapping, ifMatch), http.StatusPreconditionRequired, "if_match_required"); !strings.Contains(e.Error.Message, "ETag") {
				t.Errorf("the refusal does not say what to send: %q", e.Error.Message)
			}
		}
		wantError(t, "a weak tag", put(editedMapping, "W/"+etag), http.StatusPreconditionFailed, "version_conflict")
		wantError(t, "not a version", put(editedMapping, `"banana"`), http.StatusPreconditionFailed, "version_conflict")
	})
	t.Run("invalid content: 422 with every mistake where it is", func(t *testing.T) {
		bad := strings.Replace(editedMapping, "role_arn: arn:aws:iam::123456789012:role/secds-team-ml", "role_arn: not-an-arn", 1)
		e := wantError(t, "invalid mapping", put(bad, etag), http.StatusUnprocessableEntity, "mapping_invalid")
		if len(e.Problems) == 0 || e.Problems[0].Line == 0 || !strings.HasPrefix(e.Problems[0].Text, "teams.yaml:") {
			t.Errorf("problems = %+v", e.Problems)
		}
	})
	t.Run("an admin cannot lock themselves out", func(t *testing.T) {
		noAdmins := strings.Replace(editedMapping, "admin_groups: [secds-admins]", "admin_groups: [others]", 1)
		e := wantError(t, "no admins", put(noAdmins, etag), http.StatusUnprocessableEntity, "mapping_invalid")
		if len(e.Problems) != 1 || !strings.Contains(e.Problems[0].Message, "ann is no longer in admin_groups") {
			t.Errorf("problems = %+v", e.Problems)
		}
	})
	t.Run("too large", func(t *testing.T) {
		wantError(t, "a huge mapping", put(testMapping+"#"+strings.Repeat("x", maxMappingBytes), etag), http.StatusRequestEntityTooLarge, "mapping_too_large")
	})
	var next string
	t.Run("a write based on the current version", func(t *testing.T) {
		w := put(editedMapping, etag, reasonHeader, "add ml\x07 team")
		var info api.VersionInfo
		decode(t, "PUT", w, http.StatusOK, &info)
		next = w.Header().Get("ETag")
		if info.Version != 2 || next != info.ETag || next == etag || info.Author != "ann" || info.Reason != "edit: add ml team" {
			t.Errorf("PUT = %+v, ETag %q", info, next)
		}
		if g := get(); g.Body.String() != editedMapping || g.Header().Get("ETag") != next {
			t.Errorf("GET after PUT = %q %s", g.Header().Get("ETag"), g.Body)
		}
		if ts.live.Mapping().Teams[1].Name != "ml" {
			t.Error("the written mapping is not live")
		}
	})
	t.Run("a write based on a stale version: 412, nothing changes", func(t *testing.T) {
		w := put(testMapping, etag)
		e := wantError(t, "stale If-Match", w, http.StatusPreconditionFailed, "version_conflict")
		if w.Header().Get("ETag") != next || !strings.Contains(e.Error.Message, "based on version 1, and it is now version 2") {
			t.Errorf("conflict ETag %q, message %q", w.Header().Get("ETag"), e.Error.Message)
		}
		if ts.live.State().Latest.Number != 2 {
			t.Error("a stale write changed the mapping")
		}
	})
	t.Run("a JSON body, with if_match inside", func(t *testing.T) {
		body, _ := json.Marshal(api.MappingBody{Content: testMapping, IfMatch: next, Reason: "back"})
		w := ts.do(http.MethodPut, adminMapping, strings.NewReader(string(body)), nil, append(bearer(tok), jsonBody...)...)
		var info api.VersionInfo
		decode(t, "PUT JSON", w, http.StatusOK, &info)
		if info.Version != 3 || info.Reason != "edit: back" {
			t.Errorf("PUT JSON = %+v", info)
		}
		bad := ts.do(http.MethodPut, adminMapping, strings.NewReader(`{"content":`), nil, append(bearer(tok), jsonBody...)...)
		wantError(t, "malformed JSON body", bad, http.StatusBadRequest, "bad_request")
	})
}

func TestAdminMappingHistoryAndRollback(t *testing.T) {
	ts := newTestServer(t, "https://notebooks.example", withStore(t, testMapping))
	tok := ts.tokenFor(admin("ann"))
	call := func(method, path, body string, h ...string) *httptest.ResponseRecorder {
		return ts.do(method, path, strings.NewReader(body), nil, append(append(bearer(tok), jsonBody...), h...)...)
	}
	v1 := ts.live.State().Serving.ETag()
	if _, err := ts.live.Update(context.Background(), mapstore.Update{Content: []byte(editedMapping), Expected: ts.live.State().Serving.Version, Reason: "edit"}); err != nil {
		t.Fatal(err)
	}

	var hist api.HistoryResponse
	decode(t, "history", call(http.MethodGet, adminMapping+"/history", ""), http.StatusOK, &hist)
	if hist.Serving != 2 || hist.Latest != 2 || !hist.Valid || len(hist.Versions) != 2 || hist.Versions[0].Version != 2 || hist.Versions[1].ETag != v1 {
		t.Fatalf("history = %+v", hist)
	}
	w := call(http.MethodGet, adminMapping+"/history/1", "")
	if w.Code != http.StatusOK || w.Body.String() != testMapping || w.Header().Get(versionHeader) != "1" || w.Header().Get(servingHeader) != "2" {
		t.Errorf("version 1 = %d (version %q serving %q):\n%s", w.Code, w.Header().Get(versionHeader), w.Header().Get(servingHeader), w.Body)
	}
	for _, v := range []string{"0", "-1", "two"} {
		wantError(t, "version "+v, call(http.MethodGet, adminMapping+"/history/"+v, ""), http.StatusBadRequest, "bad_version")
	}
	wantError(t, "version 9", call(http.MethodGet, adminMapping+"/history/9", ""), http.StatusNotFound, "version_not_found")

	wantError(t, "rollback to nothing", call(http.MethodPost, adminMapping+"/rollback", `{}`), http.StatusBadRequest, "bad_version")
	wantError(t, "rollback, malformed", call(http.MethodPost, adminMapping+"/rollback", `{"version":`), http.StatusBadRequest, "bad_request")
	wantError(t, "rollback to 9", call(http.MethodPost, adminMapping+"/rollback", `{"version":9}`), http.StatusNotFound, "version_not_found")
	wantError(t, "rollback on a stale If-Match", call(http.MethodPost, adminMapping+"/rollback", `{"version":1}`, "If-Match", v1), http.StatusPreconditionFailed, "version_conflict")
	var info api.VersionInfo
	w = call(http.MethodPost, adminMapping+"/rollback", `{"version":1,"if_match":`+strconv.Quote(ts.live.State().Serving.ETag())+`}`)
	decode(t, "rollback", w, http.StatusOK, &info)
	if info.Version != 3 || w.Header().Get("ETag") != info.ETag || len(ts.live.Mapping().Teams) != 1 {
		t.Errorf("rollback = %+v, ETag %q, teams %d", info, w.Header().Get("ETag"), len(ts.live.Mapping().Teams))
	}
}

func TestAdminValidateAndExplain(t *testing.T) {
	ts := newTestServer(t, "https://notebooks.example", withStore(t, testMapping))
	tok := ts.tokenFor(admin("ann"))
	call := func(path, body string, h ...string) *httptest.ResponseRecorder {
		return ts.do(http.MethodPost, path, strings.NewReader(body), nil, append(bearer(tok), h...)...)
	}
	var v api.ValidateResponse
	decode(t, "validate good", call(adminMapping+"/validate", editedMapping, yamlBody...), http.StatusOK, &v)
	if !v.Valid || len(v.Problems) != 0 || strings.Join(v.Teams, ",") != "ds,ml" {
		t.Errorf("validate good = %+v", v)
	}
	v = api.ValidateResponse{}
	decode(t, "validate bad", call(adminMapping+"/validate", "version: 1\nteams: [", yamlBody...), http.StatusOK, &v)
	if v.Valid || len(v.Problems) == 0 || v.Problems[0].Text == "" {
		t.Errorf("validate bad = %+v", v)
	}
	v = api.ValidateResponse{}
	decode(t, "validate lockout", call(adminMapping+"/validate", strings.Replace(testMapping, "secds-admins", "others", 1), yamlBody...), http.StatusOK, &v)
	if v.Valid || len(v.Problems) != 1 {
		t.Errorf("validate lockout = %+v", v)
	}
	if ts.live.State().Latest.Number != 1 {
		t.Error("validate stored something")
	}

	var ex api.ExplainResponse
	decode(t, "explain", call(adminAPI+"/explain", `{"username":"bob","groups":["data-science"],"notebooks":true}`, jsonBody...), http.StatusOK, &ex)
	if ex.Identity.Username != "bob" || strings.Join(ex.Granted, ",") != "ds" || ex.Admin || ex.MappingVersion != 1 || len(ex.Notebooks) != 1 {
		t.Errorf("explain = %+v", ex)
	}
	if got := ts.broker.listFor; len(got) != 1 || got[0] != "ann for bob" {
		t.Errorf("notebooks listed as %v, want in ann's name for bob", got)
	}
	if !auditHas(ts, `"type":"admin"`, `"code":"explain"`, `"user":"ann"`, `"for":"bob"`) {
		t.Errorf("no explain event:\n%s", ts.audit)
	}
	var pr api.PostureResponse
	decode(t, "posture", call(adminAPI+"/posture", `{}`, jsonBody...), http.StatusOK, &pr)
	if pr.MappingVersion != 1 || len(pr.Notebooks) != 1 || pr.Notebooks[0].Name != "ds-alice" {
		t.Errorf("posture = %+v", pr)
	}
	proposed, _ := json.Marshal(api.PostureRequest{Mapping: editedMapping})
	pr = api.PostureResponse{}
	decode(t, "posture of a proposed mapping", call(adminAPI+"/posture", string(proposed), jsonBody...), http.StatusOK, &pr)
	if pr.MappingVersion != 0 || strings.Join(ts.broker.estateTeams, ",") != "ds,ds,ml" {
		t.Errorf("posture of a proposed mapping = %+v for teams %v, want the live mapping's then the proposed one's", pr, ts.broker.estateTeams)
	}
	broken, _ := json.Marshal(api.PostureRequest{Mapping: "version: 1\nteams: ["})
	wantError(t, "posture of a broken mapping", call(adminAPI+"/posture", string(broken), jsonBody...), http.StatusUnprocessableEntity, "mapping_invalid")
	if !auditHas(ts, `"type":"admin"`, `"code":"posture"`, `"user":"ann"`) {
		t.Errorf("no posture event:\n%s", ts.audit)
	}
	ex = api.ExplainResponse{}
	decode(t, "explain a stranger", call(adminAPI+"/explain", `{"claims":{"preferred_username":"eve","groups":["sales"]}}`, jsonBody...), http.StatusOK, &ex)
	if len(ex.Granted) != 0 || len(ex.Teams) != 1 || ex.Teams[0].Granted {
		t.Errorf("explain eve = %+v", ex)
	}
	wantError(t, "explain nobody", call(adminAPI+"/explain", `{"sub":"x"}`, jsonBody...), http.StatusBadRequest, "bad_identity")
	wantError(t, "explain, malformed", call(adminAPI+"/explain", `{"username":`, jsonBody...), http.StatusBadRequest, "bad_request")
}

func TestAdminReadiness(t *testing.T) {
	ts := newTestServer(t, "https://notebooks.example", withStore(t, testMapping), func(c *Config) {
		c.Ready = func(context.Context) error { return errors.New("read /etc/secds/teams.yaml: permission denied") }
	})
	ts.idp.readyErr = errors.New("discovery: connection refused")
	var d readinessDetail
	decode(t, "readiness", ts.do(http.MethodGet, adminAPI+"/readiness", nil, nil, bearer(ts.tokenFor(admin("ann")))...), http.StatusOK, &d)
	if d.Ready || d.Checks["identity_provider"] != "unavailable" || !strings.Contains(d.Errors["mapping"], "permission denied") ||
		!strings.Contains(d.Errors["identity_provider"], "connection refused") || d.Mapping == nil || d.Mapping.Serving != 1 || !d.Mapping.Valid {
		t.Errorf("readiness = %+v", d)
	}
	// The public probe shows neither cause.
	w := ts.do(http.MethodGet, "/readyz", nil, nil)
	if w.Code != http.StatusServiceUnavailable || strings.Contains(w.Body.String(), "permission") || strings.Contains(w.Body.String(), "refused") {
		t.Errorf("/readyz = %d %s", w.Code, w.Body)
	}
}

func TestAdminRevokesTokens(t *testing.T) {
	revs := &fakeRevocations{}
	clock := time.Now()
	ts := newTestServer(t, "https://notebooks.example", func(c *Config) {
		c.Revocations = revs
		c.Now = func() time.Time { return clock }
	})
	adminTok, bobTok := ts.tokenFor(admin("ann")), ts.token("bob")
	revoke := func(body string) *httptest.ResponseRecorder {
		return ts.do(http.MethodPost, adminAPI+"/tokens/revoke", strings.NewReader(body), nil, append(bearer(adminTok), jsonBody...)...)
	}
	for _, body := range []string{`{}`, `{"username":"bob","subject":"sub-bob"}`, `{"username":"  "}`, `{"username":"` + strings.Repeat("x", maxRevokeKey+1) + `"}`} {
		wantError(t, "revoke "+body[:min(len(body), 40)], revoke(body), http.StatusBadRequest, "bad_request")
	}
	// A token issued in the second of the revocation counts as revoked.
	clock = time.Now()
	var res api.RevokeResponse
	decode(t, "revoke bob", revoke(`{"username":"bob"}`), http.StatusOK, &res)
	if res.Username != "bob" || !res.RevokedBefore.After(clock) {
		t.Errorf("revoke = %+v", res)
	}
	if !auditHas(ts, `"type":"token"`, `"code":"tokens_revoked"`, `"decision":"granted"`, `"for":"bob"`, `"user":"ann"`) {
		t.Errorf("no revocation event:\n%s", ts.audit)
	}
	w := ts.do(http.MethodGet, "/api/v1/me", nil, nil, bearer(bobTok)...)
	wantError(t, "bob's revoked token", w, http.StatusUnauthorized, "token_revoked")
	if !auditHas(ts, `"type":"token"`, `"decision":"denied"`, `"code":"token_revoked"`, `"user":"bob"`) {
		t.Errorf("no refusal event:\n%s", ts.audit)
	}
	// bob's browser session is not a token: it still works.
	if w := ts.do(http.MethodGet, "/api/v1/me", nil, ts.session("bob")); w.Code != http.StatusOK {
		t.Errorf("bob's session after the revocation = %d", w.Code)
	}
	decode(t, "revoke by subject", revoke(`{"subject":"sub-carol"}`), http.StatusOK, &res)

	revs.err = errors.New("disk full")
	wantError(t, "revocations unreadable", ts.do(http.MethodGet, "/api/v1/me", nil, nil, bearer(ts.token("dan"))...), http.StatusServiceUnavailable, "revocations_unavailable")
	revs.err = nil
	ts.s.cfg.Revocations = &failingRevoke{}
	wantError(t, "revocation unwritable", revoke(`{"username":"bob"}`), http.StatusServiceUnavailable, "revocation_failed")
	if !auditHas(ts, `"type":"token"`, `"code":"tokens_revoked"`, `"decision":"failed"`) {
		t.Errorf("no failed revocation event:\n%s", ts.audit)
	}

	none := newTestServer(t, "https://notebooks.example")
	w = none.do(http.MethodPost, adminAPI+"/tokens/revoke", strings.NewReader(`{"username":"bob"}`), nil, append(bearer(none.tokenFor(admin("ann"))), jsonBody...)...)
	wantError(t, "revoke without a store", w, http.StatusNotImplemented, "revocation_unavailable")
}

// failingRevoke reads fine and cannot be written.
type failingRevoke struct{ fakeRevocations }

func (*failingRevoke) Revoke(context.Context, string, time.Time) error {
	return errors.New("read-only file system")
}
