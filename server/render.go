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
)

//go:embed templates/*.html
var templateFS embed.FS

// staticFS serves /static/... as is: the embedded paths start with static/.
//
//go:embed static
var staticFS embed.FS

func parseTemplates() (*template.Template, error) {
	t, err := template.New("").ParseFS(templateFS, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("parse templates: %w", err)
	}
	return t, nil
}

// render executes a page into a buffer first, so a template error becomes a
// clean error page rather than half a page.
func (s *Server) render(c echo.Context, status int, page string, data any) error {
	s.addCSRF(c, data)
	var b bytes.Buffer
	if err := s.pages.ExecuteTemplate(&b, page, data); err != nil {
		return fmt.Errorf("render %s: %w", page, err)
	}
	return c.HTMLBlob(status, b.Bytes())
}

// addCSRF gives a signed-in page's data the session's CSRF token, for the
// sign-out form every page's header carries. Pages pass their data as a map
// with "Identity" when someone is signed in; a page that sets "CSRF" itself
// keeps its own.
func (s *Server) addCSRF(c echo.Context, data any) {
	m, ok := data.(map[string]any)
	if !ok || m["Identity"] == nil || m["CSRF"] != nil {
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
