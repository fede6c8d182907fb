package devidp

import (
	"bytes"
	"embed"
	"html/template"
	"net/http"
)

//go:embed templates/*.html
var templateFS embed.FS

var pages = template.Must(template.ParseFS(templateFS, "templates/*.html"))

type loginPage struct {
	Issuer   string
	ClientID string
	Action   string
	ReqID    string
	Users    []User
}

type errorPage struct {
	Status  int
	Title   string
	Message string
}

// render executes a template into a buffer first so a template error turns
// into a clean 500 instead of half a page.
func render(w http.ResponseWriter, status int, name string, data any) {
	var buf bytes.Buffer
	if err := pages.ExecuteTemplate(&buf, name, data); err != nil {
		http.Error(w, "devidp: page rendering failed", http.StatusInternalServerError)
		return
	}
	pageHeaders(w)
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

// showError renders an error page. It is used where redirecting would be
// wrong: an unknown client or redirect URI must never cause a redirect, or
// the provider becomes an open redirector (RFC 6749 §4.1.2.1).
func showError(w http.ResponseWriter, status int, message string) {
	render(w, status, "error.html", errorPage{Status: status, Title: http.StatusText(status), Message: message})
}
