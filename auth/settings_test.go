package auth_test

import (
	"testing"

	"github.com/secds/secds/auth"
	"github.com/secds/secds/internal/testutil"
)

// auth has no defaults of its own (internal/config has them): New refuses a
// setting it cannot work with rather than inventing one.
func TestNewRefusesUnusableSettings(t *testing.T) {
	for name, tune := range map[string]func(*auth.Config){
		"no scopes":           func(c *auth.Config) { c.Scopes = nil },
		"no session lifetime": func(c *auth.Config) { c.SessionTTL = 0 },
		"no login lifetime":   func(c *auth.Config) { c.LoginTTL = 0 },
		"no HTTP client":      func(c *auth.Config) { c.HTTPClient = nil },
	} {
		cfg := testutil.AuthConfig(auth.Config{Issuer: "https://idp.example", ClientID: "broker", RedirectURL: redirectURL, Keys: [][]byte{key(1)}})
		tune(&cfg)
		if _, err := auth.New(cfg); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
