package config_test

import (
	"log/slog"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/secds/secds/internal/config"
	"github.com/secds/secds/internal/ratelimit"
)

// valid is a configuration every check passes; each case below breaks one
// field of it.
func valid() *config.Config {
	return &config.Config{
		PublicURL: "https://notebooks.example", MappingFile: "teams.yaml",
		OIDC: config.OIDC{Issuer: "https://idp.example", ClientID: "secds"},
	}
}

func ddb(table string) config.MappingStore {
	return config.MappingStore{Type: config.StoreDynamoDB, Table: table}
}

var validEnv = map[string]string{config.DefaultClientSecretEnv: "s", config.DefaultSessionKeysEnv: key}

func resolve(c *config.Config, env map[string]string) error {
	return c.Resolve(func(k string) string { return env[k] })
}

func TestEveryFieldIsValidated(t *testing.T) {
	tests := []struct {
		name  string
		bad   func(*config.Config)
		env   map[string]string
		wants string
	}{
		{"listen without a port", func(c *config.Config) { c.Listen = "0.0.0.0" }, nil, `listen: "0.0.0.0" must be host:port`},
		{"listen with a bad port", func(c *config.Config) { c.Listen = ":99999" }, nil, `listen: ":99999" has port "99999": it must be a number from 0 to 65535`},
		{"public_url missing", func(c *config.Config) { c.PublicURL = "" }, nil, "public_url: is required"},
		{"public_url with a path", func(c *config.Config) { c.PublicURL = "https://n.example/broker" }, nil, "must be an http(s) URL with no path"},
		{"public_url plain http", func(c *config.Config) { c.PublicURL = "http://n.example" }, nil, "must use https unless it is a loopback address"},
		{"mapping_file missing", func(c *config.Config) { c.MappingFile = "" }, nil, "mapping_file: is required"},
		{"mapping_store.type unknown", func(c *config.Config) { c.MappingStore.Type = "postgres" }, nil, `mapping_store.type: "postgres" must be "file" or "dynamodb"`},
		{"mapping_store.table missing", func(c *config.Config) { c.MappingStore = ddb(""); c.AWS.Region = "eu-west-1" }, nil, "mapping_store.table: is required with type dynamodb"},
		{"mapping_store.table an ARN", func(c *config.Config) {
			c.MappingStore = ddb("arn:aws:dynamodb:eu-west-1:123456789012:table/secds")
			c.AWS.Region = "eu-west-1"
		}, nil, "is not a DynamoDB table name (3-255 of a-z A-Z 0-9 _ . -); give the name, not the ARN"},
		{"mapping_store.region missing", func(c *config.Config) { c.MappingStore = ddb("secds") }, nil, "mapping_store.region: is required with type dynamodb (or set aws.region)"},
		{"mapping_store.region bad", func(c *config.Config) { c.MappingStore = ddb("secds"); c.MappingStore.Region = "Europe" }, nil, `mapping_store.region: "Europe" is not an AWS region name`},
		{"mapping_store.endpoint plain http", func(c *config.Config) {
			c.MappingStore = ddb("secds")
			c.MappingStore.Region, c.MappingStore.Endpoint = "eu-west-1", "http://dynamodb.example"
		}, nil, `mapping_store.endpoint: "http://dynamodb.example" must use https unless it is a loopback address`},
		{"mapping_store.poll_interval too short", func(c *config.Config) {
			c.MappingStore = ddb("secds")
			c.MappingStore.Region, c.MappingStore.PollInterval = "eu-west-1", time.Millisecond
		}, nil, "mapping_store.poll_interval: 1ms must be between 100ms and 1m0s"},
		{"mapping_store.table on the file store", func(c *config.Config) { c.MappingStore.Table = "secds" }, nil, "mapping_store.table: is only for type dynamodb"},
		{"mapping_history_dir with dynamodb", func(c *config.Config) {
			c.MappingStore = ddb("secds")
			c.MappingStore.Region, c.MappingHistoryDir = "eu-west-1", "/var/lib/secds"
		}, nil, "mapping_history_dir: is for the file store"},
		{"trusted_proxies not a CIDR", func(c *config.Config) { c.TrustedProxies = []string{"10.0.0.1"} }, nil, `trusted_proxies[0]: "10.0.0.1" is not a CIDR range`},
		{"oidc.issuer missing", func(c *config.Config) { c.OIDC.Issuer = "" }, nil, "oidc.issuer: is required"},
		{"oidc.issuer not a URL", func(c *config.Config) { c.OIDC.Issuer = "idp.example" }, nil, `oidc.issuer: "idp.example" must be the provider's https URL`},
		{"oidc.issuer plain http", func(c *config.Config) { c.OIDC.Issuer = "http://idp.example" }, nil, `oidc.issuer: "http://idp.example" must use https`},
		{"oidc.client_id missing", func(c *config.Config) { c.OIDC.ClientID = "" }, nil, "oidc.client_id: is required"},
		{"oidc client secret missing", nil, map[string]string{config.DefaultSessionKeysEnv: key}, "oidc.client_secret_env: the environment variable SECDS_OIDC_CLIENT_SECRET is empty; set it, or oidc.client_secret_file"},
		{"oidc.client_secret_file missing", func(c *config.Config) { c.OIDC.ClientSecretFile = "/nonexistent/secret" }, nil, "oidc.client_secret_file: read /nonexistent/secret"},
		{"oidc.client_secret_env unset", func(c *config.Config) { c.OIDC.ClientSecretEnv = "MY_SECRET" }, nil, "environment variable MY_SECRET"},
		{"oidc.scopes without openid", func(c *config.Config) { c.OIDC.Scopes = []string{"email"} }, nil, "oidc.scopes: [email] must include openid"},
		{"oidc.scopes with a space", func(c *config.Config) { c.OIDC.Scopes = []string{"openid", "email profile"} }, nil, `oidc.scopes[1]: "email profile" is not a scope`},
		{"oidc.username_claim empty segment", func(c *config.Config) { c.OIDC.UsernameClaim = "a..b" }, nil, `oidc.username_claim: "a..b" must be a claim name or a dotted path`},
		{"oidc.email_claim with a space", func(c *config.Config) { c.OIDC.EmailClaim = "e mail" }, nil, `oidc.email_claim: "e mail"`},
		{"oidc.groups_claim trailing dot", func(c *config.Config) { c.OIDC.GroupsClaim = "realm_access." }, nil, `oidc.groups_claim: "realm_access."`},
		{"session keys missing", nil, map[string]string{config.DefaultClientSecretEnv: "s"}, "session.keys_env: the environment variable SECDS_SESSION_KEYS is empty; set it, or session.keys_file"},
		{"session.keys_file missing", func(c *config.Config) { c.Session.KeysFile = "/nonexistent/keys" }, nil, "session.keys_file: read /nonexistent/keys"},
		{"session.keys_env short key", func(c *config.Config) { c.Session.KeysEnv = "K" }, map[string]string{config.DefaultClientSecretEnv: "s", "K": "c2hvcnQ="}, "session.keys_env: key 1 is not 32 bytes"},
		{"session.ttl too short", func(c *config.Config) { c.Session.TTL = time.Minute }, nil, "session.ttl: 1m0s must be between 5m0s and 168h"},
		{"session.ttl negative", func(c *config.Config) { c.Session.TTL = -time.Hour }, nil, "session.ttl: -1h0m0s must be between"},
		{"tokens.ttl too long", func(c *config.Config) { c.Tokens.TTL = 30 * 24 * time.Hour }, nil, "tokens.ttl: 720h0m0s must be between 5m0s and 168h"},
		{"tokens.keys_file missing", func(c *config.Config) { c.Tokens.KeysFile = "/nonexistent/tk" }, nil, "tokens.keys_file: read /nonexistent/tk"},
		{"tokens.keys_env short key", func(c *config.Config) { c.Tokens.KeysEnv = "TK" }, map[string]string{config.DefaultClientSecretEnv: "s", config.DefaultSessionKeysEnv: key, "TK": "c2hvcnQ="}, "tokens.keys_env: key 1 is not 32 bytes"},
		{"aws.region not a region", func(c *config.Config) { c.AWS.Region = "Ireland" }, nil, `aws.region: "Ireland" is not an AWS region name`},
		{"aws.discovery_ttl negative", func(c *config.Config) { c.AWS.DiscoveryTTL = -time.Second }, nil, "aws.discovery_ttl: -1s must be between 0"},
		{"aws.discovery_ttl too long", func(c *config.Config) { c.AWS.DiscoveryTTL = 2 * time.Hour }, nil, "aws.discovery_ttl: 2h0m0s must be between 0"},
		{"aws.timeout negative", func(c *config.Config) { c.AWS.Timeout = -time.Second }, nil, "aws.timeout: -1s must be between 1s and 50s"},
		{"aws.timeout beyond the write time-out", func(c *config.Config) { c.AWS.Timeout = 2 * time.Minute }, nil, "aws.timeout: 2m0s must be between 1s and 50s"},
		{"aws.max_concurrent negative", func(c *config.Config) { c.AWS.MaxConcurrent = -1 }, nil, "aws.max_concurrent: -1 must be between 1 and 10000"},
		{"aws.max_concurrent huge", func(c *config.Config) { c.AWS.MaxConcurrent = 1 << 40 }, nil, "aws.max_concurrent: 1099511627776 must be between"},
		{"limits.per_ip.per_second negative", func(c *config.Config) { c.Limits = &ratelimit.Limits{PerIP: ratelimit.Rate{PerSecond: -1, Burst: 1}} }, nil, "limits.per_ip.per_second: -1 must be 0 (no limit) or more"},
		{"limits.per_ip.per_second: NaN", func(c *config.Config) {
			c.Limits = &ratelimit.Limits{PerIP: ratelimit.Rate{PerSecond: math.NaN(), Burst: 1}}
		}, nil, "limits.per_ip.per_second: NaN"},
		{"limits.per_user.burst negative", func(c *config.Config) { c.Limits = &ratelimit.Limits{PerUser: ratelimit.Rate{PerSecond: 1, Burst: -3}} }, nil, "limits.per_user.burst: -3 must be 1 or more"},
		{"limits.per_user.burst zero", func(c *config.Config) { c.Limits = &ratelimit.Limits{PerUser: ratelimit.Rate{PerSecond: 1}} }, nil, "limits.per_user.burst: must be 1 or more when per_second is set"},
		{"metrics.listen not an address", func(c *config.Config) { c.Metrics.Listen = "on" }, nil, `metrics.listen: "on" must be host:port`},
		{"metrics.listen the broker's own port", func(c *config.Config) { c.Listen, c.Metrics.Listen = ":8080", "127.0.0.1:8080" }, nil, `metrics.listen: "127.0.0.1:8080" is the broker's own listen address ":8080"`},
		{"aws.pin_urls without the broker's network", func(c *config.Config) { c.AWS.PinURLs = &config.PinURLs{} }, nil, "aws.pin_urls: give the broker's network as broker_source_vpces or as broker_source_ips, exactly one"},
		{"aws.pin_urls with both broker networks", func(c *config.Config) {
			c.AWS.PinURLs = &config.PinURLs{BrokerSourceVPCEs: []string{"vpce-0123456789abcdef0"}, BrokerSourceIPs: []string{"203.0.113.10/32"}}
		}, nil, "aws.pin_urls: give the broker's network as broker_source_vpces or as broker_source_ips, exactly one"},
		{"aws.pin_urls pinning nobody in", func(c *config.Config) {
			off := false
			c.AWS.PinURLs = &config.PinURLs{BrokerSourceIPs: []string{"203.0.113.10/32"}, ClientAddress: &off}
		}, nil, "aws.pin_urls: client_address is false and no client_vpces are given: no browser could use a URL"},
		{"aws.pin_urls.broker_source_ips not a range", func(c *config.Config) {
			c.AWS.PinURLs = &config.PinURLs{BrokerSourceIPs: []string{"203.0.113.10"}}
		}, nil, `aws.pin_urls.broker_source_ips[0]: "203.0.113.10" is not a CIDR range`},
		{"aws.pin_urls.client_vpces not an endpoint", func(c *config.Config) {
			c.AWS.PinURLs = &config.PinURLs{BrokerSourceIPs: []string{"203.0.113.10/32"}, ClientVPCEs: []string{"vpc-1"}}
		}, nil, `aws.pin_urls.client_vpces[0]: "vpc-1" is not a VPC endpoint ID`},
		{"aws.pin_urls.ipv6_prefix", func(c *config.Config) {
			c.AWS.PinURLs = &config.PinURLs{BrokerSourceVPCEs: []string{"vpce-0123456789abcdef0"}, IPv6Prefix: 48}
		}, nil, `aws.pin_urls.ipv6_prefix: 48 must be 64 or 128`},
		{"log.format unknown", func(c *config.Config) { c.Log.Format = "logfmt" }, nil, `log.format: "logfmt" must be "json" or "text"`},
		{"log.access unknown", func(c *config.Config) { c.Log.Access = "off" }, nil, `log.access: "off" must be "info" or "debug"`},
		{"pprof.listen on every interface", func(c *config.Config) { c.Pprof.Listen = ":6060" }, nil, `pprof.listen: ":6060" is not a loopback address`},
		{"pprof.listen on a public address", func(c *config.Config) { c.Pprof.Listen = "10.0.0.5:6060" }, nil, `pprof.listen: "10.0.0.5:6060" is not a loopback address`},
		{"pprof.listen on all IPv4 interfaces", func(c *config.Config) { c.Pprof.Listen = "0.0.0.0:6060" }, nil, `pprof.listen: "0.0.0.0:6060" is not a loopback address`},
		{"pprof.listen by a name", func(c *config.Config) { c.Pprof.Listen = "localhost:6060" }, nil, `pprof.listen: "localhost:6060" is not a loopback address`},
		{"pprof.listen not an address", func(c *config.Config) { c.Pprof.Listen = "on" }, nil, `pprof.listen: "on" must be host:port`},
		{"pprof.listen the broker's own port", func(c *config.Config) { c.Listen, c.Pprof.Listen = ":8080", "127.0.0.1:8080" }, nil, `pprof.listen: "127.0.0.1:8080" is the broker's own listen address ":8080"`},
		{"pprof.listen the metrics port", func(c *config.Config) { c.Pprof.Listen = "127.0.0.1:9464" }, nil, `pprof.listen: "127.0.0.1:9464" is the metrics address`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := valid()
			if tt.bad != nil {
				tt.bad(c)
			}
			env := tt.env
			if env == nil {
				env = validEnv
			}
			err := resolve(c, env)
			if err == nil || !strings.Contains(err.Error(), tt.wants) {
				t.Fatalf("err = %v\nwant it to contain %q", err, tt.wants)
			}
			if n := strings.Count(err.Error(), "\n") + 1; n != 1 {
				t.Errorf("one mistake gave %d messages:\n%v", n, err)
			}
		})
	}
	if err := resolve(valid(), validEnv); err != nil {
		t.Fatalf("the valid base config: %v", err)
	}
}

