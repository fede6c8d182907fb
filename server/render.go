package server

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"

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
	var b bytes.Buffer
	if err := s.pages.ExecuteTemplate(&b, page, data); err != nil {
		return fmt.Errorf("render %s: %w", page, err)
	}
	return c.HTMLBlob(status, b.Bytes())
}
