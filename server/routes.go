package server

import (
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/secds/secds/abac"
	"github.com/secds/secds/internal/api"
)

// Authorization is part of the routing: every route is added through the
// audience it serves, and the audience's guard runs before its handler, so
// no handler checks who is calling and none can forget to. A handler reads
// what its guard established with identityOf (and cliParamsOf).

// audience names who a route is for; each has one guard.
type audience string

const (
	// audPublic: anyone. A page may show more to a session (the landing
	// page lists the person's notebooks), but needs none.
	audPublic audience = "public"
	// audOwnForms: a form anyone may post, from the broker's own pages
	// only; with a session it must carry the session's CSRF token (sign
	// out).
	audOwnForms audience = "own-forms"
	// audBrowser: a signed-in browser; anyone else signs in first and comes
	// back.
	audBrowser audience = "browser"
	// audCLILogin: the browser leg of secds login: the broker has token
	// keys, the CLI's link is well formed, the browser is signed in (or
	// signs in first), and the confirmation comes from the broker's page
	// with the session's CSRF token.
	audCLILogin audience = "cli-login"
	// audCLIToken: the CLI trading a one-time code and its PKCE verifier
	// for a token; needs only that the broker has token keys.
	audCLIToken audience = "cli-token"
	// audAPI: a broker token, or the session cookie plus the CSRF token on
	// anything that changes something (apiIdentity).
	audAPI audience = "api"
	// audAdminPage: a signed-in admin's browser; its forms come from the
	// broker's pages with the session's CSRF token.
	audAdminPage audience = "admin-page"
	// audAdminAPI: the API's guard, then the live mapping's admin groups
	// and, for a CLI token, a sign-in of the last hour.
	audAdminAPI audience = "admin-api"
)

// routeGroup adds routes for one audience with its guard in front.
//
// It is not an echo.Group with Use: with the empty prefix most audiences
// share, Group.Use registers a catch-all route, and every unknown path
// would meet that guard instead of a 404. Echo applies a group's middleware
// per route anyway; routeGroup does the same.
type routeGroup struct {
	s     *Server
	aud   audience
	guard []echo.MiddlewareFunc
}

// group starts routes for aud behind guard (none for audPublic).
func (s *Server) group(aud audience, guard ...echo.MiddlewareFunc) *routeGroup {
	return &routeGroup{s: s, aud: aud, guard: guard}
}

func (g *routeGroup) add(method, path string, h echo.HandlerFunc) {
	key := method + " " + path
	if prev, ok := g.s.audiences[key]; ok {
		panic(fmt.Sprintf("route %s added twice (%s, %s)", key, prev, g.aud))
	}
	g.s.audiences[key] = g.aud
	g.s.echo.Add(method, path, h, g.guard...)
}

// GET adds a GET route.
func (g *routeGroup) GET(path string, h echo.HandlerFunc) { g.add(http.MethodGet, path, h) }

// POST adds a POST route.
func (g *routeGroup) POST(path string, h echo.HandlerFunc) { g.add(http.MethodPost, path, h) }

// PUT adds a PUT route.
func (g *routeGroup) PUT(path string, h echo.HandlerFunc) { g.add(http.MethodPut, path, h) }

// routes adds every route, each through its audience.
func (s *Server) routes() {
	public := s.group(audPublic)
	public.GET("/", s.landing)
	public.GET("/login", s.login)
	public.GET("/callback", s.callback)
	public.GET(logoutPath, s.logoutConfirm)
	public.GET(signedOutPath, s.signedOut)
	public.GET("/healthz", s.healthz)
	public.GET("/readyz", s.readyz)
	public.GET("/static/*", serveStatic())
	public.GET("/.well-known/secds-configuration", s.wellKnown)

	base := s.cfg.PublicURL.String()
	s.group(audOwnForms, s.ownForm(formRefusals{
		foreign: "Signing out from another site is refused. Go to " + base + logoutPath + " to sign out.",
		expired: formExpired(logoutPath),
	})).POST(logoutPath, s.logout)

	browser := s.group(audBrowser, s.signedIn(func(c echo.Context) string { return c.Request().URL.RequestURI() }))
	browser.GET("/open", s.open)
	browser.GET(openWaitPath, s.openWait)

	cli := s.group(audCLILogin, s.cliLoginOn, s.cliLink, s.signedIn(func(c echo.Context) string { return cliParamsOf(c).link() }),
		s.ownForm(formRefusals{
			foreign: "This confirmation did not come from the broker's own page. Run secds login again and confirm on the page it opens.",
			expired: "This confirmation page has expired or belongs to another sign-in. Run secds login again and confirm on the page it opens.",
		}))
	cli.GET(cliLoginPath, s.cliLogin)
	cli.POST(cliLoginPath, s.cliLoginConfirm)

	s.group(audCLIToken, s.cliLoginOn).POST(tokenPath, s.cliToken)

	api := s.group(audAPI, s.apiUser)
	api.GET(apiBasePath+"/me", s.apiMe)
	api.POST(apiBasePath+"/open", s.apiOpen)
	api.GET(apiBasePath+"/notebooks/:notebook", s.apiNotebookStatus)

	page := s.group(audAdminPage, s.signedIn(func(echo.Context) string { return adminPagePath }),
		s.ownForm(formRefusals{
			foreign: "Cross-site form posts to the admin page are refused. Open the admin page at " + base + adminPagePath + " and submit the form there.",
			expired: formExpired(adminPagePath),
		}), s.adminOnly("browser"))
	page.GET(adminPagePath, s.adminView(s.adminPage))
	page.POST(adminPagePath+"/explain", s.adminView(s.adminPageExplain))
	page.POST(adminPagePath+"/rollback", s.adminPageRollback)
	// The editor and the rollback's confirmation (admin_page_edit.go,
	// admin_page_rollback.go).
	page.GET(adminPagePath+"/rollback", s.adminPageRollbackConfirm)
	page.POST(adminPagePath+"/validate", s.adminView(s.adminPageValidate))
	page.POST(adminPagePath+"/diff", s.adminView(s.adminPageDiff))
	page.POST(adminPagePath+"/save", s.adminPageSave)

	admin := s.group(audAdminAPI, s.apiUser, s.adminOnly("api"), s.freshToken)
	admin.GET(adminMapping, s.apiGetMapping)
	admin.PUT(adminMapping, s.apiPutMapping)
	admin.POST(adminMapping+"/validate", s.apiValidateMapping)
	admin.GET(adminMapping+"/history", s.apiMappingHistory)
	admin.GET(adminMapping+"/history/:version", s.apiMappingVersion)
	admin.POST(adminMapping+"/rollback", s.apiRollbackMapping)
	admin.POST(adminMapping+"/import", s.apiImportMapping)
	admin.POST(adminAPI+"/explain", s.apiExplain)
	admin.POST(adminAPI+"/posture", s.apiPosture)
	admin.GET(adminAPI+"/readiness", s.apiReadiness)
	admin.POST(adminAPI+"/tokens/revoke", s.apiRevokeTokens)
}

