// Package config loads the broker's configuration file and its secrets.
// Every problem is reported at once; secrets come from files or environment
// variables, never from the file itself or the command line.
package config

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/secds/secds/internal/ratelimit"
)

// Config is the broker's configuration.
type Config struct {
	Listen         string            `yaml:"listen"`
	PublicURL      string            `yaml:"public_url"`
	MappingFile    string            `yaml:"mapping_file"`
	MappingStore   MappingStore      `yaml:"mapping_store"`
	TrustedProxies []string          `yaml:"trusted_proxies"`
	OIDC           OIDC              `yaml:"oidc"`
	Session        Session           `yaml:"session"`
	Tokens         Tokens            `yaml:"tokens"`
	AWS            AWS               `yaml:"aws"`
	Audit          Audit             `yaml:"audit"`
	Limits         *ratelimit.Limits `yaml:"limits"` // unset: DefaultLimits; a per_second of 0 turns one off
	Metrics        Metrics           `yaml:"metrics"`
	Pprof          Pprof             `yaml:"pprof"`
	Log            Log               `yaml:"log"`
	Tracing        Tracing           `yaml:"tracing"`

	// MappingHistoryDir keeps every version of the mapping; default: the
	// mapping file's path plus DefaultHistorySuffix. Where that is read-only (a
	// ConfigMap), point it at a writable volume, or the history lasts only
	// as long as the process.
	MappingHistoryDir string `yaml:"mapping_history_dir"`

	// Resolved by Load.
	ClientSecret string       `yaml:"-"`
	SessionKeys  [][]byte     `yaml:"-"`
	TokenKeys    [][]byte     `yaml:"-"` // nil: no keys, so CLI login is off
	Public       *url.URL     `yaml:"-"`
	Proxies      []*net.IPNet `yaml:"-"`
	// MetricsAddr is where /metrics is served; empty: nowhere.
	MetricsAddr string `yaml:"-"`
	// TracingHeaders are every header sent to the trace collector:
	// tracing.headers and those of tracing.headers_file (or _env). They may
	// hold the collector's API key: never log them.
	TracingHeaders map[string]string `yaml:"-"`
	// tracingSecretHeaders: some of TracingHeaders came from the secret
	// file or variable.
	tracingSecretHeaders bool
}

// The mapping stores, values of mapping_store.type.
const (
	StoreFile     = "file"
	StoreDynamoDB = "dynamodb"
)

// MappingStore says where the team mapping's versions live. The file store
// (the default) serves one replica, or a GitOps deployment where the file
// is a ConfigMap and edits go through git. The DynamoDB store is shared by
// every replica: admins edit what all of them serve, and the spent CLI
// login codes and token revocations live there too. With it, mapping_file
// is only the seed: version 1 when the table holds no mapping yet.
type MappingStore struct {
	Type  string `yaml:"type"`  // StoreFile or StoreDynamoDB; default StoreFile
	Table string `yaml:"table"` // the DynamoDB table (docs/dynamodb.md)
	// Region of the table; default aws.region.
	Region string `yaml:"region"`
	// Endpoint overrides DynamoDB's, for a local emulator in tests.
	Endpoint string `yaml:"endpoint"`
	// PollInterval is how often each replica reads the table for a new
	// mapping version and revocations; default DefaultPollInterval.
	PollInterval time.Duration `yaml:"poll_interval"`
	// StartTimeout is how long the broker retries a table it cannot read
	// at start before it exits; default DefaultStoreStartTimeout.
	StartTimeout time.Duration `yaml:"start_timeout"`
}

// Shared reports whether the store is shared by replicas (DynamoDB).
func (m MappingStore) Shared() bool { return m.Type == StoreDynamoDB }

// Metrics configures the Prometheus endpoint. It has a listener of its own,
// away from the public one, because the load balancer would otherwise hand
// it to anyone on the internet.
type Metrics struct {
	// Listen is the metrics address: default DefaultMetricsListen, "off"
	// for none. In a pod scraped by Prometheus, ":9464".
	Listen string `yaml:"listen"`
}

