package server

import (
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
)

// wantAudiences is every route and who it is for. A new route fails
// TestEveryRouteHasAnAudience until it is added here, so its audience is a
// choice someone made and a reviewer sees.
var wantAudiences = map[string]audience{
	"GET /":                                      audPublic,
	"GET /login":                                 audPublic,
	"GET /callback":                              audPublic,
	"GET /logout":                                audPublic,
	"GET /signed-out":                            audPublic,
	"GET /healthz":                               audPublic,
	"GET /readyz":                                audPublic,
	"GET /static/*":                              audPublic,
	"GET /.well-known/secds-configuration":       audPublic,
	"POST /logout":                               audOwnForms,
	"GET /open":                                  audBrowser,
	"GET /open/wait":                             audBrowser,
	"GET /cli/login":                             audCLILogin,
	"POST /cli/login":                            audCLILogin,
	"POST /api/v1/cli/token":                     audCLIToken,
	"GET /api/v1/me":                             audAPI,
	"POST /api/v1/open":                          audAPI,
	"GET /api/v1/notebooks/:notebook":            audAPI,
	"GET /admin":                                 audAdminPage,
	"POST /admin/explain":                        audAdminPage,
	"POST /admin/rollback":                       audAdminPage,
	"GET /admin/rollback":                        audAdminPage,
	"POST /admin/validate":                       audAdminPage,
	"POST /admin/diff":                           audAdminPage,
	"POST /admin/save":                           audAdminPage,
	"GET /api/v1/admin/mapping":                  audAdminAPI,
	"PUT /api/v1/admin/mapping":                  audAdminAPI,
	"POST /api/v1/admin/mapping/validate":        audAdminAPI,
	"GET /api/v1/admin/mapping/history":          audAdminAPI,
	"GET /api/v1/admin/mapping/history/:version": audAdminAPI,
	"POST /api/v1/admin/mapping/rollback":        audAdminAPI,
	"POST /api/v1/admin/mapping/import":          audAdminAPI,
	"POST /api/v1/admin/explain":                 audAdminAPI,
	"POST /api/v1/admin/posture":                 audAdminAPI,
	"GET /api/v1/admin/readiness":                audAdminAPI,
	"POST /api/v1/admin/tokens/revoke":           audAdminAPI,
}

// TestEveryRouteHasAnAudience walks echo's routes: each was added through an
// audience's group (so its guard runs first), and has the audience it should.
func TestEveryRouteHasAnAudience(t *testing.T) {
	ts := newTestServer(t, "https://notebooks.example")
	routes := ts.s.echo.Routes()
	seen := map[string]bool{}
	for _, r := range routes {
		if r.Method == echo.RouteNotFound {
			// A catch-all would run its middleware for unknown paths.
			t.Errorf("a not-found route %s is registered: unknown paths would meet its guard", r.Path)
			continue
		}
		key := r.Method + " " + r.Path
		seen[key] = true
		got, ok := ts.s.audiences[key]
		switch {
		case !ok:
			t.Errorf("%s was not added through an audience's group: nothing guards it", key)
		case wantAudiences[key] == "":
			t.Errorf("%s (%s) is not in wantAudiences: say who it is for", key, got)
		case got != wantAudiences[key]:
			t.Errorf("%s is for %s, want %s", key, got, wantAudiences[key])
		}
	}
	for key := range ts.s.audiences {
		if !seen[key] {
			t.Errorf("%s is in the audiences but not among echo's routes", key)
		}
	}
	if len(routes) != len(wantAudiences) {
		t.Errorf("%d routes, %d in wantAudiences", len(routes), len(wantAudiences))
	}
}

// TestGuardsRefuseStrangers sends every route a request with no credential
// and another with a stranger's forged one: only public routes serve them.
func TestGuardsRefuseStrangers(t *testing.T) {
	ts := newTestServer(t, "https://notebooks.example", withStore(t, testMapping))
	keys := make([]string, 0, len(ts.s.audiences))
	for k := range ts.s.audiences {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, key := range keys {
		aud := ts.s.audiences[key]
		method, path, _ := strings.Cut(key, " ")
		path = strings.NewReplacer(":version", "1", "*", "style.css").Replace(path)
		if aud == audCLILogin {
			path += "?" + cliLink("")
		}
		for _, h := range [][]string{nil, {"Authorization", "Bearer forged"}} {
			what := key
			if h != nil {
				what += " with a forged token"
			}
			w := ts.do(method, path, strings.NewReader(""), nil, append(h, "Origin", "https://notebooks.example")...)
			_, signIn := signInRedirect(w)
			switch aud {
			case audBrowser, audCLILogin, audAdminPage:
				if !signIn {
					t.Errorf("%s = %d %q, want a sign-in redirect", what, w.Code, w.Header().Get("Location"))
				}
			case audAPI, audAdminAPI:
				if w.Code != http.StatusUnauthorized {
					t.Errorf("%s = %d, want 401", what, w.Code)
				}
			case audCLIToken:
				// The code is the credential: an empty one is refused.
				if w.Code != http.StatusBadRequest {
					t.Errorf("%s = %d, want 400", what, w.Code)
				}
			case audPublic, audOwnForms:
				// The handler may refuse what was sent (a callback
				// without a login), never who sent it.
				if w.Code == http.StatusUnauthorized || w.Code == http.StatusForbidden || signIn && path != "/login" {
					t.Errorf("%s = %d: a public route refused a stranger", what, w.Code)
				}
			default:
				t.Errorf("%s: audience %q has no expectation here", what, aud)
			}
		}
	}
	if len(ts.broker.openCalls()) != 0 || ts.live.State().Latest.Number != 1 {
		t.Error("a stranger reached the broker or changed the mapping")
	}
}
