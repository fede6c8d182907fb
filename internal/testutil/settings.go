package testutil

import (
	"net/http"

	"github.com/secds/secds/auth"
	"github.com/secds/secds/internal/config"
)

// AuthConfig gives the settings a test leaves out of c the values the
// broker's configuration has by default (auth has none of its own).
func AuthConfig(c auth.Config) auth.Config {
	if c.Scopes == nil {
		c.Scopes = config.DefaultScopes()
	}
	if c.SessionTTL == 0 {
		c.SessionTTL = config.DefaultSessionTTL
	}
	if c.LoginTTL == 0 {
		c.LoginTTL = config.LoginTTL
	}
	if c.Leeway == 0 {
		c.Leeway = config.IDTokenLeeway
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{Timeout: config.IdPTimeout}
	}
	return c
}

// TokenConfig does the same for CLI tokens.
func TokenConfig(c auth.TokenConfig) auth.TokenConfig {
	if c.TTL == 0 {
		c.TTL = config.DefaultTokenTTL
	}
	if c.Leeway == 0 {
		c.Leeway = config.TokenLeeway
	}
	return c
}
