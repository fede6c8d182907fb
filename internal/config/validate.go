package config

import (
	"fmt"
	"math"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Bounds the broker can work with. A value outside them is a typo or a
// misunderstanding, and is refused at load rather than found at the first
// request (or as a panic at start: a negative channel size).
const (
	maxSessionTTL    = 7 * 24 * time.Hour
	minSessionTTL    = 5 * time.Minute
	maxDiscoveryTTL  = time.Hour
	minAWSTimeout    = time.Second
	maxAWSTimeout    = 50 * time.Second // the HTTP write time-out is 60s
	maxConcurrentAWS = 10_000
)

// validate checks the fields Resolve does not read secrets for, and fills
// the derived ones. Every problem goes to bad; nothing stops at the first.
func (c *Config) validate(bad func(string, ...any)) {
	if err := checkAddr(c.Listen); err != nil {
		bad("listen %q: %v", c.Listen, err)
	}
	c.validateMetrics(bad)
	c.validateOIDC(bad)
	switch {
	case c.Session.TTL == 0:
	case c.Session.TTL < minSessionTTL || c.Session.TTL > maxSessionTTL:
		bad("session.ttl %s must be between %s and %s", c.Session.TTL, minSessionTTL, hours(maxSessionTTL))
	}
	if c.AWS.Region != "" && !validRegion(c.AWS.Region) {
		bad("aws.region %q is not an AWS region name (like eu-west-1)", c.AWS.Region)
	}
	if c.AWS.DiscoveryTTL < 0 || c.AWS.DiscoveryTTL > maxDiscoveryTTL {
		bad("aws.discovery_ttl %s must be between 0 (the default, 30s) and %s", c.AWS.DiscoveryTTL, hours(maxDiscoveryTTL))
	}
	if t := c.AWS.Timeout; t != 0 && (t < minAWSTimeout || t > maxAWSTimeout) {
		bad("aws.timeout %s must be between %s and %s (0 takes the default, 20s)", t, minAWSTimeout, maxAWSTimeout)
	}
	if n := c.AWS.MaxConcurrent; n < 0 || n > maxConcurrentAWS {
		bad("aws.max_concurrent %d must be between 1 and %d (0 takes the default, 64)", n, maxConcurrentAWS)
	}
	if c.Limits != nil {
		checkRate("limits.per_ip", c.Limits.PerIP, bad)
		checkRate("limits.per_user", c.Limits.PerUser, bad)
	}
}

func (c *Config) validateMetrics(bad func(string, ...any)) {
	switch c.Metrics.Listen {
	case "off":
		c.MetricsAddr = ""
		return
	case "":
		c.MetricsAddr = DefaultMetricsListen
	default:
		c.MetricsAddr = c.Metrics.Listen
	}
	if err := checkAddr(c.MetricsAddr); err != nil {
		bad("metrics.listen %q: %v (or \"off\")", c.Metrics.Listen, err)
		return
	}
	if sameSocket(c.Listen, c.MetricsAddr) {
		bad("metrics.listen %q is the broker's own listen address %q: metrics need a port of their own, or they are public", c.MetricsAddr, c.Listen)
	}
}

func (c *Config) validateOIDC(bad func(string, ...any)) {
	if c.OIDC.Issuer != "" {
		u, err := url.Parse(c.OIDC.Issuer)
		switch {
		case err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil:
			bad("oidc.issuer %q must be the provider's https URL, with no query, fragment or user", c.OIDC.Issuer)
		case u.Scheme == "http" && !isLoopbackHost(u.Hostname()):
			bad("oidc.issuer %q must use https unless it is a loopback address", c.OIDC.Issuer)
		}
	}
	if len(c.OIDC.Scopes) > 0 && !slices.Contains(c.OIDC.Scopes, "openid") {
		bad("oidc.scopes %v must include openid", c.OIDC.Scopes)
	}
	for _, s := range c.OIDC.Scopes {
		if s == "" || strings.ContainsFunc(s, isSpaceOrControl) {
			bad("oidc.scopes: %q is not a scope (one word each)", s)
		}
	}
	for name, p := range map[string]string{"oidc.username_claim": c.OIDC.UsernameClaim, "oidc.email_claim": c.OIDC.EmailClaim, "oidc.groups_claim": c.OIDC.GroupsClaim} {
		if p != "" && (strings.ContainsFunc(p, isSpaceOrControl) || slices.Contains(strings.Split(p, "."), "")) {
			bad("%s %q must be a claim name or a dotted path such as realm_access.roles", name, p)
		}
	}
}

func checkRate(name string, r Rate, bad func(string, ...any)) {
	switch {
	case math.IsNaN(r.PerSecond) || math.IsInf(r.PerSecond, 0) || r.PerSecond < 0:
		bad("%s.per_second %v must be 0 (no limit) or more", name, r.PerSecond)
	case r.Burst < 0:
		bad("%s.burst %d must be 1 or more", name, r.Burst)
	case r.PerSecond > 0 && r.Burst == 0:
		bad("%s.burst must be 1 or more when per_second is set (it is how many requests may come at once)", name)
	}
}

// checkAddr accepts host:port with an optional host and a port 0-65535.
func checkAddr(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("must be host:port or :port")
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 || port != strconv.Itoa(n) {
		return fmt.Errorf("port %q must be a number from 0 to 65535", port)
	}
	if strings.ContainsFunc(host, isSpaceOrControl) {
		return fmt.Errorf("host %q has spaces", host)
	}
	return nil
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
