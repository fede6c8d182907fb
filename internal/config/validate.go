package config

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/secds/secds/internal/ratelimit"
)

// Bounds the broker can work with. A value outside them is a typo or a
// misunderstanding, and is refused at load rather than found at the first
// request (or as a panic at start: a negative channel size).
const (
	maxSessionTTL    = 7 * 24 * time.Hour
	minSessionTTL    = 5 * time.Minute
	maxTokenTTL      = 7 * 24 * time.Hour
	minTokenTTL      = 5 * time.Minute
	maxDiscoveryTTL  = time.Hour
	minAWSTimeout    = time.Second
	maxAWSTimeout    = 50 * time.Second // the HTTP write time-out is 60s
	maxConcurrentAWS = 10_000
)

// check is one rule of Validate: when bad, field (its path in the file)
// gets msg.
type check struct {
	field string
	bad   bool
	msg   string
}

// Validate checks every field of a resolved Config (defaults applied,
// secrets read) and returns all problems at once, one line each, led by the
// field's path: "oidc.issuer: ...". It changes nothing.
func (c *Config) Validate() error {
	_, publicProblem := publicURL(c.PublicURL)
	checks := []check{
		{"listen", addrProblem(c.Listen) != "", fmt.Sprintf("%q %s", c.Listen, addrProblem(c.Listen))},
		{"public_url", publicProblem != "", publicProblem},
		{"mapping_file", c.MappingFile == "" && c.MappingStore.Type != StoreDynamoDB, "is required (see configs/teams.example.yaml)"},
		{"mapping_store.type", c.MappingStore.Type != StoreFile && c.MappingStore.Type != StoreDynamoDB, fmt.Sprintf("%q must be %q or %q", c.MappingStore.Type, StoreFile, StoreDynamoDB)},
		{"oidc.issuer", c.OIDC.Issuer == "", "is required"},
		{"oidc.issuer", c.OIDC.Issuer != "" && issuerProblem(c.OIDC.Issuer) != "", fmt.Sprintf("%q %s", c.OIDC.Issuer, issuerProblem(c.OIDC.Issuer))},
		{"oidc.client_id", c.OIDC.ClientID == "", "is required"},
		{"oidc.scopes", !slices.Contains(c.OIDC.Scopes, "openid"), fmt.Sprintf("%v must include openid", c.OIDC.Scopes)},
		{"oidc.username_claim", !validClaimPath(c.OIDC.UsernameClaim), fmt.Sprintf("%q must be a claim name or a dotted path such as realm_access.roles", c.OIDC.UsernameClaim)},
		{"oidc.email_claim", !validClaimPath(c.OIDC.EmailClaim), fmt.Sprintf("%q must be a claim name or a dotted path such as realm_access.roles", c.OIDC.EmailClaim)},
		{"oidc.groups_claim", !validClaimPath(c.OIDC.GroupsClaim), fmt.Sprintf("%q must be a claim name or a dotted path such as realm_access.roles", c.OIDC.GroupsClaim)},
		{"session.ttl", c.Session.TTL < minSessionTTL || c.Session.TTL > maxSessionTTL, fmt.Sprintf("%s must be between %s and %s", c.Session.TTL, minSessionTTL, hours(maxSessionTTL))},
		{"tokens.ttl", c.Tokens.TTL < minTokenTTL || c.Tokens.TTL > maxTokenTTL, fmt.Sprintf("%s must be between %s and %s", c.Tokens.TTL, minTokenTTL, hours(maxTokenTTL))},
		{secretField("tokens.keys", c.Tokens.KeysFile), sharesKey(c.TokenKeys, c.SessionKeys), "a token key is also a session key; give each its own (openssl rand -base64 32), so one leaked secret cannot both decrypt cookies and sign tokens"},
		{"aws.region", c.AWS.Region != "" && !validRegion(c.AWS.Region), fmt.Sprintf("%q is not an AWS region name (like eu-west-1)", c.AWS.Region)},
		{"aws.discovery_ttl", c.AWS.DiscoveryTTL < 0 || c.AWS.DiscoveryTTL > maxDiscoveryTTL, fmt.Sprintf("%s must be between 0 and %s (unset: %s)", c.AWS.DiscoveryTTL, hours(maxDiscoveryTTL), DefaultDiscoveryTTL)},
		{"aws.timeout", c.AWS.Timeout < minAWSTimeout || c.AWS.Timeout > maxAWSTimeout, fmt.Sprintf("%s must be between %s and %s (unset: %s)", c.AWS.Timeout, minAWSTimeout, maxAWSTimeout, DefaultAWSTimeout)},
		{"aws.max_concurrent", c.AWS.MaxConcurrent < 1 || c.AWS.MaxConcurrent > maxConcurrentAWS, fmt.Sprintf("%d must be between 1 and %d (unset: %d)", c.AWS.MaxConcurrent, maxConcurrentAWS, DefaultMaxConcurrentAWS)},
		{"limits", c.Limits == nil, "are not set (Resolve sets DefaultLimits)"},
		{"metrics.listen", c.MetricsAddr != "" && addrProblem(c.MetricsAddr) != "", fmt.Sprintf("%q %s (or \"off\")", c.Metrics.Listen, addrProblem(c.MetricsAddr))},
		{"metrics.listen", c.MetricsAddr != "" && addrProblem(c.MetricsAddr) == "" && addrProblem(c.Listen) == "" && sameSocket(c.Listen, c.MetricsAddr),
			fmt.Sprintf("%q is the broker's own listen address %q: metrics need a port of their own, or they are public", c.MetricsAddr, c.Listen)},
	}
	checks = append(checks, c.storeChecks()...)
	checks = append(checks, c.pprofChecks()...)
	checks = append(checks, c.pinChecks()...)
	checks = append(checks, c.tracingChecks()...)
	checks = append(checks,
		check{"log.format", c.Log.Format != LogJSON && c.Log.Format != LogText, fmt.Sprintf("%q must be %q or %q", c.Log.Format, LogJSON, LogText)},
		check{"log.access", c.Log.Access != "info" && c.Log.Access != "debug", fmt.Sprintf("%q must be \"info\" or \"debug\" (debug leaves the line per request out)", c.Log.Access)})
	for i, p := range c.TrustedProxies {
		_, _, err := net.ParseCIDR(p)
		checks = append(checks, check{fmt.Sprintf("trusted_proxies[%d]", i), err != nil, fmt.Sprintf("%q is not a CIDR range", p)})
	}
	for i, s := range c.OIDC.Scopes {
		checks = append(checks, check{fmt.Sprintf("oidc.scopes[%d]", i), s == "" || strings.ContainsFunc(s, isSpaceOrControl), fmt.Sprintf("%q is not a scope (one word each)", s)})
	}
	if c.Limits != nil {
		checks = append(checks, rateChecks("limits.per_ip", c.Limits.PerIP)...)
		checks = append(checks, rateChecks("limits.per_user", c.Limits.PerUser)...)
	}
	var errs []error
	for _, ch := range checks {
		if ch.bad {
			errs = append(errs, fmt.Errorf("%s: %s", ch.field, ch.msg))
		}
	}
	return errors.Join(errs...)
}

