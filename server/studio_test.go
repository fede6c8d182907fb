package server

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/secds/secds/broker"
	"github.com/secds/secds/internal/api"
)

func (b *fakeBroker) studioCalls() []broker.StudioRequest {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]broker.StudioRequest(nil), b.studioOpens...)
}

func studioResult() broker.OpenResult {
	res := newFakeBroker().openRes
	res.Notebook, res.Studio = "", &broker.StudioOpened{DomainID: "d-abcdefghijkl", UserProfile: "alice", Space: "s1"}
	return res
}

func TestOpenStudioPage(t *testing.T) {
	ts := newTestServer(t, "https://notebooks.example")
	ts.broker.openRes = studioResult()
	sess := ts.session("alice")
	t.Run("302 into Studio, leaking no Referer", func(t *testing.T) {
		w := ts.do(http.MethodGet, "/open?studio=1&team=ds&space=s1", nil, sess)
		if w.Code != http.StatusFound || w.Header().Get("Location") != secretURL || w.Header().Get("Referrer-Policy") != "no-referrer" || w.Header().Get("Cache-Control") != "no-store" {
			t.Errorf("GET /open?studio=1 = %d, Location %q, Referrer-Policy %q", w.Code, w.Header().Get("Location"), w.Header().Get("Referrer-Policy"))
		}
		calls := ts.broker.studioCalls()
		if len(calls) != 1 || calls[0].Team != "ds" || calls[0].Space != "s1" || calls[0].Via != "browser" {
			t.Errorf("the broker was asked %+v", calls)
		}
		if len(ts.broker.openCalls()) != 0 {
			t.Error("a Studio open asked the broker for a notebook")
		}
		if strings.Contains(ts.logs.String(), "SECRET-PRESIGNED") || strings.Contains(w.Body.String(), "SECRET-PRESIGNED") {
			t.Error("the URL is in the log or the body")
		}
	})
	t.Run("signed out: sign in, then back", func(t *testing.T) {
		if next, ok := signInRedirect(ts.do(http.MethodGet, "/open?studio=1&space=s1", nil, nil)); !ok || next != "/open?studio=1&space=s1" {
			t.Errorf("sign-in %v, next %q", ok, next)
		}
	})
	t.Run("a domain not in IAM mode is a page an admin can act on", func(t *testing.T) {
		ts.broker.openErr = &api.Error{Kind: api.KindConflict, Code: api.CodeStudioNotIAM, Message: "An admin must point studio.domain_id at an IAM-mode domain."}
		defer func() { ts.broker.openErr = nil }()
		w := ts.do(http.MethodGet, "/open?studio=1", nil, sess)
		body := w.Body.String()
		if w.Code != http.StatusConflict || !strings.Contains(body, "This Studio domain cannot be opened by secds") || !strings.Contains(body, `data-code="studio_not_iam"`) ||
			!strings.Contains(body, "studio.domain_id") {
			t.Errorf("refusal = %d:\n%s", w.Code, body)
		}
	})
}

func TestAPIOpenStudio(t *testing.T) {
	ts := newTestServer(t, "https://notebooks.example")
	ts.broker.openRes = studioResult()
	tok := ts.token("alice")
	var res api.OpenResponse
	decode(t, "open studio", ts.do(http.MethodPost, "/api/v1/open", strings.NewReader(`{"studio":true,"team":"ds","space":"s1"}`), nil, append(bearer(tok), jsonBody...)...), http.StatusOK, &res)
	if res.URL != secretURL || res.Team != "ds" || res.Studio == nil || *res.Studio != (api.StudioOpened{DomainID: "d-abcdefghijkl", UserProfile: "alice", Space: "s1"}) {
		t.Errorf("open = %+v", res)
	}
	if calls := ts.broker.studioCalls(); len(calls) != 1 || calls[0].Space != "s1" || calls[0].Via != "api" || calls[0].TokenID == "" {
		t.Errorf("the broker was asked %+v", calls)
	}
	w := ts.do(http.MethodPost, "/api/v1/open", strings.NewReader(`{"studio":true,"notebook":"ds-alice"}`), nil, append(bearer(tok), jsonBody...)...)
	wantError(t, "studio and a notebook", w, http.StatusBadRequest, "bad_request")

	ts.broker.openErr = &api.Error{Kind: api.KindNotFound, Code: api.CodeStudioSpaceNotFound, Message: "You have no SageMaker Studio space named x."}
	w = ts.do(http.MethodPost, "/api/v1/open", strings.NewReader(`{"studio":true,"space":"x"}`), nil, append(bearer(tok), jsonBody...)...)
	wantError(t, "another team's space", w, http.StatusNotFound, "studio_space_not_found")
}

func TestStudioTargetsListed(t *testing.T) {
	ts := newTestServer(t, "https://notebooks.example")
	ts.broker.list.Studios = []broker.Studio{
		{Team: "ds", DomainID: "d-abcdefghijkl", UserProfile: "alice", Spaces: []string{"s1"}},
		{Team: "ml", DomainID: "d-bbbbbbbbbbbb", UserProfile: "alice", Problem: &api.Problem{Status: 409, Code: api.CodeStudioNotIAM, Message: "An admin must point it at an IAM-mode domain."}},
	}
	var me api.MeResponse
	decode(t, "me", ts.do(http.MethodGet, "/api/v1/me", nil, nil, bearer(ts.token("alice"))...), http.StatusOK, &me)
	if len(me.Studios) != 2 || me.Studios[0].UserProfile != "alice" || me.Studios[0].Spaces[0] != "s1" || me.Studios[1].Problem.Code != api.CodeStudioNotIAM || len(me.Notebooks) != 1 {
		t.Errorf("me = %+v", me)
	}
	body := ts.do(http.MethodGet, "/", nil, ts.session("alice")).Body.String()
	for _, want := range []string{`href="/open?team=ds&amp;notebook=ds-alice"`, `id="studios"`, `href="/open?studio=1&amp;team=ds"`,
		`href="/open?studio=1&amp;team=ds&amp;space=s1"`, `data-code="studio_not_iam"`, "An admin must point it at an IAM-mode domain."} {
		if !strings.Contains(body, want) {
			t.Errorf("the start page lacks %q:\n%s", want, body)
		}
	}
	if strings.Contains(body, `href="/open?studio=1&amp;team=ml"`) {
		t.Error("the start page links a Studio that cannot be opened")
	}
}

// An admin explaining the mapping for someone sees their Studio too.
func TestExplainListsStudio(t *testing.T) {
	ts := newTestServer(t, "https://notebooks.example")
	ts.broker.list.Studios = []broker.Studio{{Team: "ds", DomainID: "d-abcdefghijkl", UserProfile: "bob", Spaces: []string{"s1", "s2"}}}
	var res api.ExplainResponse
	decode(t, "explain", ts.do(http.MethodPost, "/api/v1/admin/explain", strings.NewReader(`{"username":"bob","groups":["data-science"],"notebooks":true}`), nil,
		append(bearer(ts.tokenFor(admin("ann"))), jsonBody...)...), http.StatusOK, &res)
	if len(res.Studios) != 1 || res.Studios[0].UserProfile != "bob" || len(res.Studios[0].Spaces) != 2 {
		t.Errorf("explain = %+v", res)
	}
}

func TestExplainPageShowsStudio(t *testing.T) {
	ts := newTestServer(t, "https://notebooks.example")
	ts.broker.list.Studios = []broker.Studio{{Team: "ds", DomainID: "d-abcdefghijkl", UserProfile: "bob", Spaces: []string{"s1", "s2"}}}
	ann := ts.sessionFor(admin("ann"))
	own := []string{"Origin", "https://notebooks.example"}
	page := ts.do(http.MethodGet, "/admin", nil, ann).Body.String()
	form := url.Values{"csrf_token": {csrfFrom(t, page)}, "username": {"bob"}, "groups": {"data-science"}, "notebooks": {"1"}}.Encode()
	res := ts.do(http.MethodPost, "/admin/explain", strings.NewReader(form), ann, own...).Body.String()
	if !strings.Contains(res, `id="explain-studio-ds"`) || !strings.Contains(res, "s1, s2") {
		t.Errorf("the explain page lacks bob's Studio:\n%s", res)
	}
}

// A bare /open for someone with no notebook whose team works in Studio goes
// to that Studio (one such team) or to the start page that lists them
// (several); with a notebook named, or without Studio, the refusal stands.
func TestBareOpenGoesToStudio(t *testing.T) {
	studioTeam := func(name, group string) string {
		return "  - name: " + name + "\n    match:\n      - groups: [" + group + "]\n    role_arn: arn:aws:iam::123456789012:role/secds-team-" + name +
			"\n    studio: {domain_id: d-abcdefabcdef, user_profile: \"{{.Username}}\"}\n"
	}
	noNotebook := &api.Error{Kind: api.KindNotFound, Code: api.CodeNoNotebook, Message: "No notebook is tagged for you yet."}
	for _, c := range []struct {
		name, mapping, path, want string
	}{
		{"one Studio team", testMapping + studioTeam("lab", "data-science"), "/open", "/open?studio=1&team=lab"},
		{"the team asked for", testMapping + studioTeam("lab", "data-science") + studioTeam("lab2", "data-science"), "/open?team=lab2", "/open?studio=1&team=lab2"},
		{"two Studio teams", testMapping + studioTeam("lab", "data-science") + studioTeam("lab2", "data-science"), "/open", "/"},
		{"a notebook named", testMapping + studioTeam("lab", "data-science"), "/open?notebook=ds-alice", ""},
		{"no Studio", testMapping, "/open", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			ts := newTestServer(t, "https://notebooks.example", withStore(t, c.mapping))
			ts.broker.openErr = noNotebook
			w := ts.do(http.MethodGet, c.path, nil, ts.session("alice"))
			if c.want == "" {
				if w.Code != http.StatusNotFound || !strings.Contains(w.Body.String(), `data-code="no_notebook"`) {
					t.Errorf("GET %s = %d, want the no_notebook page", c.path, w.Code)
				}
				return
			}
			if w.Code != http.StatusSeeOther || w.Header().Get("Location") != c.want {
				t.Errorf("GET %s = %d to %q, want 303 to %q", c.path, w.Code, w.Header().Get("Location"), c.want)
			}
		})
	}
}
