package e2e

import (
	"fmt"
	"net/http"
	"net/http/httputil"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
)

// RoundRobin is a load balancer without sticky sessions: each request goes
// to the next backend in turn. Behind it, a login that starts on one broker
// replica completes on another, which is what the design promises. Served
// over TLS (see StartStack), it terminates TLS as an AWS ALB does: the
// replicas speak plain http and learn the client's scheme and address from
// X-Forwarded-Proto and X-Forwarded-For.
type RoundRobin struct {
	proxies []*httputil.ReverseProxy
	next    atomic.Uint64

	mu   sync.Mutex
	hops []Hop
}

// Hop is one request the proxy forwarded. Queries and Location queries are
// left out: they carry codes, state and presigned tokens; so are cookie
// values.
type Hop struct {
	Backend  int
	Method   string
	Path     string
	Status   int
	Location string // the redirect target without its query
	// SetCookies are the cookies the answer set, without their values:
	// what the broker asked the browser to store, attribute by attribute.
	SetCookies []SetCookie
}

// SetCookie is one Set-Cookie header of an answer, without its value.
type SetCookie struct {
	Name     string
	Path     string
	Domain   string // the Domain attribute as sent; "" when there is none
	MaxAge   int    // as net/http reads it: <0 deletes
	Secure   bool
	HttpOnly bool
	SameSite http.SameSite
}

// NewRoundRobin proxies to the backends' base URLs. The Host header is kept,
// as a load balancer does, so each replica sees the public host.
func NewRoundRobin(backends ...string) (*RoundRobin, error) {
	p := &RoundRobin{}
	for _, b := range backends {
		u, err := url.Parse(b)
		if err != nil {
			return nil, fmt.Errorf("backend %q: %w", b, err)
		}
		p.proxies = append(p.proxies, &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(u)
			r.Out.Host = r.In.Host
			// An ALB appends the peer to the X-Forwarded-For it was sent;
			// the broker believes only the part its trusted_proxies vouch for.
			r.Out.Header["X-Forwarded-For"] = r.In.Header["X-Forwarded-For"]
			r.SetXForwarded() // X-Forwarded-Proto: https when r.In came over TLS
		}})
	}
	if len(p.proxies) == 0 {
		return nil, fmt.Errorf("round robin: no backends")
	}
	return p, nil
}

func (p *RoundRobin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	i := int((p.next.Add(1) - 1) % uint64(len(p.proxies)))
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	p.proxies[i].ServeHTTP(rec, r)
	loc := ""
	if l, err := url.Parse(rec.Header().Get("Location")); err == nil && rec.Header().Get("Location") != "" {
		l.RawQuery, l.Fragment = "", ""
		loc = l.String()
	}
	var cookies []SetCookie
	for _, line := range rec.Header().Values("Set-Cookie") {
		c, err := http.ParseSetCookie(line)
		if err != nil {
			c = &http.Cookie{Name: "unparsable Set-Cookie: " + err.Error()}
		}
		cookies = append(cookies, SetCookie{Name: c.Name, Path: c.Path, Domain: c.Domain, MaxAge: c.MaxAge, Secure: c.Secure, HttpOnly: c.HttpOnly, SameSite: c.SameSite})
	}
	p.mu.Lock()
	p.hops = append(p.hops, Hop{Backend: i, Method: r.Method, Path: r.URL.Path, Status: rec.status, Location: loc, SetCookies: cookies})
	p.mu.Unlock()
}

// Hops returns the requests forwarded so far, oldest first.
func (p *RoundRobin) Hops() []Hop {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.hops)
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }
