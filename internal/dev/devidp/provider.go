package devidp

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Lifetimes of the short-lived login state. OAuth 2.0 recommends a code
// lifetime of at most 10 minutes (RFC 6749 §4.1.2).
const (
	requestTTL = 10 * time.Minute
	codeTTL    = 10 * time.Minute
)

// Provider is an in-memory OpenID Connect provider. It is safe for
// concurrent use.
type Provider struct {
	issuer   string // exactly as configured: relying parties compare it byte for byte
	base     string // issuer without a trailing slash, prefix of every endpoint URL
	path     string // issuer's path without a trailing slash, "" at the root
	clients  map[string]Client
	users    map[string]User
	order    []string // usernames in configuration order, for the login page
	tokenTTL time.Duration
	clock    func() time.Time
	offset   atomic.Int64 // nanoseconds added to clock by Advance
	down     atomic.Bool
	key      *signingKey
	handler  http.Handler

	mu       sync.Mutex
	requests map[string]*authRequest // pending logins by request id
	codes    map[string]*authCode    // authorization codes, kept after use to detect replay
	tokens   map[string]*accessToken // access tokens for userinfo
}

// New validates cfg, generates a fresh signing key and returns a provider.
func New(cfg Config) (*Provider, error) {
	if len(cfg.Users) == 0 {
		cfg.Users = DemoUsers()
	}
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("devidp config: %w", err)
	}
	u, _ := url.Parse(cfg.Issuer) // validated above
	p := &Provider{
		issuer:   cfg.Issuer,
		base:     strings.TrimSuffix(cfg.Issuer, "/"),
		path:     strings.TrimSuffix(u.Path, "/"),
		clients:  make(map[string]Client, len(cfg.Clients)),
		users:    make(map[string]User, len(cfg.Users)),
		tokenTTL: cfg.TokenTTL,
		clock:    cfg.Now,
		requests: map[string]*authRequest{},
		codes:    map[string]*authCode{},
		tokens:   map[string]*accessToken{},
	}
	if p.tokenTTL == 0 {
		p.tokenTTL = defaultTokenTTL
	}
	if p.clock == nil {
		p.clock = time.Now
	}
	for _, c := range cfg.Clients {
		c.RedirectURIs = append([]string(nil), c.RedirectURIs...)
		p.clients[c.ID] = c
	}
	for _, u := range cfg.Users {
		p.users[u.Username] = normalizeUser(u)
		p.order = append(p.order, u.Username)
	}
	key, err := newSigningKey()
	if err != nil {
		return nil, fmt.Errorf("devidp: %w", err)
	}
	p.key = key
	p.handler = p.routes()
	return p, nil
}

// Handler serves every endpoint under the issuer's path.
func (p *Provider) Handler() http.Handler { return p.handler }

// Issuer returns the issuer URL exactly as configured.
func (p *Provider) Issuer() string { return p.issuer }

// Now returns the provider's current time: the configured clock plus every
// Advance. Tests hand it to token verifiers so both sides agree on time.
func (p *Provider) Now() time.Time {
	return p.clock().Add(time.Duration(p.offset.Load()))
}

// Advance moves the provider clock forward by d (tests of expiry).
func (p *Provider) Advance(d time.Duration) { p.offset.Add(int64(d)) }

// SetDown makes every endpoint answer 503 (tests of "the IdP is down").
func (p *Provider) SetDown(down bool) { p.down.Store(down) }

func (p *Provider) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", p.handleDiscovery)
	mux.HandleFunc("GET /keys", p.handleKeys)
	// OpenID Connect Core §3.1.2.1: the authorization endpoint must accept
	// both GET and POST.
	mux.HandleFunc("GET /auth", p.handleAuthorize)
	mux.HandleFunc("POST /auth", p.handleAuthorize)
	mux.HandleFunc("POST /auth/login", p.handleLogin)
	mux.HandleFunc("POST /token", p.handleToken)
	mux.HandleFunc("GET /userinfo", p.handleUserinfo)
	mux.HandleFunc("POST /userinfo", p.handleUserinfo)

	var h http.Handler = mux
	if p.path != "" {
		h = http.StripPrefix(p.path, mux)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p.down.Load() {
			w.Header().Set("Retry-After", "1")
			http.Error(w, "dev identity provider is down (SetDown)", http.StatusServiceUnavailable)
			return
		}
		h.ServeHTTP(w, r)
	})
}