// Pprof configures the Go profiler (net/http/pprof). Off by default; when
// on it has a listener of its own, on a loopback address only: a profile
// shows the process's memory, and a CPU profile costs CPU, so it is for an
// operator on the host (kubectl port-forward), never for the network.
type Pprof struct {
	// Listen is the profiler's address, such as "127.0.0.1:6060"; empty or
	// "off" for none.
	Listen string `yaml:"listen"`
}

// Addr is where the profiler is served; "" when it is off.
func (p Pprof) Addr() string {
	if p.Listen == "off" {
		return ""
	}
	return p.Listen
}

// Log configures the broker's own log on stderr (not the audit trail,
// which is always JSON lines).
type Log struct {
	// Format is LogJSON (the default: one JSON object a line, for a log
	// collector) or LogText (slog's key=value lines).
	Format string `yaml:"format"`
	// Access is the level of the access log's line per request: "info"
	// (the default) or "debug", which leaves them out (the broker logs at
	// info), for a deployment whose load balancer logs requests already.
	Access string `yaml:"access"`
}

// The log formats, values of log.format.
const (
	LogJSON = "json"
	LogText = "text"
)

// AccessLevel is the level the access log writes at.
func (l Log) AccessLevel() slog.Level {
	if l.Access == "debug" {
		return slog.LevelDebug
	}
	return slog.LevelInfo
}

// OIDC is the identity provider the broker signs people in with.
type OIDC struct {
	Issuer           string   `yaml:"issuer"`
	ClientID         string   `yaml:"client_id"`
	ClientSecretFile string   `yaml:"client_secret_file"`
	ClientSecretEnv  string   `yaml:"client_secret_env"`
	Scopes           []string `yaml:"scopes"`
	UsernameClaim    string   `yaml:"username_claim"`
	EmailClaim       string   `yaml:"email_claim"`
	GroupsClaim      string   `yaml:"groups_claim"`
}

// Session configures the encrypted session cookie.
type Session struct {
	KeysFile string        `yaml:"keys_file"`
	KeysEnv  string        `yaml:"keys_env"`
	TTL      time.Duration `yaml:"ttl"`
}

// Tokens configures the broker-issued CLI tokens (secds login). Keys are
// Ed25519 seeds, 32 random bytes each, in the same format as session keys;
// without keys the CLI login endpoints say so and no bearer token is accepted.
type Tokens struct {
	KeysFile string        `yaml:"keys_file"`
	KeysEnv  string        `yaml:"keys_env"`
	TTL      time.Duration `yaml:"ttl"`
}

// AWS configures the AWS clients. Credentials and endpoints come from the
// SDK's default chain (environment, profile, container or instance role,
// AWS_ENDPOINT_URL_STS / AWS_ENDPOINT_URL_SAGEMAKER).
type AWS struct {
	Region       string        `yaml:"region"`
	DiscoveryTTL time.Duration `yaml:"discovery_ttl"`
	// Timeout bounds the AWS work of one open; MaxConcurrent bounds how many
	// opens talk to AWS at once. Unset: DefaultAWSTimeout, DefaultMaxConcurrentAWS.
	Timeout       time.Duration `yaml:"timeout"`
	MaxConcurrent int           `yaml:"max_concurrent"`
	// PinURLs pins every presigned URL to the client that asked for it
	// (pin.go); unset: URLs are not pinned.
	PinURLs *PinURLs `yaml:"pin_urls"`
}

// Audit configures where audit events go besides stdout.
type Audit struct {
	File string `yaml:"file"`
}

