// The harness of the browser-flow tests: a dev stack per test, a scripted
// browser per person, and a check that no secret reached a log, the audit
// trail or a response.

package devstack_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/secds/secds/internal/dev/devstack"
	"github.com/secds/secds/internal/testutil"
)

// env is one dev stack and everything it wrote.
type env struct {
	t     *testing.T
	st    *devstack.Stack
	logs  *testutil.Buffer
	audit *testutil.Buffer
	// responses holds every byte the broker sent, but the cookies it sets
	// and the Location of the one redirect that carries a presigned URL.
	responses *testutil.Buffer
	// secrets are values that must never appear in a log or audit line.
	secrets map[string]string
}

func start(t *testing.T) *env {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	logs, auditOut, responses := &testutil.Buffer{}, &testutil.Buffer{}, &testutil.Buffer{}
	st, err := devstack.Start(ctx, devstack.Options{
		Addr:     "127.0.0.1:0",
		Log:      slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		AuditOut: auditOut,
		Wrap:     func(h http.Handler) http.Handler { return capture(h, responses) },
	})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, st: st, logs: logs, audit: auditOut, responses: responses, secrets: map[string]string{"client secret": st.ClientSecret}}
	t.Cleanup(e.checkNoLeaks)
	return e
}

// capture records what the broker writes: status, headers and body.
func capture(h http.Handler, out io.Writer) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &recorder{ResponseWriter: w}
		h.ServeHTTP(rec, r)
		hdr := w.Header().Clone()
		hdr.Del("Set-Cookie") // the browser must get its cookies
		if strings.Contains(hdr.Get("Location"), "authToken=") {
			hdr.Del("Location") // the redirect itself is the one place a URL may go
		}
		fmt.Fprintf(out, "%s %s -> %d %v\n%s\n", r.Method, r.URL.Path, rec.status, hdr, rec.body.String())
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

// user is one person's browser: a cookie jar and no automatic redirects, so
// every hop is seen.
type user struct {
	e    *env
	name string
	c    *http.Client
	jar  *cookiejar.Jar
}

