package testutil

import (
	"bytes"
	"net/http"

	"github.com/secds/secds/auth"
	"github.com/secds/secds/broker"
	"github.com/secds/secds/internal/config"
)

// The packages the broker is built from have no defaults of their own
// (internal/config has them). These give the settings a test leaves out the
// values the broker's configuration has by default.

// AuthConfig fills c's settings for auth.New.
func AuthConfig(c auth.Config) auth.Config {
	if c.Scopes == nil {
		c.Scopes = config.DefaultScopes()
	}
	orDefault(&c.SessionTTL, config.DefaultSessionTTL)
	orDefault(&c.LoginTTL, config.LoginTTL)
	orDefault(&c.Leeway, config.IDTokenLeeway)
	orDefault(&c.HTTPClient, &http.Client{Timeout: config.IdPTimeout})
	return c
}

// TokenConfig fills c's settings for auth.NewTokens.
func TokenConfig(c auth.TokenConfig) auth.TokenConfig {
	orDefault(&c.TTL, config.DefaultTokenTTL)
	orDefault(&c.Leeway, config.TokenLeeway)
	return c
}

// BrokerConfig fills c's settings for broker.New.
func BrokerConfig(c broker.Config) broker.Config {
	orDefault(&c.DiscoveryTTL, config.DefaultDiscoveryTTL)
	orDefault(&c.AWSTimeout, config.DefaultAWSTimeout)
	orDefault(&c.MaxConcurrentAWS, config.DefaultMaxConcurrentAWS)
	orDefault(&c.QueueTimeout, config.QueueTimeout)
	return c
}

func orDefault[T comparable](p *T, v T) {
	var zero T
	if *p == zero {
		*p = v
	}
}

// WithoutRequire is a team mapping with its require lines (one-line
// require blocks, as the dev mapping writes them) taken out: the mapping
// without posture requirements, for tests about something else or that
// write their own.
func WithoutRequire(mapping []byte) []byte {
	var out []byte
	for _, line := range bytes.SplitAfter(mapping, []byte("\n")) {
		if !bytes.HasPrefix(bytes.TrimLeft(line, " "), []byte("require: {")) {
			out = append(out, line...)
		}
	}
	return out
}