// publicURL parses public_url, or says what is wrong with it.
func publicURL(s string) (*url.URL, string) {
	u, err := url.Parse(s)
	switch {
	case s == "":
		return nil, "is required (the URL people use to reach the broker, e.g. https://notebooks.corp)"
	case err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Path != "" && u.Path != "/":
		return nil, fmt.Sprintf("%q must be an http(s) URL with no path", s)
	case u.Scheme == "http" && !isLoopbackHost(u.Hostname()):
		return nil, fmt.Sprintf("%q must use https unless it is a loopback address", s)
	}
	u.Path = ""
	return u, ""
}

// issuerProblem says what is wrong with an issuer URL; "" when nothing.
func issuerProblem(s string) string {
	u, err := url.Parse(s)
	switch {
	case err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil:
		return "must be the provider's https URL, with no query, fragment or user"
	case u.Scheme == "http" && !isLoopbackHost(u.Hostname()):
		return "must use https unless it is a loopback address"
	}
	return ""
}

// validClaimPath accepts "" (the standard claim) or a claim name or dotted
// path with no empty segment.
func validClaimPath(p string) bool {
	return p == "" || !strings.ContainsFunc(p, isSpaceOrControl) && !slices.Contains(strings.Split(p, "."), "")
}

func sharesKey(a, b [][]byte) bool {
	for _, x := range a {
		for _, y := range b {
			if bytes.Equal(x, y) {
				return true
			}
		}
	}
	return false
}

func rateChecks(field string, r ratelimit.Rate) []check {
	badRate := math.IsNaN(r.PerSecond) || math.IsInf(r.PerSecond, 0) || r.PerSecond < 0
	return []check{
		{field + ".per_second", badRate, fmt.Sprintf("%v must be 0 (no limit) or more", r.PerSecond)},
		{field + ".burst", !badRate && r.Burst < 0, fmt.Sprintf("%d must be 1 or more", r.Burst)},
		{field + ".burst", !badRate && r.Burst == 0 && r.PerSecond > 0, "must be 1 or more when per_second is set (it is how many requests may come at once)"},
	}
}

// addrProblem says what is wrong with a listen address (host:port with an
// optional host and a port 0-65535); "" when nothing.
func addrProblem(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "must be host:port or :port"
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 || port != strconv.Itoa(n) {
		return fmt.Sprintf("has port %q: it must be a number from 0 to 65535", port)
	}
	if strings.ContainsFunc(host, isSpaceOrControl) {
		return fmt.Sprintf("has host %q with spaces", host)
	}
	return ""
}

