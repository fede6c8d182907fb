package server

import (
	"net/http"
	"net/url"
	"strings"
)

// fromOwnPages is the one rule for a request that changes something on the
// strength of the browser's session cookie (logout, the admin page's forms,
// the API with a session): it must come from the broker's own pages.
//
//   - An Origin header, when present, must be exactly the public URL's
//     origin. "null" is foreign: browsers send it from sandboxed frames,
//     data: and file: pages and after cross-origin redirects, all of which
//     an attacker controls. (Our own pages send their real origin: the
//     Referrer-Policy is same-origin, not no-referrer, which would make a
//     browser send "null" from them too.)
//   - Without Origin, Sec-Fetch-Site, when present, must be "same-origin",
//     and a Referer, when present, must be on the public URL's origin.
//   - With none of them (curl, a script; every current browser sends Origin
//     on a POST), the request passes this check. That is not a hole: each of
//     these requests also needs the session's CSRF token, which a foreign
//     page cannot read. The origin check is the second wall, for the day a
//     token leaks into a log or a screenshot.
//
// Callers refuse with 403 csrf_failed and a message for their audience.
func (s *Server) fromOwnPages(r *http.Request) bool {
	own := publicOrigin(s.cfg.PublicURL)
	if o, ok := r.Header["Origin"]; ok {
		return len(o) == 1 && o[0] == own
	}
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" {
		return false
	}
	if ref := r.Header.Get("Referer"); ref != "" {
		u, err := url.Parse(ref)
		return err == nil && publicOrigin(u) == own
	}
	return true
}

// publicOrigin serializes u's origin as a browser does in an Origin header:
// lower-case scheme and host, no default port, no path.
func publicOrigin(u *url.URL) string {
	if u == nil || u.Host == "" {
		return ""
	}
	scheme, host := strings.ToLower(u.Scheme), strings.ToLower(u.Hostname())
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	port := u.Port()
	if scheme == "https" && port == "443" || scheme == "http" && port == "80" {
		port = ""
	}
	if port != "" {
		host += ":" + port
	}
	return scheme + "://" + host
}
