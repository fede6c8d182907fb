package server

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/secds/secds/abac"
	"github.com/secds/secds/auth"
	"github.com/secds/secds/broker"
	"github.com/secds/secds/internal/api"
)

// idpAuthorize is where the fake identity provider's sign-in starts.
const idpAuthorize = "https://idp.example/authorize"

// fakeIdP is auth.Authenticator with its identity-provider legs faked: the
// sessions, cookies and CSRF codec are the real ones, but BeginLogin and
// FinishLogin never leave the process.
type fakeIdP struct {
	*auth.Authenticator
	mu sync.Mutex
	// beginErr fails BeginLogin (the provider is down).
	beginErr error
	// finish is what FinishLogin returns; nil: an error.
	finish   func() (abac.Identity, string, error)
	readyErr error
}

func (f *fakeIdP) BeginLogin(_ context.Context, _ *http.Request, next string) (auth.LoginStart, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.beginErr != nil {
		return auth.LoginStart{}, f.beginErr
	}
	return auth.LoginStart{URL: idpAuthorize + "?next=" + url.QueryEscape(next),
		Cookie:  &http.Cookie{Name: "__Host-secds_login_1", Value: "sealed", Path: "/", Secure: true, HttpOnly: true},
		Expired: []*http.Cookie{{Name: "__Host-secds_login_0", Path: "/", MaxAge: -1}}}, nil
}

func (f *fakeIdP) FinishLogin(context.Context, *http.Request) (abac.Identity, string, *http.Cookie, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	clear := &http.Cookie{Name: "__Host-secds_login_1", Path: "/", MaxAge: -1}
	if f.finish == nil {
		return abac.Identity{}, "", clear, &api.Error{Kind: api.KindBadRequest, Code: "login_expired", Message: "This sign-in has expired. Start again."}
	}
	id, next, err := f.finish()
	return id, next, clear, err
}

func (f *fakeIdP) Ready(context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.readyErr
}

// signInRedirect says where a response sends the browser to sign in, and
// the address sign-in returns to; ok is false when it does not.
func signInRedirect(w *httptest.ResponseRecorder) (next string, ok bool) {
	loc := w.Header().Get("Location")
	if w.Code != http.StatusFound || !strings.HasPrefix(loc, idpAuthorize+"?") {
		return "", false
	}
	u, err := url.Parse(loc)
	if err != nil {
		return "", false
	}
	return u.Query().Get("next"), true
}

// secretURL is the presigned URL the fake broker hands out: a bearer
// secret no page or log may show.
const secretURL = "https://ds-alice.notebook.eu-west-1.sagemaker.aws/auth?authToken=SECRET-PRESIGNED"

// fakeBroker stands in for broker.Broker: opens and lists answer what the
// test set, and each call is recorded.
type fakeBroker struct {
	mu      sync.Mutex
	openRes broker.OpenResult
	openErr error
	// status answers Status; statuses are the requests it got.
	status    broker.NotebookStatus
	statusErr error
	statuses  []broker.StatusRequest
	list      broker.Overview
	listErr   error
	opens     []broker.OpenRequest
	listFor   []string // "admin for person"
	// estateTeams are the teams Estate was asked about.
	estateTeams []string
	// studioOpens are the OpenStudio calls; they answer openRes and openErr too.
	studioOpens []broker.StudioRequest
}

func newFakeBroker() *fakeBroker {
	return &fakeBroker{
		openRes: broker.OpenResult{URL: secretURL, ExpiresAt: time.Now().Add(5 * time.Minute), Team: "ds", Notebook: "ds-alice"},
		list:    broker.Overview{Teams: []string{"ds"}, Notebooks: []broker.Notebook{{Team: "ds", Name: "ds-alice", Status: "InService"}}},
	}
}

func (b *fakeBroker) Open(_ context.Context, _ abac.Identity, req broker.OpenRequest) (broker.OpenResult, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.opens = append(b.opens, req)
	return b.openRes, b.openErr
}

func (b *fakeBroker) Status(_ context.Context, _ abac.Identity, req broker.StatusRequest) (broker.NotebookStatus, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.statuses = append(b.statuses, req)
	return b.status, b.statusErr
}

func (b *fakeBroker) OpenStudio(_ context.Context, _ abac.Identity, req broker.StudioRequest) (broker.OpenResult, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.studioOpens = append(b.studioOpens, req)
	return b.openRes, b.openErr
}

func (b *fakeBroker) List(context.Context, abac.Identity, broker.RequestMeta) (broker.Overview, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.list, b.listErr
}

func (b *fakeBroker) ListFor(_ context.Context, admin, id abac.Identity) (broker.Overview, string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.listFor = append(b.listFor, admin.Username+" for "+id.Username)
	return b.list, admin.Username, b.listErr
}

// Estate answers the notebooks of b.list as the estate of m's teams, and
// remembers which teams it was asked about.
func (b *fakeBroker) Estate(_ context.Context, admin abac.Identity, m *abac.Mapping) (broker.Estate, string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	var est broker.Estate
	for _, t := range m.Teams {
		b.estateTeams = append(b.estateTeams, t.Name)
	}
	for _, nb := range b.list.Notebooks {
		est.Notebooks = append(est.Notebooks, broker.EstateNotebook{Team: nb.Team, Name: nb.Name, Status: nb.Status, Compliance: nb.Compliance})
	}
	return est, admin.Username, b.listErr
}

func (b *fakeBroker) openCalls() []broker.OpenRequest {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]broker.OpenRequest(nil), b.opens...)
}

// fakeRevocations is a revocation store in memory; err fails every call.
type fakeRevocations struct {
	mu      sync.Mutex
	cutoffs map[string]time.Time
	err     error
}

func (r *fakeRevocations) Cutoff(_ context.Context, key string) (time.Time, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.cutoffs[key], r.err
}

func (r *fakeRevocations) Revoke(_ context.Context, key string, before time.Time) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		return r.err
	}
	if r.cutoffs == nil {
		r.cutoffs = map[string]time.Time{}
	}
	r.cutoffs[key] = before
	return nil
}

// apiErr is an API error answer.
type apiErr struct {
	Error struct {
		Code      string `json:"code"`
		Message   string `json:"message"`
		RequestID string `json:"request_id"`
	} `json:"error"`
	Problems []api.MappingProblem `json:"problems"`
}

// errorOf reads an API error answer; it fails the test when the body is not
// one.
func errorOf(t *testing.T, w *httptest.ResponseRecorder) apiErr {
	t.Helper()
	var e apiErr
	if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("%d answer is %s, not JSON:\n%s", w.Code, ct, w.Body)
	}
	if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Error.Code == "" {
		t.Fatalf("%d answer is not an error object (%v):\n%s", w.Code, err, w.Body)
	}
	return e
}

// wantError checks an API refusal's status and code.
func wantError(t *testing.T, what string, w *httptest.ResponseRecorder, status int, code string) apiErr {
	t.Helper()
	e := errorOf(t, w)
	if w.Code != status || e.Error.Code != code {
		t.Errorf("%s = %d %s, want %d %s", what, w.Code, e.Error.Code, status, code)
	}
	return e
}

// decode reads a JSON answer into v, failing the test unless it is status.
func decode(t *testing.T, what string, w *httptest.ResponseRecorder, status int, v any) {
	t.Helper()
	if w.Code != status {
		t.Fatalf("%s = %d, want %d:\n%s", what, w.Code, status, w.Body)
	}
	if err := json.Unmarshal(w.Body.Bytes(), v); err != nil {
		t.Fatalf("%s: %v:\n%s", what, err, w.Body)
	}
}
