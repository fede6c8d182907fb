// Package ratelimit holds the shape of the broker's request-rate limits:
// the configuration file sets them (internal/config, with the defaults) and
// the HTTP layer enforces them (server). It is a type of its own so that
// neither of the two has to import the other.
package ratelimit

// Rate is a token bucket: PerSecond requests a second on average, bursts of
// up to Burst. A PerSecond of 0 turns the limit off.
type Rate struct {
	PerSecond float64 `yaml:"per_second"`
	Burst     int     `yaml:"burst"`
}

// Limits bound how fast one client address and one user may call the
// endpoints that cost the broker, the identity provider or AWS something:
// /, /login, /callback, /open, /cli/login, /admin and /api/v1/*.
type Limits struct {
	PerIP   Rate `yaml:"per_ip"`
	PerUser Rate `yaml:"per_user"`
}
