package server

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/secds/secds/broker"
	"github.com/secds/secds/internal/api"
)

// TestWaitingForAStartingNotebook: an open of a notebook that is not running
// yet sends the browser to the waiting page and the CLI a 202; both poll the
// status, and neither gets a URL until the notebook runs.
func TestWaitingForAStartingNotebook(t *testing.T) {
	ts := newTestServer(t, "https://notebooks.example")
	sess := ts.session("alice")
	tok := ts.token("alice")
	starting := broker.OpenResult{Team: "ds", Notebook: "ds-alice", Status: "Pending"}
	defer func() {
		ts.broker.openRes, ts.broker.status, ts.broker.statusErr = newFakeBroker().openRes, broker.NotebookStatus{}, nil
	}()
	ts.broker.openRes = starting
	ts.broker.status = broker.NotebookStatus{Team: "ds", Notebook: "ds-alice", Status: "Pending"}

	t.Run("the browser is sent to the waiting page", func(t *testing.T) {
		w := ts.do(http.MethodGet, "/open?notebook=ds-alice", nil, sess)
		loc, _ := url.Parse(w.Header().Get("Location"))
		if w.Code != http.StatusSeeOther || loc.Path != "/open/wait" || loc.Query().Get("notebook") != "ds-alice" || loc.Query().Get("team") != "ds" || loc.Query().Get("since") == "" {
			t.Fatalf("open = %d to %q", w.Code, w.Header().Get("Location"))
		}
	})
	t.Run("the waiting page works without JavaScript", func(t *testing.T) {
		w := ts.do(http.MethodGet, "/open/wait?team=ds&notebook=ds-alice", nil, sess)
		body := w.Body.String()
		for _, want := range []string{`<noscript><meta http-equiv="refresh" content="3"></noscript>`, `id="wait-state">Pending<`, "ds-alice", "is starting",
			`role="status"`, `<li aria-current="step">Starting</li>`, `data-status-url="/api/v1/notebooks/ds-alice?team=ds"`, `src="/static/wait.js"`, `id="elapsed"`} {
			if !strings.Contains(body, want) {
				t.Errorf("waiting page lacks %q:\n%s", want, body)
			}
		}
		if w.Code != http.StatusOK || strings.Contains(body, secretURL) {
			t.Errorf("waiting page = %d", w.Code)
		}
		if csp := w.Header().Get("Content-Security-Policy"); !strings.HasPrefix(csp, "default-src 'none'; script-src 'self'; connect-src 'self';") {
			t.Errorf("waiting page CSP = %q, want its own script and status fetches allowed", csp)
		}
		if got := ts.broker.statuses[len(ts.broker.statuses)-1]; got.Team != "ds" || got.Notebook != "ds-alice" || got.Via != "browser" || got.RequestID == "" {
			t.Errorf("status asked for %+v", got)
		}
	})
	t.Run("once running, the waiting page goes on to open", func(t *testing.T) {
		ts.broker.status = broker.NotebookStatus{Team: "ds", Notebook: "ds-alice", Status: "InService", Ready: true}
		defer func() { ts.broker.status.Ready, ts.broker.status.Status = false, "Pending" }()
		w := ts.do(http.MethodGet, "/open/wait?team=ds&notebook=ds-alice", nil, sess)
		if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/open?notebook=ds-alice&team=ds" {
			t.Fatalf("wait once running = %d to %q", w.Code, w.Header().Get("Location"))
		}
	})
	t.Run("a notebook that cannot be waited for is refused in words", func(t *testing.T) {
		ts.broker.statusErr = &api.Error{Kind: api.KindConflict, Code: api.CodeNotebookUnavailable, Message: "Notebook ds-alice has failed (Failed). SageMaker says: no capacity."}
		defer func() { ts.broker.statusErr = nil }()
		w := ts.do(http.MethodGet, "/open/wait?team=ds&notebook=ds-alice", nil, sess)
		if w.Code != http.StatusConflict || !strings.Contains(w.Body.String(), "SageMaker says: no capacity.") {
			t.Errorf("wait for a failed notebook = %d:\n%s", w.Code, w.Body)
		}
		wantError(t, "status of a failed notebook", ts.do(http.MethodGet, "/api/v1/notebooks/ds-alice?team=ds", nil, nil, bearer(tok)...), http.StatusConflict, string(api.CodeNotebookUnavailable))
	})
	t.Run("the API answers 202 with where to poll", func(t *testing.T) {
		w := ts.do(http.MethodPost, "/api/v1/open", strings.NewReader(`{"notebook":"ds-alice"}`), nil, append(bearer(tok), jsonBody...)...)
		var res api.OpenWaitResponse
		decode(t, "open while starting", w, http.StatusAccepted, &res)
		if res.Status != "Pending" || res.StatusPath != "/notebooks/ds-alice?team=ds" || res.RetryAfterSeconds != 3 || w.Header().Get("Retry-After") != "3" ||
			w.Header().Get("Location") != "https://notebooks.example/api/v1/notebooks/ds-alice?team=ds" ||
			strings.Contains(w.Body.String(), "url") {
			t.Errorf("202 = %+v (%s)", res, w.Body)
		}
		var st api.NotebookStatus
		decode(t, "status", ts.do(http.MethodGet, "/api/v1"+res.StatusPath, nil, nil, bearer(tok)...), http.StatusOK, &st)
		if st.Status != "Pending" || st.Ready || st.Start || st.Notebook != "ds-alice" {
			t.Errorf("status = %+v", st)
		}
	})
	t.Run("the status endpoint has the open's guard", func(t *testing.T) {
		wantError(t, "status without a token", ts.do(http.MethodGet, "/api/v1/notebooks/ds-alice", nil, nil), http.StatusUnauthorized, string(api.CodeNotSignedIn))
		if w := ts.do(http.MethodGet, "/open/wait?notebook=ds-alice", nil, nil); w.Code != http.StatusFound || !strings.Contains(w.Header().Get("Location"), "notebooks.example") && w.Header().Get("Location") == "" {
			t.Errorf("wait without a session = %d to %q, want a sign-in", w.Code, w.Header().Get("Location"))
		}
	})
}
