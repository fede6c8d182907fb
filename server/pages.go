package server

import (
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/secds/secds/abac"
	"github.com/secds/secds/auth"
	"github.com/secds/secds/broker"
	"github.com/secds/secds/internal/api"
	"github.com/secds/secds/internal/audit"
)

func (s *Server) landing(c echo.Context) error {
	id, err := s.session(c)
	if isStale(err) {
		return s.startLogin(c, "/")
	}
	if err != nil {
		return s.render(c, http.StatusOK, "landing", map[string]any{})
	}
	data := map[string]any{"Identity": id}
	ov, err := s.cfg.Broker.List(c.Request().Context(), id, s.meta(c, "browser"))
	if err != nil {
		// The page still renders: the person sees who they are and why
		// nothing is listed.
		data["ListProblem"] = toProblem(err)
	}
	data["Overview"] = ov
	s.addNotebookAdvice(data, ov.Notebooks)
	return s.render(c, http.StatusOK, "landing", data)
}

// addNotebookAdvice tells a page listing nbs how many run (Running), which
// are not running but opening them starts them or waits for them (Starts,
// by "team/name": their team starts stopped notebooks, or they are already
// starting), how many are stopped or failed with no one but a person to
// start them (Stopped) and what to tell the person: who starts a notebook,
// and, with none, who creates one. Only running or startable ones get a
// link, and none that its team's requirements refuse (Refused).
func (s *Server) addNotebookAdvice(data map[string]any, nbs []broker.Notebook) {
	m := s.mapping()
	running, stuck := 0, 0
	starts, refused := map[string]bool{}, map[string]bool{}
	for _, nb := range nbs {
		if c := nb.Compliance; c != nil {
			if c.Mode == "enforce" && len(c.Unmet) > 0 {
				// An open would be refused: no link, the reason instead.
				refused[nb.Team+"/"+nb.Name] = true
				continue
			}
		}
		switch {
		case nb.Status == broker.StatusInService:
			running++
		case broker.OpensStarting(m, nb):
			starts[nb.Team+"/"+nb.Name] = true
		default:
			stuck++
		}
	}
	data["Running"], data["Stopped"], data["Starts"] = running, stuck, starts
	data["Refused"] = refused
	data["StartAdvice"], data["CreateAdvice"] = broker.StartAdvice(m, ""), broker.CreateAdvice(m)
}

// login starts a sign-in that returns to next.
func (s *Server) login(c echo.Context) error {
	return s.startLogin(c, c.QueryParam("next"))
}

func (s *Server) startLogin(c echo.Context, next string) error {
	start, err := s.cfg.Auth.BeginLogin(c.Request().Context(), c.Request(), next)
	if err != nil {
		ev := audit.Event{Type: audit.TypeLogin, Decision: audit.Failed, Code: "login_failed", ClientIP: c.RealIP(), RequestID: requestID(c), Via: "browser"}
		var ae *api.Error
		if errors.As(err, &ae) {
			ev.Code, ev.Reason = string(ae.Code), ae.Message
		}
		s.record(ev)
		return err
	}
	for _, old := range start.Expired {
		c.SetCookie(old)
	}
	c.SetCookie(start.Cookie)
	return c.Redirect(http.StatusFound, start.URL)
}

func (s *Server) callback(c echo.Context) error {
	id, next, clear, err := s.cfg.Auth.FinishLogin(c.Request().Context(), c.Request())
	if clear != nil {
		c.SetCookie(clear)
	}
	ev := audit.Event{Type: audit.TypeLogin, ClientIP: c.RealIP(), RequestID: requestID(c), Via: "browser"}
	if err != nil {
		var ae *api.Error
		ev.Decision, ev.Code = audit.Denied, "login_failed"
		if errors.As(err, &ae) {
			ev.Code, ev.Reason = string(ae.Code), ae.Message
			if ae.Kind == api.KindUnavailable {
				ev.Decision = audit.Failed
			}
		}
		s.record(ev)
		return err
	}
	ev.Subject, ev.Username, ev.Email = id.Subject, id.Username, id.Email
	cookie, err := s.newSession(id)
	if err != nil {
		ev.Decision, ev.Code = audit.Failed, errorCode(err, api.CodeSessionTooLarge)
		s.record(ev)
		return err
	}
	ev.Decision = audit.Granted
	s.record(ev)
	c.SetCookie(cookie)
	return c.Redirect(http.StatusFound, auth.SafeNext(next))
}

// open is the bookmark target: sign in if needed, then straight to the
// notebook, or a chooser when several fit.
func (s *Server) open(c echo.Context) error {
	id, err := s.session(c)
	if err != nil {
		return s.startLogin(c, c.Request().URL.RequestURI())
	}
	if studioAsked(c) {
		return s.openStudio(c, id)
	}
	req := broker.OpenRequest{Team: c.QueryParam("team"), Notebook: c.QueryParam("notebook"), RequestMeta: s.meta(c, "browser")}
	res, err := s.cfg.Broker.Open(c.Request().Context(), id, req)
	if err != nil {
		if to := s.studioInstead(id, req, err); to != "" {
			return c.Redirect(http.StatusSeeOther, to)
		}
		return err
	}
	if res.Waiting() {
		return c.Redirect(http.StatusSeeOther, waitPath(res.Team, res.Notebook, time.Now()))
	}
	if len(res.Choices) > 0 {
		data := map[string]any{"Identity": id, "Choices": res.Choices}
		s.addNotebookAdvice(data, res.Choices)
		return s.render(c, http.StatusOK, "choose", data)
	}
	// The URL is a bearer credential: it goes only into Location, on a
	// response that must not be cached and must not leak a Referer (not
	// even the broker's own URL, which same-origin would keep from AWS
	// anyway).
	c.Response().Header().Set("Referrer-Policy", "no-referrer")
	return c.Redirect(http.StatusFound, res.URL)
}

// studioInstead is where a bare /open goes for a person who has no
// notebook but whose team works in SageMaker Studio: that Studio (with one
// such team), or the start page that lists them (with several); "" when
// the refusal stands.
func (s *Server) studioInstead(id abac.Identity, req broker.OpenRequest, err error) string {
	if req.Notebook != "" || api.As(err).Code != api.CodeNoNotebook {
		return ""
	}
	grants, _ := s.mapping().Evaluate(id)
	var teams []string
	for _, g := range grants {
		if g.Studio != nil && (req.Team == "" || g.Team == req.Team) {
			teams = append(teams, g.Team)
		}
	}
	switch len(teams) {
	case 0:
		return ""
	case 1:
		return "/open?studio=1&team=" + url.QueryEscape(teams[0])
	}
	return "/"
}

func (s *Server) healthz(c echo.Context) error {
	return c.String(http.StatusOK, "ok\n")
}
