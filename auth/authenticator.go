package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/secds/secds/internal/api"
)

// Config configures the relying party. Its settings come from
// internal/config, defaults applied: New checks them and sets none of its
// own.
type Config struct {
	Issuer       string
	ClientID     string
	ClientSecret string
	RedirectURL  string   // the broker's public URL + "/callback"
	Scopes       []string // openid and what else the claims need
	Claims       ClaimPaths
	Keys         [][]byte      // cookie keys; the first seals, all open
	Secure       bool          // cookies get Secure and the __Host- prefix (public URL is https)
	SessionTTL   time.Duration // how long a session cookie lasts
	LoginTTL     time.Duration // how long a login round trip may take
	Leeway       time.Duration // clock skew allowed on the ID token's times; 0: none
	HTTPClient   *http.Client  // for the identity provider; give it a time-out
	Now          func() time.Time
}

// Authenticator runs logins and reads sessions.
type Authenticator struct {
	cfg   Config
	codec *Codec
	now   func() time.Time

	mu       sync.Mutex
	provider *oidc.Provider
	keys     *keySet
	algs     []string
	issParam bool // the provider always puts iss in authorization responses
	lastFail time.Time
	failErr  error
}

// New returns an Authenticator. It does not contact the identity provider:
// discovery happens at the first login and is retried until it works, so the
// broker starts, and existing sessions keep working, while the provider is down.
func New(cfg Config) (*Authenticator, error) {
	if cfg.Issuer == "" || cfg.ClientID == "" || cfg.RedirectURL == "" {
		return nil, errors.New("auth: issuer, client ID and redirect URL are required")
	}
	switch {
	case len(cfg.Scopes) == 0:
		return nil, errors.New("auth: no scopes given (openid at least)")
	case cfg.SessionTTL <= 0 || cfg.LoginTTL <= 0:
		return nil, fmt.Errorf("auth: the session lifetime (%s) and the login lifetime (%s) must be positive", cfg.SessionTTL, cfg.LoginTTL)
	case cfg.HTTPClient == nil:
		return nil, errors.New("auth: an HTTP client for the identity provider is required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	codec, err := NewCodec(cfg.Keys, cfg.Now)
	if err != nil {
		return nil, fmt.Errorf("auth: %w", err)
	}
	return &Authenticator{cfg: cfg, codec: codec, now: cfg.Now}, nil
}

// Codec returns the cookie codec, for other short-lived sealed values.
func (a *Authenticator) Codec() *Codec { return a.codec }

func (a *Authenticator) clientContext(ctx context.Context) context.Context {
	return oidc.ClientContext(ctx, a.cfg.HTTPClient)
}

// discover returns the provider, fetching its discovery document once. After
// a failure it waits a few seconds before asking again, so a down provider is
// not hammered by every visitor.
func (a *Authenticator) discover(ctx context.Context) (*oidc.Provider, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.provider != nil {
		return a.provider, nil
	}
	if a.failErr != nil && a.now().Sub(a.lastFail) < 5*time.Second {
		return nil, a.failErr
	}
	p, err := oidc.NewProvider(a.clientContext(ctx), a.cfg.Issuer)
	if err != nil {
		a.lastFail, a.failErr = a.now(), &api.Error{Kind: api.KindUnavailable, Code: api.CodeIdPUnavailable, RetryAfter: idpRetry,
			Message: "The sign-in service (identity provider) cannot be reached right now. Try again in a minute.",
			Err:     fmt.Errorf("discover %s: %w", a.cfg.Issuer, err)}
		return nil, a.failErr
	}
	var meta struct {
		JWKSURL  string   `json:"jwks_uri"`
		Algs     []string `json:"id_token_signing_alg_values_supported"`
		IssParam any      `json:"authorization_response_iss_parameter_supported"` // some providers send "true"; only true counts, and nothing else fails discovery
	}
	if err := p.Claims(&meta); err != nil || meta.JWKSURL == "" {
		a.lastFail, a.failErr = a.now(), &api.Error{Kind: api.KindUnavailable, Code: api.CodeIdPUnavailable, RetryAfter: idpRetry,
			Message: "The sign-in service (identity provider) published no signing keys. Tell the platform team.",
			Err:     fmt.Errorf("discover %s: no jwks_uri", a.cfg.Issuer)}
		return nil, a.failErr
	}
	a.keys = newKeySet(meta.JWKSURL, a.cfg.HTTPClient, a.now)
	a.algs = signingAlgs(meta.Algs)
	a.issParam = meta.IssParam == true
	a.provider, a.failErr = p, nil
	return p, nil
}

// signingAlgs keeps the asymmetric algorithms the provider announces
// (RS256 when it announces none, as OpenID Connect Discovery implies).
func signingAlgs(announced []string) []string {
	var out []string
	for _, a := range announced {
		for _, ok := range asymmetricAlgs {
			if a == string(ok) {
				out = append(out, a)
			}
		}
	}
	if len(out) == 0 {
		out = []string{oidc.RS256}
	}
	return out
}

// Ready reports whether the identity provider has been discovered, trying
// once if not; for readiness checks.
func (a *Authenticator) Ready(ctx context.Context) error {
	_, err := a.discover(ctx)
	return err
}

func (a *Authenticator) oauth2Config(p *oidc.Provider) *oauth2.Config {
	return &oauth2.Config{
		ClientID:     a.cfg.ClientID,
		ClientSecret: a.cfg.ClientSecret,
		RedirectURL:  a.cfg.RedirectURL,
		Endpoint:     p.Endpoint(),
		Scopes:       a.cfg.Scopes,
	}
}

// verifier checks issuer, audience, expiry and the signature, with our own
// key set (see keySet) and only asymmetric algorithms.
func (a *Authenticator) verifier() *oidc.IDTokenVerifier {
	a.mu.Lock()
	keys, algs := a.keys, a.algs
	a.mu.Unlock()
	// go-oidc compares exp with Now exactly; moving Now back by the leeway
	// tolerates a provider whose clock is slightly behind ours.
	return oidc.NewVerifier(a.cfg.Issuer, keys, &oidc.Config{
		ClientID:             a.cfg.ClientID,
		SupportedSigningAlgs: algs,
		Now:                  func() time.Time { return a.now().Add(-a.cfg.Leeway) },
	})
}

// JWKSFetches counts how often the provider's keys were downloaded; for
// tests and metrics.
func (a *Authenticator) JWKSFetches() int64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.keys == nil {
		return 0
	}
	return a.keys.fetches.Load()
}

// idpRetry is how long a person is asked to wait when the identity provider
// failed, not they.
const idpRetry = 30 * time.Second
