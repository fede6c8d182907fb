package awsemu

import (
	"html/template"
	"net/http"
	"time"
)

var studioPage = template.Must(template.New("studio").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>SageMaker Studio (secds stand-in) — {{.Profile}}</title></head>
<body>
<h1>SageMaker Studio (secds stand-in) — domain <span id="domain-id">{{.Domain}}</span></h1>
<p>User profile <span id="user-profile">{{.Profile}}</span>{{if .Space}}, space <span id="space">{{.Space}}</span>{{end}}{{if .Landing}}, landing on <span id="landing-uri">{{.Landing}}</span>{{end}}.</p>
<p>Signed in as <span id="source-identity">{{.SourceIdentity}}</span>, team <span id="team">{{.Team}}</span>.</p>
<p>This page stands in for SageMaker Studio in the secds dev stack.</p>
</body></html>
`))

// serveStudioPage is what a presigned domain URL opens. Like AWS's, a link
// works once, until its ExpiresInSeconds, and every use is authorized again
// with the presigner's policies and the request's own origin.
func (e *Emulator) serveStudioPage(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")

	domainID := r.PathValue("domain")
	outcome := "opened"
	// One line per sign-in attempt, naming the domain but never the token.
	defer func() { e.log.Info("awsemu studio sign-in", "domain", domainID, "outcome", outcome) }()
	refuse := func(status int, title, detail string) {
		outcome = title
		refusePage(w, status, title, detail)
	}
	token := r.URL.Query().Get("token")
	if token == "" {
		e.serveStudioFromCookie(w, r, domainID, refuse)
		return
	}

	e.mu.Lock()
	now := e.nowLocked()
	l := e.studio.links[tokenKey(token)]
	switch {
	case l == nil || l.domain != domainID:
		e.mu.Unlock()
		refuse(http.StatusForbidden, "This sign-in link is not valid", "Ask the notebook broker for a new link.")
		return
	case l.used:
		e.mu.Unlock()
		refuse(http.StatusForbidden, "This sign-in link was already used", "Sign-in links work once. Ask the notebook broker for a new link.")
		return
	case !now.Before(l.expires):
		e.mu.Unlock()
		refuse(http.StatusForbidden, "This sign-in link has expired", "Ask the notebook broker for a new link.")
		return
	}
	if aerr := e.authorizeLocked("sagemaker", l.grantor, originOf(r), e.profileCheckLocked(l.domain, l.profile)); aerr != nil {
		e.mu.Unlock()
		e.log.Info("awsemu studio request refused", "domain", domainID, "origin", originOf(r).String(), "reason", aerr.message)
		refuse(http.StatusForbidden, "Access denied", accessDeniedPage)
		return
	}
	l.used = true
	link := *l
	cookie := newAuthToken()
	sess := link
	sess.expires = now.Add(link.sessionDuration)
	e.studio.sessions[tokenKey(cookie)] = &sess
	e.mu.Unlock()

	http.SetCookie(w, &http.Cookie{
		Name: studioCookie, Value: cookie, Path: "/studio/" + link.domain,
		MaxAge: int(link.sessionDuration / time.Second), HttpOnly: true, SameSite: http.SameSiteLaxMode,
	})
	renderStudio(w, &link)
}

// studioCookie stands in for the session cookie Studio sets once a link is
// used, so a reload keeps working; like a link it keeps the presigner's
// authorization, checked again at every request.
const studioCookie = "awsemu_studio_session"

func (e *Emulator) serveStudioFromCookie(w http.ResponseWriter, r *http.Request, domainID string, refuse func(int, string, string)) {
	c, err := r.Cookie(studioCookie)
	if err != nil {
		refuse(http.StatusForbidden, "Sign-in required", "Open SageMaker Studio through the notebook broker.")
		return
	}
	e.mu.Lock()
	s := e.studio.sessions[tokenKey(c.Value)]
	valid := s != nil && s.domain == domainID && e.nowLocked().Before(s.expires)
	var aerr *apiError
	if valid {
		aerr = e.authorizeLocked("sagemaker", s.grantor, originOf(r), e.profileCheckLocked(s.domain, s.profile))
	}
	e.mu.Unlock()
	switch {
	case !valid:
		refuse(http.StatusForbidden, "Your Studio session has ended", "Open SageMaker Studio through the notebook broker again.")
	case aerr != nil:
		e.log.Info("awsemu studio request refused", "domain", domainID, "origin", originOf(r).String(), "reason", aerr.message)
		refuse(http.StatusForbidden, "Access denied", accessDeniedPage)
	default:
		renderStudio(w, s)
	}
}

func renderStudio(w http.ResponseWriter, link *studioLink) {
	source := link.grantor.sourceIdentity
	if source == "" {
		source = "(no source identity)"
	}
	team, _ := lookupTag(link.grantor.tags, "team")
	if team == "" {
		team = "(no team)"
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_ = studioPage.Execute(w, struct{ Domain, Profile, Space, Landing, SourceIdentity, Team string }{
		link.domain, link.profile, link.space, link.landing, source, team})
}
