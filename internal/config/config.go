// Package config loads the broker's configuration file and its secrets.
// Every problem is reported at once; secrets come from files or environment
// variables, never from the file itself or the command line.
package config

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Config is the broker's configuration.
type Config struct {
	Listen         string   `yaml:"listen"`
	PublicURL      string   `yaml:"public_url"`
	MappingFile    string   `yaml:"mapping_file"`
	TrustedProxies []string `yaml:"trusted_proxies"`
	OIDC           OIDC     `yaml:"oidc"`
	Session        Session  `yaml:"session"`
	Tokens         Tokens   `yaml:"tokens"`
	AWS            AWS      `yaml:"aws"`
	Audit          Audit    `yaml:"audit"`
	Limits         *Limits  `yaml:"limits"`
	Metrics        Metrics  `yaml:"metrics"`

	// MappingHistoryDir keeps every version of the mapping; default: the
	// mapping file's path plus ".history". Where that is read-only (a
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
}

// Metrics configures the Prometheus endpoint. It has a listener of its own,
// away from the public one, because the load balancer would otherwise hand
// it to anyone on the internet.
type Metrics struct {
	// Listen is the metrics address: default 127.0.0.1:9464 (the pod or
	// host only), "off" for none. In a pod scraped by Prometheus, ":9464".
	Listen string `yaml:"listen"`
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
	// opens talk to AWS at once. Zero takes the broker's defaults (20s, 64).
	Timeout       time.Duration `yaml:"timeout"`
	MaxConcurrent int           `yaml:"max_concurrent"`
}

// Limits are per-address and per-user request rates for the endpoints that
// cost something (/, /login, /callback, /open, /cli/login, /admin, /api/v1/*). Unset means the
// broker's defaults; a per_second of 0 turns that limit off.
type Limits struct {
	PerIP   Rate `yaml:"per_ip"`
	PerUser Rate `yaml:"per_user"`
}

// Rate is a token bucket.
type Rate struct {
	PerSecond float64 `yaml:"per_second"`
	Burst     int     `yaml:"burst"`
}

// Audit configures where audit events go besides stdout.
type Audit struct {
	File string `yaml:"file"`
}

// Defaults for secrets given through the environment.
const (
	DefaultClientSecretEnv = "SECDS_OIDC_CLIENT_SECRET"
	DefaultSessionKeysEnv  = "SECDS_SESSION_KEYS"
	DefaultTokenKeysEnv    = "SECDS_TOKEN_KEYS"
	DefaultTokenTTL        = 12 * time.Hour
	DefaultListen          = "127.0.0.1:8080"
	DefaultMetricsListen   = "127.0.0.1:9464"
)

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
	for _, p := range []*string{&c.MappingFile, &c.MappingHistoryDir, &c.OIDC.ClientSecretFile, &c.Session.KeysFile, &c.Tokens.KeysFile, &c.Audit.File} {
		if *p != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(dir, *p)
		}
	}
	if err := c.Resolve(os.Getenv); err != nil {
		return nil, fmt.Errorf("%s:\n%w", path, err)
	}
	return &c, nil
}

// Resolve fills defaults, reads secrets and checks everything, returning all
// problems joined.
func (c *Config) Resolve(getenv func(string) string) error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if c.Listen == "" {
		c.Listen = DefaultListen
	}
	u, err := url.Parse(c.PublicURL)
	switch {
	case c.PublicURL == "":
		bad("public_url is required (the URL people use to reach the broker, e.g. https://notebooks.corp)")
	case err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Path != "" && u.Path != "/":
		bad("public_url %q must be an http(s) URL with no path", c.PublicURL)
	case u.Scheme == "http" && !isLoopbackHost(u.Hostname()):
		bad("public_url %q must use https unless it is a loopback address", c.PublicURL)
	default:
		u.Path = ""
		c.Public = u
	}
	if c.MappingFile == "" {
		bad("mapping_file is required (see configs/teams.example.yaml)")
	}
	if c.OIDC.Issuer == "" {
		bad("oidc.issuer is required")
	}
	if c.OIDC.ClientID == "" {
		bad("oidc.client_id is required")
	}
	if c.OIDC.ClientSecretEnv == "" {
		c.OIDC.ClientSecretEnv = DefaultClientSecretEnv
	}
	secret, err := readSecret(c.OIDC.ClientSecretFile, c.OIDC.ClientSecretEnv, getenv)
	if err != nil {
		bad("oidc client secret: %w", err)
	}
	c.ClientSecret = strings.TrimSpace(secret)
	if c.Session.KeysEnv == "" {
		c.Session.KeysEnv = DefaultSessionKeysEnv
	}
	keys, err := readSecret(c.Session.KeysFile, c.Session.KeysEnv, getenv)
	if err != nil {
		bad("session keys: %w", err)
	} else if c.SessionKeys, err = ParseKeys(keys); err != nil {
		bad("session keys: %w", err)
	}
	c.resolveTokens(getenv, bad)
	for _, p := range c.TrustedProxies {
		_, n, err := net.ParseCIDR(p)
		if err != nil {
			bad("trusted_proxies: %q is not a CIDR range", p)
			continue
		}
		c.Proxies = append(c.Proxies, n)
	}
	c.validate(bad)
	return errors.Join(errs...)
}

// resolveTokens reads the CLI token keys. They are optional: a broker
// without them serves browsers only. A key shared with the session keys is
// refused, so one leaked secret cannot both decrypt cookies and sign tokens.
func (c *Config) resolveTokens(getenv func(string) string, bad func(string, ...any)) {
	if c.Tokens.KeysEnv == "" {
		c.Tokens.KeysEnv = DefaultTokenKeysEnv
	}
	switch {
	case c.Tokens.TTL == 0:
		c.Tokens.TTL = DefaultTokenTTL
	case c.Tokens.TTL < 5*time.Minute || c.Tokens.TTL > 7*24*time.Hour:
		bad("tokens.ttl %s must be between 5m and 168h", c.Tokens.TTL)
	}
	if c.Tokens.KeysFile == "" && getenv(c.Tokens.KeysEnv) == "" {
		return
	}
	raw, err := readSecret(c.Tokens.KeysFile, c.Tokens.KeysEnv, getenv)
	if err != nil {
		bad("token keys: %w", err)
		return
	}
	if c.TokenKeys, err = ParseKeys(raw); err != nil {
		bad("token keys: %w", err)
		return
	}
	for _, tk := range c.TokenKeys {
		for _, sk := range c.SessionKeys {
			if bytes.Equal(tk, sk) {
				bad("token keys: a token key is also a session key; give each its own (openssl rand -base64 32)")
				return
			}
		}
	}
}

// readSecret reads a secret from a file if one is named, else from an
// environment variable.
func readSecret(file, env string, getenv func(string) string) (string, error) {
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("read %s: %w", file, err)
		}
		return string(b), nil
	}
	if v := getenv(env); v != "" {
		return v, nil
	}
	return "", fmt.Errorf("set the file in the config or the environment variable %s", env)
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