// sameSocket says whether two valid listen addresses would clash: the same
// port on the same host, or on all interfaces. Port 0 picks a free port.
func sameSocket(a, b string) bool {
	ha, pa, _ := net.SplitHostPort(a)
	hb, pb, _ := net.SplitHostPort(b)
	if pa != pb || pa == "0" {
		return false
	}
	all := func(h string) bool { return h == "" || h == "0.0.0.0" || h == "::" }
	return ha == hb || all(ha) || all(hb)
}

func validRegion(r string) bool {
	parts := strings.Split(r, "-")
	if len(parts) < 3 {
		return false
	}
	for _, p := range parts {
		if p == "" || strings.ContainsFunc(p, func(c rune) bool { return !('a' <= c && c <= 'z' || '0' <= c && c <= '9') }) {
			return false
		}
	}
	return true
}

func isSpaceOrControl(r rune) bool { return r <= ' ' || r == 0x7f }

func hours(d time.Duration) string { return strconv.Itoa(int(d.Hours())) + "h" }

// Bounds of the shared store's settings.
const (
	minPollInterval = 100 * time.Millisecond
	maxPollInterval = time.Minute
	maxStartTimeout = 10 * time.Minute
)

// tableNameRE is DynamoDB's rule for table names.
var tableNameRE = regexp.MustCompile(`^[a-zA-Z0-9_.-]{3,255}$`)

func (c *Config) storeChecks() []check {
	s := c.MappingStore
	if s.Type == StoreFile {
		return []check{
			{"mapping_store.table", s.Table != "", "is only for type dynamodb"},
			{"mapping_store.endpoint", s.Endpoint != "", "is only for type dynamodb"},
		}
	}
	if s.Type != StoreDynamoDB {
		return nil
	}
	endpoint, err := url.Parse(s.Endpoint)
	return []check{
		{"mapping_store.table", s.Table == "", "is required with type dynamodb (see docs/dynamodb.md)"},
		{"mapping_store.table", s.Table != "" && !tableNameRE.MatchString(s.Table), fmt.Sprintf("%q is not a DynamoDB table name (3-255 of a-z A-Z 0-9 _ . -); give the name, not the ARN", s.Table)},
		{"mapping_store.region", s.Region == "", "is required with type dynamodb (or set aws.region)"},
		{"mapping_store.region", s.Region != "" && !validRegion(s.Region), fmt.Sprintf("%q is not an AWS region name (like eu-west-1)", s.Region)},
		{"mapping_store.endpoint", s.Endpoint != "" && (err != nil || (endpoint.Scheme != "https" && endpoint.Scheme != "http") || endpoint.Host == ""), fmt.Sprintf("%q must be an http(s) URL", s.Endpoint)},
		{"mapping_store.endpoint", s.Endpoint != "" && err == nil && endpoint.Scheme == "http" && !isLoopbackHost(endpoint.Hostname()), fmt.Sprintf("%q must use https unless it is a loopback address", s.Endpoint)},
		{"mapping_store.poll_interval", s.PollInterval < minPollInterval || s.PollInterval > maxPollInterval, fmt.Sprintf("%s must be between %s and %s (unset: %s)", s.PollInterval, minPollInterval, maxPollInterval, DefaultPollInterval)},
		{"mapping_store.start_timeout", s.StartTimeout < 0 || s.StartTimeout > maxStartTimeout, fmt.Sprintf("%s must be between 0 and %s (unset: %s)", s.StartTimeout, maxStartTimeout, DefaultStoreStartTimeout)},
		{"mapping_history_dir", c.MappingHistoryDir != "", "is for the file store; with type dynamodb the history is the table's (secds admin mapping import moves an old one in)"},
	}
}

// pprofChecks keep the profiler off the network: a loopback IP only (not
// "localhost", which a resolver may send elsewhere), and a port of its own.
func (c *Config) pprofChecks() []check {
	addr := c.Pprof.Addr()
	if addr == "" {
		return nil
	}
	if p := addrProblem(addr); p != "" {
		return []check{{"pprof.listen", true, fmt.Sprintf("%q %s (or \"off\")", addr, p)}}
	}
	host, _, _ := net.SplitHostPort(addr)
	ip := net.ParseIP(host)
	return []check{
		{"pprof.listen", ip == nil || !ip.IsLoopback(), fmt.Sprintf("%q is not a loopback address: the profiler is served on 127.0.0.1 or [::1] only (reach it with kubectl port-forward or ssh -L), never on the network", addr)},
		{"pprof.listen", addrProblem(c.Listen) == "" && sameSocket(c.Listen, addr), fmt.Sprintf("%q is the broker's own listen address %q: the profiler needs a port of its own", addr, c.Listen)},
		{"pprof.listen", c.MetricsAddr != "" && addrProblem(c.MetricsAddr) == "" && sameSocket(c.MetricsAddr, addr), fmt.Sprintf("%q is the metrics address %q: the profiler needs a port of its own", addr, c.MetricsAddr)},
	}
}
