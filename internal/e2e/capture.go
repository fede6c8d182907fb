package e2e

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// capture records what a broker writes, status, headers and body, for the
// stack's check that no secret reaches a response. Left out: the cookies it
// sets (the browser must get them) and the places a bearer value is meant
// to go: the Location of a redirect that hands over a presigned URL or a
// CLI login code, the answers of POST /api/v1/open (a URL) and POST
// /api/v1/cli/token (a token), and the code on the paste-mode page.
func capture(h http.Handler, out io.Writer) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &recorder{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(rec, r)
		hdr := w.Header().Clone()
		hdr.Del("Set-Cookie")
		if loc := hdr.Get("Location"); strings.Contains(loc, "authToken=") || strings.Contains(loc, "code=") {
			hdr.Del("Location")
		}
		body := cliAnyCodeRE.ReplaceAllString(rec.body.String(), `id="cli-code">(the code)<`)
		if r.Method == http.MethodPost && rec.status == http.StatusOK {
			switch r.URL.Path {
			case "/api/v1/open":
				body = "(a presigned URL)"
			case "/api/v1/cli/token":
				body = "(a broker token)"
			}
		}
		fmt.Fprintf(out, "%s %s -> %d %v\n%s\n", r.Method, r.URL.Path, rec.status, hdr, body)
	})
}

type recorder struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (r *recorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(p []byte) (int, error) {
	r.body.Write(p)
	return r.ResponseWriter.Write(p)
}

func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