const identityKey = "secds.identity"

// identityOf is who the route's guard let in.
func identityOf(c echo.Context) abac.Identity {
	id, _ := c.Get(identityKey).(abac.Identity)
	return id
}

// signedIn is the guard of the browser audiences: a session, else sign in
// and come back to returnTo.
func (s *Server) signedIn(returnTo func(echo.Context) string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			sess, err := s.browserSession(c)
			if err != nil {
				return s.startLogin(c, returnTo(c))
			}
			c.Set(identityKey, sess.Identity)
			return next(c)
		}
	}
}

// formRefusals are what a form's guard tells the person whose post it
// refuses: from another site, or with a CSRF token not of their session.
type formRefusals struct{ foreign, expired string }

// formExpired is the refusal of a form whose CSRF token is not the
// session's: get a fresh form at page.
func formExpired(page string) string {
	return "This form has expired or belongs to another session (you may have signed in again since it was shown). Go to " + page + " and submit it again."
}

// ownForm is the guard of a form post that rides the session cookie: it
// must come from the broker's own pages (fromOwnPages) and, when there is a
// session, carry its CSRF token in the csrf_token field. Reads pass.
func (s *Server) ownForm(f formRefusals) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if safeMethod(c.Request().Method) {
				return next(c)
			}
			if !s.fromOwnPages(c.Request()) {
				return &api.Error{Kind: api.KindForbidden, Code: api.CodeCSRFFailed, Message: f.foreign}
			}
			if sess, err := s.browserSession(c); err == nil {
				if err := s.checkCSRF(sess, c.FormValue(csrfField)); err != nil {
					return &api.Error{Kind: api.KindForbidden, Code: api.CodeCSRFFailed, Err: err, Message: f.expired}
				}
			}
			return next(c)
		}
	}
}

// apiUser is the API's guard (apiIdentity).
func (s *Server) apiUser(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := s.apiIdentity(c)
		if err != nil {
			return err
		}
		c.Set(identityKey, id)
		return next(c)
	}
}

// adminOnly lets in the live mapping's admins, after the guard that
// established who calls; via names that guard's audience for the audit
// event of a refusal.
func (s *Server) adminOnly(via string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if err := s.requireAdmin(c, identityOf(c), via); err != nil {
				return err
			}
			return next(c)
		}
	}
}

// freshToken refuses admin work with an old CLI token (requireFreshToken).
func (s *Server) freshToken(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if err := s.requireFreshToken(c); err != nil {
			return err
		}
		return next(c)
	}
}

// cliLoginOn refuses the CLI login on a broker without token keys.
func (s *Server) cliLoginOn(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if s.cfg.Tokens == nil {
			return errCLILoginOff
		}
		return next(c)
	}
}

const cliParamsKey = "secds.cli_params"

// cliLink refuses a CLI login link (or its confirmation form) that is not
// well formed, before anything else happens: sign-in must not lead to it.
func (s *Server) cliLink(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		get := c.FormValue
		if c.Request().Method == http.MethodGet {
			get = c.QueryParam
		}
		p := cliParams(get)
		if err := p.check(); err != nil {
			return err
		}
		c.Set(cliParamsKey, p)
		return next(c)
	}
}

// cliParamsOf is the link cliLink checked.
func cliParamsOf(c echo.Context) cliLoginParams {
	p, _ := c.Get(cliParamsKey).(cliLoginParams)
	return p
}
