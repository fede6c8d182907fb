package server

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/secds/secds/broker"
	"github.com/secds/secds/internal/api"
)

// jsonBody is a JSON request body; do sends forms unless told otherwise.
var jsonBody = []string{"Content-Type", "application/json"}

func TestAPIAuthentication(t *testing.T) {
	ts := newTestServer(t, "https://notebooks.example")
	tok := ts.token("alice")

	t.Run("refusals are JSON 401s with a Bearer challenge", func(t *testing.T) {
		for _, tc := range []struct {
			name, header, code string
		}{
			{"nothing", "", "not_signed_in"},
			{"garbage", "Bearer not-a-token", "token_invalid"},
			{"basic", "Basic YWxpY2U6eA==", "token_invalid"},
			{"empty bearer", "Bearer ", "token_invalid"},
			{"tampered", "Bearer " + tok[:len(tok)-4] + "AAAA", "token_invalid"},
		} {
			var h []string
			if tc.header != "" {
				h = []string{"Authorization", tc.header}
			}
			w := ts.do(http.MethodGet, "/api/v1/me", nil, nil, h...)
			e := wantError(t, tc.name, w, http.StatusUnauthorized, tc.code)
			if !strings.HasPrefix(w.Header().Get("WWW-Authenticate"), `Bearer realm="secds"`) {
				t.Errorf("%s: WWW-Authenticate %q", tc.name, w.Header().Get("WWW-Authenticate"))
			}
			if e.Error.Message == "" || e.Error.RequestID != w.Header().Get("X-Request-Id") {
				t.Errorf("%s: message %q, request ID %q (header %q)", tc.name, e.Error.Message, e.Error.RequestID, w.Header().Get("X-Request-Id"))
			}
			if strings.Contains(w.Body.String(), tok[:20]) {
				t.Errorf("%s: the refusal quotes the token", tc.name)
			}
		}
	})

	t.Run("an expired token", func(t *testing.T) {
		old, err := ts.newTokens(func() time.Time { return time.Now().Add(-13 * time.Hour) }).Issue(ts.mapping.Keep(identity("alice")))
		if err != nil {
			t.Fatal(err)
		}
		w := ts.do(http.MethodGet, "/api/v1/me", nil, nil, bearer(old.Raw)...)
		if e := wantError(t, "expired token", w, http.StatusUnauthorized, "token_expired"); !strings.Contains(e.Error.Message, "secds login") {
			t.Errorf("the refusal does not say how to get a new one: %q", e.Error.Message)
		}
	})

	t.Run("a token, judged alone", func(t *testing.T) {
		var me api.MeResponse
		decode(t, "me with a token", ts.do(http.MethodGet, "/api/v1/me", nil, ts.session("bob"), bearer(tok)...), http.StatusOK, &me)
		if me.Identity.Username != "alice" || me.Auth != "token" || me.CSRFToken != "" || me.TokenExpiresAt.IsZero() {
			t.Errorf("me = %+v", me)
		}
		w := ts.do(http.MethodGet, "/api/v1/me", nil, ts.session("bob"), "Authorization", "Bearer bad")
		wantError(t, "a bad token beside a good cookie", w, http.StatusUnauthorized, "token_invalid")
	})

	t.Run("a session gets the CSRF token", func(t *testing.T) {
		var me api.MeResponse
		decode(t, "me with a session", ts.do(http.MethodGet, "/api/v1/me", nil, ts.session("alice")), http.StatusOK, &me)
		if me.Identity.Username != "alice" || me.Auth != "session" || me.CSRFToken == "" || !me.TokenExpiresAt.IsZero() {
			t.Errorf("me = %+v", me)
		}
		if len(me.Teams) != 1 || me.Teams[0] != "ds" || len(me.Notebooks) != 1 || me.Problem != nil {
			t.Errorf("me lists %v %v (problem %v)", me.Teams, me.Notebooks, me.Problem)
		}
	})

	t.Run("a token without token keys", func(t *testing.T) {
		off := newTestServer(t, "https://notebooks.example", func(c *Config) { c.Tokens = nil })
		wantError(t, "bearer on a broker without keys", off.do(http.MethodGet, "/api/v1/me", nil, nil, bearer(tok)...), http.StatusUnauthorized, "cli_login_disabled")
	})

	t.Run("unknown API paths are JSON", func(t *testing.T) {
		wantError(t, "GET /api/v1/nope", ts.do(http.MethodGet, "/api/v1/nope", nil, nil, bearer(tok)...), http.StatusNotFound, "not_found")
	})
}

func TestAPIMeReportsListProblems(t *testing.T) {
	ts := newTestServer(t, "https://notebooks.example")
	ts.broker.list = broker.Overview{}
	ts.broker.listErr = &api.Error{Kind: api.KindForbidden, Code: "no_team", Message: "You are in no team."}
	var me api.MeResponse
	decode(t, "me", ts.do(http.MethodGet, "/api/v1/me", nil, nil, bearer(ts.token("alice"))...), http.StatusOK, &me)
	if me.Problem == nil || me.Problem.Code != "no_team" || me.Problem.Status != http.StatusForbidden {
		t.Fatalf("problem = %+v", me.Problem)
	}
	// Empty lists, not null: clients iterate them.
	if me.Teams == nil || me.Notebooks == nil || me.Identity.Groups == nil {
		t.Errorf("me has null lists: %+v", me)
	}
}

