package config_test

import (
	"bytes"
	"os"
	"slices"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/secds/secds/internal/config"
)

// The example configuration writes the defaults out, so a reader sees them
// next to their explanation; it must say what Resolve fills in.
func TestTheExampleShowsTheDefaults(t *testing.T) {
	data, err := os.ReadFile("../../configs/broker.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var c config.Config
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		field    string
		got, def any
	}{
		{"listen", c.Listen, config.DefaultListen},
		{"metrics.listen", c.Metrics.Listen, config.DefaultMetricsListen},
		{"log.format", c.Log.Format, config.LogJSON},
		{"log.access", c.Log.Access, "info"},
		{"session.ttl", c.Session.TTL, config.DefaultSessionTTL},
		{"tokens.ttl", c.Tokens.TTL, config.DefaultTokenTTL},
		{"aws.discovery_ttl", c.AWS.DiscoveryTTL, config.DefaultDiscoveryTTL},
		{"aws.timeout", c.AWS.Timeout, config.DefaultAWSTimeout},
		{"aws.max_concurrent", c.AWS.MaxConcurrent, config.DefaultMaxConcurrentAWS},
	}
	for _, ch := range checks {
		if ch.got != ch.def {
			t.Errorf("the example's %s is %v, the default %v", ch.field, ch.got, ch.def)
		}
	}
	if !slices.Equal(c.OIDC.Scopes, config.DefaultScopes()) {
		t.Errorf("the example's oidc.scopes are %v, the default %v", c.OIDC.Scopes, config.DefaultScopes())
	}
	if c.Limits == nil || *c.Limits != config.DefaultLimits {
		t.Errorf("the example's limits are %+v, the default %+v", c.Limits, config.DefaultLimits)
	}
}
