package config

import (
	"time"

	"github.com/secds/secds/internal/ratelimit"
)

// The defaults: what the broker uses where the file says nothing. Resolve
// fills them in, so that a loaded Config holds every value the broker runs
// with; the packages the broker is built from (auth, broker, server,
// mapstore) take their settings as given and have no defaults of their own.
const (
	DefaultListen          = "127.0.0.1:8080"
	DefaultMetricsListen   = "127.0.0.1:9464" // the pod or host only
	DefaultClientSecretEnv = "SECDS_OIDC_CLIENT_SECRET"
	DefaultSessionKeysEnv  = "SECDS_SESSION_KEYS"
	DefaultTokenKeysEnv    = "SECDS_TOKEN_KEYS"
	// DefaultHistorySuffix names the mapping's history directory, beside
	// the mapping file, when mapping_history_dir is not set.
	DefaultHistorySuffix    = ".history"
	DefaultSessionTTL       = 8 * time.Hour
	DefaultTokenTTL         = 12 * time.Hour
	DefaultDiscoveryTTL     = 30 * time.Second // how long a team's notebook list is reused
	DefaultAWSTimeout       = 20 * time.Second // the AWS work of one open or list
	DefaultMaxConcurrentAWS = 64               // opens and lists talking to AWS at once
	// DefaultPollInterval is how often a replica reads the shared store's
	// head: a new mapping version is served everywhere within about this.
	DefaultPollInterval = time.Second
	// DefaultStoreStartTimeout is how long the broker keeps trying a shared
	// store it cannot read at start before it exits.
	DefaultStoreStartTimeout = 30 * time.Second
	// The tracing block's, when tracing.otlp_endpoint is set.
	DefaultServiceName       = "secds-broker"
	DefaultSampleRatio       = 1.0 // every request: the broker's rate is people opening notebooks
	DefaultTracingHeadersEnv = "SECDS_OTLP_HEADERS"
)

// Settings the file does not offer: the composition root passes these on
// as they are.
const (
	// LoginTTL is how long a sign-in round trip at the identity provider
	// may take.
	LoginTTL = 10 * time.Minute
	// IDTokenLeeway is the clock skew allowed on an ID token's times.
	IDTokenLeeway = time.Minute
	// TokenLeeway is the clock skew allowed on CLI tokens between replicas.
	TokenLeeway = 30 * time.Second
	// IdPTimeout bounds each request to the identity provider.
	IdPTimeout = 10 * time.Second
	// QueueTimeout is how long an open waits for a free AWS slot.
	QueueTimeout = 5 * time.Second
	// TracingFlushTimeout bounds the export of the spans still buffered
	// when the broker stops.
	TracingFlushTimeout = 5 * time.Second
)

// DefaultScopes are the scopes asked of the identity provider.
func DefaultScopes() []string { return []string{"openid", "email", "profile", "groups"} }

// DefaultLimits leave room for an office behind one NAT address while
// stopping a script.
var DefaultLimits = ratelimit.Limits{
	PerIP:   ratelimit.Rate{PerSecond: 20, Burst: 60},
	PerUser: ratelimit.Rate{PerSecond: 2, Burst: 20},
}

// applyDefaults fills every field the file left empty. It is the only place
// a default is set.
func (c *Config) applyDefaults() {
	orDefault(&c.Listen, DefaultListen)
	switch c.Metrics.Listen {
	case "off":
		c.MetricsAddr = ""
	case "":
		c.MetricsAddr = DefaultMetricsListen
	default:
		c.MetricsAddr = c.Metrics.Listen
	}
	orDefault(&c.Log.Format, LogJSON)
	orDefault(&c.Log.Access, "info")
	orDefault(&c.MappingStore.Type, StoreFile)
	if c.MappingFile != "" && c.MappingStore.Type == StoreFile {
		orDefault(&c.MappingHistoryDir, c.MappingFile+DefaultHistorySuffix)
	}
	if c.MappingStore.Type == StoreDynamoDB {
		orDefault(&c.MappingStore.Region, c.AWS.Region)
		orDefault(&c.MappingStore.PollInterval, DefaultPollInterval)
		orDefault(&c.MappingStore.StartTimeout, DefaultStoreStartTimeout)
	}
	orDefault(&c.OIDC.ClientSecretEnv, DefaultClientSecretEnv)
	if len(c.OIDC.Scopes) == 0 {
		c.OIDC.Scopes = DefaultScopes()
	}
	orDefault(&c.Session.KeysEnv, DefaultSessionKeysEnv)
	orDefault(&c.Session.TTL, DefaultSessionTTL)
	orDefault(&c.Tokens.KeysEnv, DefaultTokenKeysEnv)
	orDefault(&c.Tokens.TTL, DefaultTokenTTL)
	orDefault(&c.AWS.DiscoveryTTL, DefaultDiscoveryTTL)
	orDefault(&c.AWS.Timeout, DefaultAWSTimeout)
	orDefault(&c.AWS.MaxConcurrent, DefaultMaxConcurrentAWS)
	if c.Limits == nil {
		l := DefaultLimits
		c.Limits = &l
	}
	if c.Tracing.On() {
		orDefault(&c.Tracing.ServiceName, DefaultServiceName)
		orDefault(&c.Tracing.HeadersEnv, DefaultTracingHeadersEnv)
		if c.Tracing.SampleRatio == nil {
			r := DefaultSampleRatio
			c.Tracing.SampleRatio = &r
		}
	}
}

func orDefault[T comparable](p *T, v T) {
	var zero T
	if *p == zero {
		*p = v
	}
}
