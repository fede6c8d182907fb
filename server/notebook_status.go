package server

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/secds/secds/broker"
	"github.com/secds/secds/internal/api"
)

// Waiting for a notebook that is starting. An open of a notebook that is not
// running yet (broker.OpenResult.Waiting) sends the browser to the waiting
// page, and the CLI a 202 with the status endpoint. Both poll the status
// (broker.Status: one describe, nothing minted, nothing audited) and open
// again once the notebook is InService, or Stopped after a stop, when the
// open starts it. The URL is minted only then: it lives five minutes.

// openWaitPath is the waiting page. It works without JavaScript (a meta
// refresh reloads it); with it, static/wait.js polls the status endpoint.
const openWaitPath = "/open/wait"

// waitPath is the waiting page for a notebook, since is when the wait began.
func waitPath(team, notebook string, since time.Time) string {
	v := url.Values{}
	v.Set("team", team)
	v.Set("notebook", notebook)
	v.Set("since", strconv.FormatInt(since.Unix(), 10))
	return openWaitPath + "?" + v.Encode()
}

// openPath opens a notebook of a team.
func openPath(team, notebook string) string {
	v := url.Values{}
	v.Set("team", team)
	v.Set("notebook", notebook)
	return "/open?" + v.Encode()
}

// statusPath is the status endpoint of a notebook, under the API base.
func statusPath(team, notebook string) string {
	return "/notebooks/" + url.PathEscape(notebook) + "?" + url.Values{"team": {team}}.Encode()
}

// pollSeconds is how often the waiting page and the CLI poll.
var pollSeconds = int(broker.PollInterval / time.Second)

// apiOpenWait answers an open that has no URL yet: 202, with where to poll.
func (s *Server) apiOpenWait(c echo.Context, res broker.OpenResult) error {
	c.Response().Header().Set("Retry-After", strconv.Itoa(pollSeconds))
	c.Response().Header().Set("Location", s.cfg.PublicURL.String()+apiBasePath+statusPath(res.Team, res.Notebook))
	return c.JSON(http.StatusAccepted, api.OpenWaitResponse{
		Team: res.Team, Notebook: res.Notebook, Status: res.Status,
		StatusPath: statusPath(res.Team, res.Notebook), RetryAfterSeconds: pollSeconds,
	})
}

// apiNotebookStatus is GET /api/v1/notebooks/{name}?team=: the state of a
// notebook the caller may open, behind the same guard as POST /api/v1/open.
func (s *Server) apiNotebookStatus(c echo.Context) error {
	st, err := s.cfg.Broker.Status(c.Request().Context(), identityOf(c),
		broker.StatusRequest{Team: c.QueryParam("team"), Notebook: c.Param("notebook"), RequestMeta: s.meta(c, "api")})
	if err != nil {
		return err
	}
	if !st.Ready && !st.Start {
		c.Response().Header().Set("Retry-After", strconv.Itoa(pollSeconds))
	}
	return c.JSON(http.StatusOK, api.NotebookStatus{Team: st.Team, Notebook: st.Notebook, Status: st.Status, Ready: st.Ready, Start: st.Start})
}

// openWait is the waiting page: the notebook's state and how long the wait
// has lasted, until it can be opened (or started, after a stop): then on to
// /open, which mints the URL or starts it.
func (s *Server) openWait(c echo.Context) error {
	id := identityOf(c)
	st, err := s.cfg.Broker.Status(c.Request().Context(), id,
		broker.StatusRequest{Team: c.QueryParam("team"), Notebook: c.QueryParam("notebook"), RequestMeta: s.meta(c, "browser")})
	if err != nil {
		return err
	}
	if st.Ready || st.Start {
		return c.Redirect(http.StatusSeeOther, openPath(st.Team, st.Notebook))
	}
	now := time.Now()
	since := waitSince(c.QueryParam("since"), now)
	allowPolling(c)
	return s.render(c, http.StatusOK, "wait", map[string]any{
		"Identity": id, "Status": st, "Phase": phase(st.Status), "Steps": steps(st.Status), "Every": pollSeconds,
		"Since": since.Unix(), "Elapsed": elapsed(now.Sub(since)),
		"StatusURL": apiBasePath + statusPath(st.Team, st.Notebook), "OpenURL": openPath(st.Team, st.Notebook),
		"CheckURL": waitPath(st.Team, st.Notebook, since),
	})
}

// allowPolling lets the waiting page run wait.js and let it fetch the
// status endpoint (script-src and connect-src 'self'); nothing else.
func allowPolling(c echo.Context) {
	allowScript(c)
	h := c.Response().Header()
	h.Set("Content-Security-Policy", strings.Replace(h.Get("Content-Security-Policy"), "script-src 'self';", "script-src 'self'; connect-src 'self';", 1))
}

// waitSince reads when the wait began; a missing, future or day-old value
// (the page was bookmarked) counts from now.
func waitSince(raw string, now time.Time) time.Time {
	secs, err := strconv.ParseInt(raw, 10, 64)
	if err != nil {
		return now
	}
	t := time.Unix(secs, 0)
	if t.After(now) || now.Sub(t) > 24*time.Hour {
		return now
	}
	return t
}

// elapsed is a wait's length as people read it: "42 s", "3 min 5 s".
func elapsed(d time.Duration) string {
	s := int(d / time.Second)
	if s < 60 {
		return fmt.Sprintf("%d s", s)
	}
	return fmt.Sprintf("%d min %d s", s/60, s%60)
}

// step is one stage of a wait, as the waiting page lists them.
type step struct {
	Name          string
	Done, Current bool
}

// steps are the stages from a notebook's state to a running notebook: a
// stopping one is stopped, then started; a starting one runs.
func steps(status string) []step {
	switch status {
	case broker.StatusStopping:
		return []step{{Name: "Stopping", Current: true}, {Name: "Starting"}, {Name: "Running"}}
	case broker.StatusUpdating:
		return []step{{Name: "Updating", Current: true}, {Name: "Running"}}
	}
	return []step{{Name: "Starting", Current: true}, {Name: "Running"}}
}

// phase says what a notebook being waited for is doing.
func phase(status string) string {
	switch status {
	case broker.StatusPending:
		return "starting. SageMaker usually takes a few minutes"
	case broker.StatusUpdating:
		return "being updated, and opens once that is done"
	case broker.StatusStopping:
		return "stopping. It will be started as soon as it has stopped"
	}
	return "not running yet"
}