func TestAllMistakesAtOnce(t *testing.T) {
	c := valid()
	c.Listen, c.AWS.MaxConcurrent, c.AWS.Timeout, c.Session.TTL = "nope", -1, -time.Second, time.Second
	c.Limits = &ratelimit.Limits{PerIP: ratelimit.Rate{PerSecond: -2}}
	err := resolve(c, validEnv)
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{`listen: "nope"`, "aws.max_concurrent: -1", "aws.timeout: -1s", "session.ttl: 1s", "limits.per_ip.per_second: -2"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in:\n%v", want, err)
		}
	}
}

func TestMetricsListener(t *testing.T) {
	for listen, want := range map[string]string{"": config.DefaultMetricsListen, "off": "", ":9464": ":9464", "127.0.0.1:0": "127.0.0.1:0"} {
		c := valid()
		c.Metrics.Listen = listen
		if err := resolve(c, validEnv); err != nil {
			t.Fatalf("metrics.listen %q: %v", listen, err)
		}
		if c.MetricsAddr != want {
			t.Errorf("metrics.listen %q: serves on %q, want %q", listen, c.MetricsAddr, want)
		}
	}
}

// TestPprofListener: the profiler is off unless set, and a loopback
// address is taken as given.
func TestPprofListener(t *testing.T) {
	for listen, want := range map[string]string{"": "", "off": "", "127.0.0.1:6060": "127.0.0.1:6060", "[::1]:6060": "[::1]:6060", "127.0.0.1:0": "127.0.0.1:0"} {
		c := valid()
		c.Pprof.Listen = listen
		if err := resolve(c, validEnv); err != nil {
			t.Fatalf("pprof.listen %q: %v", listen, err)
		}
		if got := c.Pprof.Addr(); got != want {
			t.Errorf("pprof.listen %q: serves on %q, want %q", listen, got, want)
		}
	}
}

