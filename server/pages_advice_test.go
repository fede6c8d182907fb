package server

import (
	"net/http"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/secds/secds/broker"
	"github.com/secds/secds/internal/api"
)

// TestLandingNotebookStates: the start page offers Open only for running
// notebooks, each link named for its notebook; a stopped one shows its state
// and who starts it; a team member with none is told so and who creates
// them, with no "Open my notebook" that can only fail.
func TestLandingNotebookStates(t *testing.T) {
	ts := newTestServer(t, "https://notebooks.example")
	sess := ts.session("alice")
	defer func() { ts.broker.list = newFakeBroker().list }()
	t.Run("running and stopped", func(t *testing.T) {
		ts.broker.list = broker.Overview{Teams: []string{"ds"}, Notebooks: []broker.Notebook{
			{Team: "ds", Name: "ds-alice", Status: "InService"}, {Team: "ds", Name: "ds-alice-scratch", Status: "Stopped"}}}
		body := ts.do(http.MethodGet, "/", nil, sess).Body.String()
		for _, want := range []string{`href="/open?team=ds&amp;notebook=ds-alice"`, `aria-label="Open ds-alice"`, `id="open-my-notebook"`,
			`data-status="Stopped"`, "Stopped", `id="start-advice"`, "ask the platform team to start it"} {
			if !strings.Contains(body, want) {
				t.Errorf("the start page lacks %q:\n%s", want, body)
			}
		}
		if strings.Contains(body, "notebook=ds-alice-scratch") {
			t.Errorf("the start page links the stopped notebook:\n%s", body)
		}
	})
	t.Run("only stopped ones: no Open my notebook", func(t *testing.T) {
		ts.broker.list = broker.Overview{Teams: []string{"ds"}, Notebooks: []broker.Notebook{{Team: "ds", Name: "ds-alice", Status: "Stopped"}}}
		body := ts.do(http.MethodGet, "/", nil, sess).Body.String()
		if strings.Contains(body, `id="open-my-notebook"`) || !strings.Contains(body, `id="start-advice"`) {
			t.Errorf("all stopped: the page offers Open my notebook or lacks who starts them:\n%s", body)
		}
	})
	t.Run("starting: opening it waits, no one to ask", func(t *testing.T) {
		ts.broker.list = broker.Overview{Teams: []string{"ds"}, Notebooks: []broker.Notebook{
			{Team: "ds", Name: "ds-alice", Status: "InService"}, {Team: "ds", Name: "ds-new", Status: "Pending"}}}
		body := ts.do(http.MethodGet, "/", nil, sess).Body.String()
		if !strings.Contains(body, `href="/open?team=ds&amp;notebook=ds-new"`) || !strings.Contains(body, "Open when started") || strings.Contains(body, `id="start-advice"`) {
			t.Errorf("a starting notebook is not offered to wait for, or someone is to be asked to start it:\n%s", body)
		}
	})
	t.Run("a team but no notebook", func(t *testing.T) {
		ts.broker.list = broker.Overview{Teams: []string{"ds"}}
		body := ts.do(http.MethodGet, "/", nil, sess).Body.String()
		for _, want := range []string{`id="no-notebook"`, "No notebook is set up for you yet", "Notebooks are created by the platform team", "to create one for you"} {
			if !strings.Contains(body, want) {
				t.Errorf("the start page lacks %q:\n%s", want, body)
			}
		}
		if strings.Contains(body, `id="open-my-notebook"`) || strings.Contains(body, `id="notebooks"`) {
			t.Errorf("with no notebook the page still offers one:\n%s", body)
		}
	})
}

