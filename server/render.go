package server

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/secds/secds/abac"
)

//go:embed templates/*.html
var templateFS embed.FS

// staticFS serves /static/... as is: the embedded paths start with static/.
//
//go:embed static
var staticFS embed.FS

func parseTemplates() (*template.Template, error) {
	t, err := template.New("").Funcs(template.FuncMap{"isAdmin": isAdmin}).ParseFS(templateFS, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("parse templates: %w", err)
	}
	return t, nil
}

// isAdmin is the header's test for the admin link: addHeader found the
// page's signed-in person among the mapping's admins. Pages whose data is
// not a map (the admin page itself) get no link.
func isAdmin(data any) bool {
	m, ok := data.(map[string]any)
	return ok && m["Admin"] == true
}

// render executes a page into a buffer first, so a template error becomes a
// clean error page rather than half a page.
func (s *Server) render(c echo.Context, status int, page string, data any) error {
	s.addHeader(c, data)
	var b bytes.Buffer
	if err := s.pages.ExecuteTemplate(&b, page, data); err != nil {
		return fmt.Errorf("render %s: %w", page, err)
	}
	return c.HTMLBlob(status, b.Bytes())
}

// addHeader gives a signed-in page's data what every page's header shows
// (layout.html): the session's CSRF token for the sign-out form, and Admin,
// whether the person is one of the live mapping's admins (the header then
// links the admin page). Pages pass their data as a map with "Identity"
// when someone is signed in; a page that sets "CSRF" itself keeps its own.
func (s *Server) addHeader(c echo.Context, data any) {
	m, ok := data.(map[string]any)
	if !ok || m["Identity"] == nil {
		return
	}
	if id, ok := m["Identity"].(abac.Identity); ok && s.mapping() != nil {
		m["Admin"] = s.mapping().IsAdmin(id)
	}
	if m["CSRF"] != nil {
		return
	}
	sess, err := s.browserSession(c)
	if err != nil {
		return
	}
	if tok, err := s.csrfToken(sess); err == nil {
		m["CSRF"] = tok
	}
}

// serveStatic serves the embedded stylesheets: files only. A directory
// (/static/, /static/x/) is 404, not a listing of what the broker embeds.
func serveStatic() echo.HandlerFunc {
	files := http.FileServerFS(staticFS)
	return func(c echo.Context) error {
		name := strings.TrimPrefix(path.Clean(c.Request().URL.Path), "/")
		if st, err := fs.Stat(staticFS, name); err != nil || st.IsDir() {
			return echo.ErrNotFound
		}
		files.ServeHTTP(c.Response(), c.Request())
		return nil
	}
}