func TestMaxConcurrentFromTheFile(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(config.DefaultClientSecretEnv, "s")
	t.Setenv(config.DefaultSessionKeysEnv, key)
	p := write(t, dir, "broker.yaml", "public_url: https://n.example\nmapping_file: t.yaml\noidc: {issuer: https://idp.example, client_id: c}\naws: {max_concurrent: -1}\n", 0o644)
	if _, err := config.Load(p); err == nil || !strings.Contains(err.Error(), "aws.max_concurrent: -1") {
		t.Fatalf("aws.max_concurrent: -1 loaded: %v", err)
	}
}

// Resolve is the one place defaults are set: a resolved config holds every
// value the broker runs with, so the packages built from it need none of
// their own.
func TestResolveFillsEveryDefault(t *testing.T) {
	c := valid()
	if err := resolve(c, validEnv); err != nil {
		t.Fatal(err)
	}
	got := map[string]any{
		"listen": c.Listen, "metrics": c.MetricsAddr, "mapping_history_dir": c.MappingHistoryDir,
		"oidc.client_secret_env": c.OIDC.ClientSecretEnv, "oidc.scopes": strings.Join(c.OIDC.Scopes, " "),
		"session.keys_env": c.Session.KeysEnv, "session.ttl": c.Session.TTL,
		"tokens.keys_env": c.Tokens.KeysEnv, "tokens.ttl": c.Tokens.TTL,
		"aws.discovery_ttl": c.AWS.DiscoveryTTL, "aws.timeout": c.AWS.Timeout, "aws.max_concurrent": c.AWS.MaxConcurrent,
		"limits": *c.Limits, "log.format": c.Log.Format, "log.access": c.Log.AccessLevel(),
	}
	want := map[string]any{
		"listen": config.DefaultListen, "metrics": config.DefaultMetricsListen, "mapping_history_dir": "teams.yaml" + config.DefaultHistorySuffix,
		"oidc.client_secret_env": config.DefaultClientSecretEnv, "oidc.scopes": strings.Join(config.DefaultScopes(), " "),
		"session.keys_env": config.DefaultSessionKeysEnv, "session.ttl": config.DefaultSessionTTL,
		"tokens.keys_env": config.DefaultTokenKeysEnv, "tokens.ttl": config.DefaultTokenTTL,
		"aws.discovery_ttl": config.DefaultDiscoveryTTL, "aws.timeout": config.DefaultAWSTimeout, "aws.max_concurrent": config.DefaultMaxConcurrentAWS,
		"limits": config.DefaultLimits, "log.format": config.LogJSON, "log.access": slog.LevelInfo,
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s = %v, want the default %v", k, got[k], w)
		}
	}

	// What the file sets is kept, a limit turned off too.
	c = valid()
	c.AWS.Timeout, c.Limits = 3*time.Second, &ratelimit.Limits{PerIP: ratelimit.Rate{PerSecond: 1, Burst: 1}}
	if err := resolve(c, validEnv); err != nil {
		t.Fatal(err)
	}
	if c.AWS.Timeout != 3*time.Second || c.Limits.PerUser != (ratelimit.Rate{}) || c.Limits.PerIP.PerSecond != 1 {
		t.Errorf("set values changed: timeout %s, limits %+v", c.AWS.Timeout, *c.Limits)
	}
}

// Validate only reads: a caller may change a field of a loaded config (the
// --listen flag) and check again.
func TestValidateAfterAnOverride(t *testing.T) {
	c := valid()
	if err := resolve(c, validEnv); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("a resolved config: %v", err)
	}
	c.Listen = "127.0.0.1:9464"
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "metrics.listen: ") {
		t.Fatalf("a --listen on the metrics port: %v", err)
	}
}

// TestSharedStoreNeedsNoMappingFile: with DynamoDB the mapping file is only
// an optional seed, and the store's defaults come from aws.region.
func TestSharedStoreNeedsNoMappingFile(t *testing.T) {
	c := valid()
	c.MappingFile = ""
	c.AWS.Region = "eu-west-1"
	c.MappingStore = ddb("secds-state")
	if err := resolve(c, validEnv); err != nil {
		t.Fatal(err)
	}
	if c.MappingStore.Region != "eu-west-1" || c.MappingStore.PollInterval != config.DefaultPollInterval || c.MappingStore.StartTimeout != config.DefaultStoreStartTimeout || c.MappingHistoryDir != "" {
		t.Errorf("resolved store = %+v, history dir %q", c.MappingStore, c.MappingHistoryDir)
	}
}
