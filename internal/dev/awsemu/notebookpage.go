package awsemu

import (
	"html/template"
	"net/http"
	"strings"
	"time"
)

// pageSession is the stand-in for the session cookie Jupyter sets after a
// sign-in link is used, so reloading the page keeps working. It keeps the
// presigner's authorization, which every request with the cookie must pass
// again.
type pageSession struct {
	notebook string
	grantor  grantor
	expires  time.Time
}

const pageCookie = "awsemu_notebook_session"

var (
	notebookPage = template.Must(template.New("notebook").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Jupyter (secds stand-in) — {{.Notebook}}</title></head>
<body>
<h1>Jupyter (secds stand-in) — notebook <span id="notebook-name">{{.Notebook}}</span></h1>
<p>Signed in as <span id="source-identity">{{.SourceIdentity}}</span>, team <span id="team">{{.Team}}</span>.</p>
<p>This page stands in for a SageMaker notebook instance in the secds dev stack.</p>
</body></html>
`))
	refusalPage = template.Must(template.New("refusal").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Jupyter (secds stand-in) — {{.Title}}</title></head>
<body>
<h1 id="error">{{.Title}}</h1>
<p>{{.Detail}}</p>
</body></html>
`))
)

// serveNotebookPage is what a presigned URL opens. Like AWS's, a link works
// once, within five minutes of being issued, and only for its notebook.
func (e *Emulator) serveNotebookPage(w http.ResponseWriter, r *http.Request) {
	// The URL carries a bearer token: keep it out of Referer headers and
	// caches, and the page out of frames.
	h := w.Header()
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")

	name := r.PathValue("name")
	token := r.URL.Query().Get("authToken")
	if token == "" {
		e.serveFromCookie(w, r, name)
		return
	}
	// One line per sign-in attempt, naming the notebook but never the token.
	outcome := "opened"
	defer func() { e.log.Info("awsemu notebook sign-in", "notebook", name, "outcome", outcome) }()
	refuse := func(w http.ResponseWriter, status int, title, detail string) {
		outcome = title
		refusePage(w, status, title, detail)
	}

	e.mu.Lock()
	now := e.nowLocked()
	p := e.presigned[tokenKey(token)]
	switch {
	case p == nil || !strings.EqualFold(p.notebook, name):
		e.mu.Unlock()
		refuse(w, http.StatusForbidden, "This sign-in link is not valid", "Ask the notebook broker for a new link.")
		return
	case p.used:
		e.mu.Unlock()
		refuse(w, http.StatusForbidden, "This sign-in link was already used", "Sign-in links work once. Ask the notebook broker for a new link.")
		return
	case !now.Before(p.expires):
		e.mu.Unlock()
		refuse(w, http.StatusForbidden, "This sign-in link has expired", "Sign-in links are valid for five minutes. Ask the notebook broker for a new link.")
		return
	}
	if aerr := e.authorizePageLocked(p.grantor, p.notebook, originOf(r)); aerr != nil {
		e.mu.Unlock()
		e.log.Info("awsemu notebook request refused", "notebook", name, "origin", originOf(r).String(), "reason", aerr.message)
		refuse(w, http.StatusForbidden, "Access denied", accessDeniedPage)
		return
	}
	if nb := e.lookupNotebookLocked(name); nb == nil || nb.Status != "InService" {
		e.mu.Unlock()
		refuse(w, http.StatusConflict, "This notebook is not running", "Start the notebook instance and ask for a new link.")
		return
	}
	p.used = true
	ps := &pageSession{notebook: p.notebook, grantor: p.grantor, expires: now.Add(p.sessionDuration)}
	cookie := newAuthToken()
	e.pageSessions[tokenKey(cookie)] = ps
	e.mu.Unlock()

	http.SetCookie(w, &http.Cookie{
		Name:     pageCookie,
		Value:    cookie,
		Path:     "/notebooks/" + ps.notebook,
		MaxAge:   int(p.sessionDuration / time.Second),
		HttpOnly: true,
		SameSite: http.SameSiteLaxMode,
	})
	renderNotebook(w, ps)
}

// accessDeniedPage is all a refused request learns: the policy's wording
// names the presigner's role, account and person, which a holder of a
// leaked link has no business reading. The log has the detail.
const accessDeniedPage = "The notebook's access policy does not allow this request from where it was made. Open the notebook through the notebook broker, from your usual network."

func (e *Emulator) serveFromCookie(w http.ResponseWriter, r *http.Request, name string) {
	c, err := r.Cookie(pageCookie)
	if err != nil {
		refusePage(w, http.StatusForbidden, "Sign-in required", "Open this notebook through the notebook broker.")
		return
	}
	e.mu.Lock()
	ps := e.pageSessions[tokenKey(c.Value)]
	valid := ps != nil && strings.EqualFold(ps.notebook, name) && e.nowLocked().Before(ps.expires)
	var aerr *apiError
	if valid {
		aerr = e.authorizePageLocked(ps.grantor, ps.notebook, originOf(r))
	}
	e.mu.Unlock()
	switch {
	case !valid:
		refusePage(w, http.StatusForbidden, "Your notebook session has ended", "Open this notebook through the notebook broker again.")
		return
	case aerr != nil:
		e.log.Info("awsemu notebook request refused", "notebook", name, "origin", originOf(r).String(), "reason", aerr.message)
		refusePage(w, http.StatusForbidden, "Access denied", accessDeniedPage)
		return
	}
	renderNotebook(w, ps)
}

// authorizePageLocked authorizes one request made with a presigned URL or
// its page session as AWS does: the presigner's policies (as they are now)
// must allow presigning the notebook, with this request's own origin.
// e.mu must be held.
func (e *Emulator) authorizePageLocked(g grantor, notebook string, o origin) *apiError {
	return e.authorizeLocked("sagemaker", g, o, e.notebookCheck(presignAction, notebook, e.lookupNotebookLocked(notebook)))
}

func renderNotebook(w http.ResponseWriter, ps *pageSession) {
	source := ps.grantor.sourceIdentity
	if source == "" {
		source = "(no source identity)"
	}
	team, _ := lookupTag(ps.grantor.tags, "team")
	if team == "" {
		team = "(no team)"
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_ = notebookPage.Execute(w, struct{ Notebook, SourceIdentity, Team string }{ps.notebook, source, team})
}

func refusePage(w http.ResponseWriter, status int, title, detail string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_ = refusalPage.Execute(w, struct{ Title, Detail string }{title, detail})
}