func TestAPIOpen(t *testing.T) {
	ts := newTestServer(t, "https://notebooks.example")
	tok := ts.token("alice")

	t.Run("opens and says what", func(t *testing.T) {
		var res api.OpenResponse
		decode(t, "open", ts.do(http.MethodPost, "/api/v1/open", strings.NewReader(`{"notebook":"ds-alice","team":"ds"}`), nil, append(bearer(tok), jsonBody...)...), http.StatusOK, &res)
		if res.URL != secretURL || res.Team != "ds" || res.Notebook != "ds-alice" || res.ExpiresAt.IsZero() {
			t.Errorf("open = %+v", res)
		}
		calls := ts.broker.openCalls()
		last := calls[len(calls)-1]
		if last.Notebook != "ds-alice" || last.Team != "ds" || last.Via != "api" || last.ClientIP != "192.0.2.10" || last.RequestID == "" || last.TokenID == "" {
			t.Errorf("the broker was asked %+v", last)
		}
	})

	t.Run("an empty body asks for the only notebook", func(t *testing.T) {
		if w := ts.do(http.MethodPost, "/api/v1/open", nil, nil, bearer(tok)...); w.Code != http.StatusOK {
			t.Errorf("open without a body = %d %s", w.Code, w.Body)
		}
	})

	t.Run("several fit: 409 with the choices", func(t *testing.T) {
		ts.broker.openRes = broker.OpenResult{Choices: []broker.Notebook{{Team: "ds", Name: "a"}, {Team: "ds", Name: "b"}}}
		defer func() { ts.broker.openRes = newFakeBroker().openRes }()
		w := ts.do(http.MethodPost, "/api/v1/open", nil, nil, bearer(tok)...)
		var res api.ChoicesResponse
		decode(t, "open with choices", w, http.StatusConflict, &res)
		if res.Error.Code != api.CodeChooseNotebook || len(res.Choices) != 2 || res.Error.RequestID == "" {
			t.Errorf("choices = %+v", res)
		}
	})

	t.Run("a malformed body", func(t *testing.T) {
		w := ts.do(http.MethodPost, "/api/v1/open", strings.NewReader(`{"notebook":`), nil, append(bearer(tok), jsonBody...)...)
		if e := wantError(t, "malformed", w, http.StatusBadRequest, "bad_request"); !strings.Contains(e.Error.Message, `{"notebook":"NAME","team":"TEAM"}`) {
			t.Errorf("the refusal shows no example: %q", e.Error.Message)
		}
	})

	t.Run("broker refusals keep their status, code and retry time", func(t *testing.T) {
		for _, tc := range []struct {
			err    error
			status int
			code   string
		}{
			{&api.Error{Kind: api.KindForbidden, Code: "team_not_allowed", Message: "Not yours."}, http.StatusForbidden, "team_not_allowed"},
			{&api.Error{Kind: api.KindNotFound, Code: "notebook_not_found", Message: "No such notebook."}, http.StatusNotFound, "notebook_not_found"},
			{&api.Error{Kind: api.KindConflict, Code: "notebook_starting", Message: "Starting.", RetryAfter: 30 * time.Second}, http.StatusConflict, "notebook_starting"},
			{&api.Error{Kind: api.KindUnavailable, Code: "aws_unavailable", Message: "AWS is down.", Err: errors.New("dial sts: SECRET-CAUSE")}, http.StatusServiceUnavailable, "aws_unavailable"},
			{errors.New("boom: SECRET-CAUSE"), http.StatusInternalServerError, "internal"},
		} {
			ts.broker.openErr = tc.err
			w := ts.do(http.MethodPost, "/api/v1/open", nil, nil, bearer(tok)...)
			wantError(t, tc.code, w, tc.status, tc.code)
			if strings.Contains(w.Body.String(), "SECRET-CAUSE") {
				t.Errorf("%s: the answer shows the cause: %s", tc.code, w.Body)
			}
			if tc.code == "notebook_starting" && w.Header().Get("Retry-After") != "30" {
				t.Errorf("notebook_starting: Retry-After %q", w.Header().Get("Retry-After"))
			}
		}
		ts.broker.openErr = nil
		if !strings.Contains(ts.logs.String(), "SECRET-CAUSE") {
			t.Error("the log lacks the cause the operator needs")
		}
	})
}

func TestStaleCredentials(t *testing.T) {
	ts := newTestServer(t, "https://notebooks.example")
	// Never cut down for the live mapping (Kept is empty): it may lack what
	// the mapping reads.
	stale := identity("alice")
	cookie, err := ts.auth.SessionCookie(stale)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := ts.tokens.Issue(stale)
	if err != nil {
		t.Fatal(err)
	}
	if ts.mapping.Carries(stale) {
		t.Fatal("the test identity is not stale")
	}
	for name, w := range map[string]*httptest.ResponseRecorder{
		"session": ts.do(http.MethodGet, "/api/v1/me", nil, cookie),
		"token":   ts.do(http.MethodGet, "/api/v1/me", nil, nil, bearer(tok.Raw)...),
	} {
		wantError(t, name, w, http.StatusUnauthorized, "session_stale")
	}
	// The browser signs in again, keeping where it was going.
	for path, want := range map[string]string{"/": "/", "/open?notebook=ds-alice": "/open?notebook=ds-alice", "/admin": "/admin"} {
		if next, ok := signInRedirect(ts.do(http.MethodGet, path, nil, cookie)); !ok || next != want {
			t.Errorf("GET %s with a stale session: sign-in %v, next %q, want %q", path, ok, next, want)
		}
	}
}