func (e *env) browser(name string) *user {
	jar, _ := cookiejar.New(nil)
	return &user{e: e, name: name, jar: jar, c: &http.Client{
		Jar:           jar,
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

var (
	formActionRE = regexp.MustCompile(`action="([^"]+)"`)
	reqIDRE      = regexp.MustCompile(`name="req" value="([^"]+)"`)
)

type page struct {
	status int
	body   string
	header http.Header
	hops   []string // every URL visited, in order
}

// visit follows redirects like a browser and, on the identity provider's
// login page, signs in as the user by submitting their form.
func (u *user) visit(start string) page {
	u.e.t.Helper()
	var p page
	next, method, form := start, http.MethodGet, url.Values(nil)
	for i := 0; i < 15; i++ {
		p.hops = append(p.hops, next)
		var resp *http.Response
		var err error
		if method == http.MethodPost {
			resp, err = u.c.PostForm(next, form)
		} else {
			resp, err = u.c.Get(next)
		}
		if err != nil {
			u.e.t.Fatalf("%s %s: %v", method, next, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		u.collectSecrets(resp)
		p.status, p.body, p.header = resp.StatusCode, string(body), resp.Header
		switch {
		case resp.StatusCode >= 300 && resp.StatusCode < 400:
			loc, err := resp.Request.URL.Parse(resp.Header.Get("Location"))
			if err != nil {
				u.e.t.Fatalf("bad Location from %s: %v", next, err)
			}
			next, method = loc.String(), http.MethodGet
		case strings.HasPrefix(next, u.e.st.IdPURL) && strings.Contains(p.body, `id="login-`+u.name+`"`):
			action := formActionRE.FindStringSubmatch(p.body)
			req := reqIDRE.FindStringSubmatch(p.body)
			if action == nil || req == nil {
				u.e.t.Fatalf("login page has no form: %s", p.body)
			}
			a, _ := resp.Request.URL.Parse(html.UnescapeString(action[1]))
			next, method, form = a.String(), http.MethodPost, url.Values{"req": {html.UnescapeString(req[1])}, "username": {u.name}}
		default:
			return p
		}
	}
	u.e.t.Fatalf("too many redirects from %s: %v", start, p.hops)
	return p
}

func (u *user) collectSecrets(resp *http.Response) {
	for _, c := range resp.Cookies() {
		if c.Value != "" {
			u.e.secrets["cookie "+c.Name] = c.Value
		}
	}
	if loc := resp.Header.Get("Location"); strings.Contains(loc, "authToken=") {
		l, _ := url.Parse(loc)
		u.e.secrets["presigned token"] = l.Query().Get("authToken")
	}
	if loc := resp.Header.Get("Location"); strings.Contains(loc, "code=") {
		l, _ := url.Parse(loc)
		u.e.secrets["authorization code"] = l.Query().Get("code")
	}
}

func (p page) presignedURL(t *testing.T) string {
	t.Helper()
	for _, h := range p.hops {
		if strings.Contains(h, "/notebooks/") && strings.Contains(h, "authToken=") {
			return h
		}
	}
	t.Fatalf("no presigned URL among hops %v", p.hops)
	return ""
}

func (p page) mustContain(t *testing.T, status int, parts ...string) {
	t.Helper()
	if p.status != status {
		t.Fatalf("status = %d, want %d; body:\n%s", p.status, status, p.body)
	}
	for _, s := range parts {
		if !strings.Contains(p.body, s) {
			t.Errorf("page lacks %q; body:\n%s", s, p.body)
		}
	}
}

func (e *env) auditEvents() []map[string]any {
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(e.audit.String()), "\n") {
		if line == "" {
			continue
		}
		var ev map[string]any
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			e.t.Fatalf("audit line is not JSON: %q", line)
		}
		out = append(out, ev)
	}
	return out
}

func (e *env) lastOpen(user string) map[string]any {
	e.t.Helper()
	evs := e.auditEvents()
	for i := len(evs) - 1; i >= 0; i-- {
		if evs[i]["type"] == "open" && evs[i]["user"] == user {
			return evs[i]
		}
	}
	e.t.Fatalf("no open event for %s in audit:\n%s", user, e.audit.String())
	return nil
}

// checkNoLeaks fails the test if any secret seen on the wire appears in the
// logs or the audit trail.
func (e *env) checkNoLeaks() {
	all := e.logs.String() + e.audit.String() + e.responses.String()
	if strings.Contains(all, "authToken") {
		e.t.Errorf("a presigned URL reached the logs")
	}
	for what, v := range e.secrets {
		if len(v) >= 8 && strings.Contains(all, v) {
			e.t.Errorf("%s appears in the logs or audit trail", what)
		}
	}
	for _, s := range []string{"dev-only-not-a-real-secret", "SessionToken", "X-Amz-Security-Token"} {
		if strings.Contains(all, s) {
			e.t.Errorf("%q appears in the logs or audit trail", s)
		}
	}
}

// presign asks the broker for a notebook with the user's session and returns
// the presigned URL without following it.
func (u *user) presign(notebook string) string {
	u.e.t.Helper()
	resp, err := u.c.Get(u.e.st.BrokerURL + "/open?notebook=" + notebook)
	if err != nil {
		u.e.t.Fatal(err)
	}
	resp.Body.Close()
	u.collectSecrets(resp)
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusFound || !strings.Contains(loc, "authToken=") {
		u.e.t.Fatalf("open %s: status %d, Location %q; want a 302 to a presigned URL", notebook, resp.StatusCode, loc)
	}
	for h, want := range map[string]string{"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"} {
		if got := resp.Header.Get(h); got != want {
			u.e.t.Errorf("%s = %q on the redirect to AWS, want %q", h, got, want)
		}
	}
	return loc
}