// Load reads and validates a configuration file. Relative paths in it are
// resolved against the file's directory.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	var c Config
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	dir := filepath.Dir(path)
	for _, p := range []*string{&c.MappingFile, &c.MappingHistoryDir, &c.OIDC.ClientSecretFile, &c.Session.KeysFile, &c.Tokens.KeysFile, &c.Audit.File, &c.Tracing.HeadersFile} {
		if *p != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(dir, *p)
		}
	}
	if err := c.Resolve(os.Getenv); err != nil {
		return nil, fmt.Errorf("%s:\n%w", path, err)
	}
	return &c, nil
}

// Resolve fills the defaults, reads the secrets and checks everything
// (Validate), returning every problem at once, each led by the field's path
// in the file.
func (c *Config) Resolve(getenv func(string) string) error {
	c.applyDefaults()
	errs := c.readSecrets(getenv)
	if err := c.Validate(); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	c.Public, _ = publicURL(c.PublicURL)
	for _, p := range c.TrustedProxies {
		_, n, _ := net.ParseCIDR(p)
		c.Proxies = append(c.Proxies, n)
	}
	return nil
}

// readSecrets reads the client secret, the session keys, the CLI token
// keys and the trace collector's secret headers. Token keys are optional: a
// broker without them serves browsers only; the headers are read only when
// tracing is on, and then only if their file or variable is set.
func (c *Config) readSecrets(getenv func(string) string) []error {
	var errs []error
	secret, err := readSecret("oidc.client_secret", c.OIDC.ClientSecretFile, c.OIDC.ClientSecretEnv, getenv)
	if err != nil {
		errs = append(errs, err)
	}
	c.ClientSecret = strings.TrimSpace(secret)
	if c.SessionKeys, err = readKeys("session.keys", c.Session.KeysFile, c.Session.KeysEnv, getenv); err != nil {
		errs = append(errs, err)
	}
	if c.Tokens.KeysFile != "" || getenv(c.Tokens.KeysEnv) != "" {
		if c.TokenKeys, err = readKeys("tokens.keys", c.Tokens.KeysFile, c.Tokens.KeysEnv, getenv); err != nil {
			errs = append(errs, err)
		}
	}
	return append(errs, c.readTracingHeaders(getenv)...)
}

// readKeys reads and parses a key list (see ParseKeys).
func readKeys(field, file, env string, getenv func(string) string) ([][]byte, error) {
	raw, err := readSecret(field, file, env, getenv)
	if err != nil {
		return nil, err
	}
	keys, err := ParseKeys(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", secretField(field, file), err)
	}
	return keys, nil
}

// readSecret reads a secret from a file if one is named, else from an
// environment variable. field is the secret's name in the file (its _file
// and _env settings); errors name the one that failed, never the secret.
func readSecret(field, file, env string, getenv func(string) string) (string, error) {
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("%s: read %s: %w", secretField(field, file), file, err)
		}
		return string(b), nil
	}
	if v := getenv(env); v != "" {
		return v, nil
	}
	return "", fmt.Errorf("%s: the environment variable %s is empty; set it, or %s_file", secretField(field, file), env, field)
}

// secretField is the setting a secret came from: field_file or field_env.
func secretField(field, file string) string {
	if file != "" {
		return field + "_file"
	}
	return field + "_env"
}

// ParseKeys reads cookie keys: base64 (standard or URL alphabet), one per
// line or comma-separated, each 32 bytes. The first seals new cookies.
func ParseKeys(s string) ([][]byte, error) {
	var keys [][]byte
	for i, f := range strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == ',' || r == '\r' }) {
		f = strings.TrimSpace(f)
		if f == "" || strings.HasPrefix(f, "#") {
			continue
		}
		k, err := base64.StdEncoding.DecodeString(f)
		if err != nil {
			k, err = base64.RawURLEncoding.DecodeString(strings.TrimRight(f, "="))
		}
		if err != nil || len(k) != 32 {
			return nil, fmt.Errorf("key %d is not 32 bytes of base64 (make one with: openssl rand -base64 32)", i+1)
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil, errors.New("no keys found (make one with: openssl rand -base64 32)")
	}
	return keys, nil
}

func isLoopbackHost(h string) bool {
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}
