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
// replica completes on another, which is what the design promises.
type RoundRobin struct {
	proxies []*httputil.ReverseProxy
	next    atomic.Uint64

	mu   sync.Mutex
	hops []Hop
}

// Hop is one request the proxy forwarded. Queries and Location queries are
// left out: they carry codes, state and presigned tokens.
type Hop struct {
	Backend  int
	Method   string
	Path     string
	Status   int
	Location string // the redirect target without its query
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
			r.SetXForwarded()
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
	p.mu.Lock()
	p.hops = append(p.hops, Hop{Backend: i, Method: r.Method, Path: r.URL.Path, Status: rec.status, Location: loc})
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