// TestHeaderLinksAdmin: the header links the admin page for the mapping's
// admins only.
func TestHeaderLinksAdmin(t *testing.T) {
	ts := newTestServer(t, "https://notebooks.example")
	if body := ts.do(http.MethodGet, "/", nil, ts.sessionFor(admin("carol"))).Body.String(); !strings.Contains(body, `<a href="/admin" id="admin-link">Admin</a>`) {
		t.Errorf("an admin's header lacks the admin link:\n%s", body)
	}
	if body := ts.do(http.MethodGet, "/", nil, ts.session("alice")).Body.String(); strings.Contains(body, `href="/admin"`) {
		t.Errorf("a data scientist's header links the admin page:\n%s", body)
	}
	// Error pages too: an admin refused somewhere can still get there.
	ts.broker.openErr = &api.Error{Kind: api.KindNotFound, Code: api.CodeNoNotebook, Message: "None."}
	defer func() { ts.broker.openErr = nil }()
	if body := ts.do(http.MethodGet, "/open", nil, ts.sessionFor(admin("carol"))).Body.String(); !strings.Contains(body, `id="admin-link"`) {
		t.Errorf("an admin's error page lacks the admin link:\n%s", body)
	}
}

// TestErrorPageKeepsTheAccount: a refused person sees which account they
// use, can sign out and can sign in as someone else; a signed-out one sees
// neither.
func TestErrorPageKeepsTheAccount(t *testing.T) {
	ts := newTestServer(t, "https://notebooks.example")
	ts.broker.openErr = &api.Error{Kind: api.KindNotFound, Code: api.CodeNotebookNotFound, Message: "You have no notebook named x."}
	w := ts.do(http.MethodGet, "/open?notebook=x", nil, ts.session("bob"))
	body := w.Body.String()
	for _, want := range []string{`id="whoami">bob<`, `id="logout"`, `id="sign-in-as-someone-else"`, "Sign in as someone else", `name="csrf_token" value="`} {
		if !strings.Contains(body, want) {
			t.Errorf("the refusal page lacks %q:\n%s", want, body)
		}
	}
	// The switch is a sign-out the form guard accepts: the session's token.
	if tok := csrfFrom(t, body); tok == "" {
		t.Error("no CSRF token on the sign-out form")
	}
	anon := ts.do(http.MethodGet, "/nope", nil, nil).Body.String()
	if strings.Contains(anon, `id="whoami"`) || strings.Contains(anon, "Sign in as someone else") {
		t.Errorf("a signed-out 404 shows an account:\n%s", anon)
	}
}

// TestPageTitlesAreSentences: no page is headed with an HTTP status's name,
// neither a refusal without a title of its own nor echo's own 404 and 405.
func TestPageTitlesAreSentences(t *testing.T) {
	ts := newTestServer(t, "https://notebooks.example")
	for _, tc := range []struct {
		method, path string
		status       int
		title        string
	}{
		{http.MethodGet, "/nope", 404, "There is no page here"},
		{http.MethodPut, "/logout", 405, "This page cannot be used that way"},
		{http.MethodPost, "/", 405, "This page cannot be used that way"},
	} {
		w := ts.do(tc.method, tc.path, nil, nil, "Accept", "text/html")
		body := w.Body.String()
		if w.Code != tc.status || !strings.Contains(body, "<title>"+tc.title+" · secds</title>") || !strings.Contains(body, "<h1>"+tc.title+"</h1>") {
			t.Errorf("%s %s = %d, want %d headed %q:\n%s", tc.method, tc.path, w.Code, tc.status, tc.title, body)
		}
		if st := http.StatusText(tc.status); strings.Contains(body, st) {
			t.Errorf("%s %s shows %q:\n%s", tc.method, tc.path, st, body)
		}
	}
	// Every status a refusal can have (each kind's, and echo's) has a
	// sentence of its own.
	for k := api.KindInternal; k <= api.KindUnavailable; k++ {
		e := &api.Error{Kind: k, Code: "no_title_of_its_own"}
		if got := toProblem(e).Title; got == http.StatusText(k.Status()) || got == "" {
			t.Errorf("a %d refusal is titled %q", k.Status(), got)
		}
	}
	for _, st := range append(api.StatusTitles(), http.StatusUnsupportedMediaType, http.StatusTeapot) {
		p := toProblem(echo.NewHTTPError(st))
		if p.Title == "" || p.Title == http.StatusText(st) || strings.Contains(p.Message, http.StatusText(st)) {
			t.Errorf("echo's %d: title %q, message %q", st, p.Title, p.Message)
		}
	}
}
