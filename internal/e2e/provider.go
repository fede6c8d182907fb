package e2e

import (
	"testing"

	"github.com/secds/secds/internal/dev/devidp"
)

// ProviderHost is the loopback address the provider (Hydra and its login
// app) listens on. It is not the broker's 127.0.0.1: browsers keep cookies
// per host, not per port, so on one address the provider's cookies would
// share the broker's jar, and the provider would be same-site with the
// broker. On its own address the provider is another site, as a company's
// IdP is, and the callback reaches the broker as a cross-site navigation.
const ProviderHost = "127.0.0.2"

// Provider is a complete OpenID provider: Hydra and its login/consent app,
// with secds's demo users (alice ds-fraud, bob ds-marketing, carol in no
// group, admin secds-admins).
type Provider struct {
	Hydra *Hydra
	Login *LoginApp
}

// NewProvider starts Hydra (found by HydraPath) and its login app. Close
// stops both.
func NewProvider() (*Provider, error) { return NewProviderWith(devidp.DemoUsers()) }

// NewProviderWith is NewProvider with other users (each User.Extra goes into
// the ID token too).
func NewProviderWith(users []devidp.User) (*Provider, error) {
	bin, err := HydraPath()
	if err != nil {
		return nil, err
	}
	app, err := newLoginApp(users)
	if err != nil {
		return nil, err
	}
	h, err := startHydra(bin, app.URL+"/login", app.URL+"/consent")
	if err != nil {
		app.Close()
		return nil, err
	}
	app.admin.Store(h.Admin)
	return &Provider{Hydra: h, Login: app}, nil
}

// StartProvider is NewProvider for one test: it skips or fails (see Need)
// when Hydra is missing, and stops the provider when the test ends.
func StartProvider(t testing.TB) *Provider {
	t.Helper()
	return StartProviderWith(t, devidp.DemoUsers())
}

// StartProviderWith is StartProvider with other users.
func StartProviderWith(t testing.TB, users []devidp.User) *Provider {
	t.Helper()
	_, err := HydraPath()
	Need(t, "Ory Hydra", err)
	p, err := NewProviderWith(users)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

// Issuer is the provider's issuer URL.
func (p *Provider) Issuer() string { return p.Hydra.Issuer }

// Close stops Hydra and the login app.
func (p *Provider) Close() {
	p.Hydra.Stop()
	p.Login.Close()
}
