package server

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/time/rate"
)

// Rate is a token bucket: PerSecond requests a second on average, bursts of
// up to Burst.
type Rate struct {
	PerSecond float64 `yaml:"per_second"`
	Burst     int     `yaml:"burst"`
}

// Limits bound how fast one client address and one user may call the
// endpoints that cost the broker, the identity provider or AWS something:
// /login, /callback, /open and /api/v1/*.
type Limits struct {
	PerIP   Rate `yaml:"per_ip"`
	PerUser Rate `yaml:"per_user"`
}

// DefaultLimits leave room for an office behind one NAT address while
// stopping a script.
var DefaultLimits = Limits{PerIP: Rate{PerSecond: 20, Burst: 60}, PerUser: Rate{PerSecond: 2, Burst: 20}}

// limitError is a refused request; the error handler answers 429.
type limitError struct {
	who        string
	retryAfter time.Duration
}

func (e *limitError) Error() string { return "rate limit exceeded for " + e.who }

// buckets keeps one token bucket per key. Idle buckets are dropped, and the
// map is bounded so that a flood of addresses cannot grow it without end.
type buckets struct {
	rate  Rate
	now   func() time.Time
	mu    sync.Mutex
	m     map[string]*bucket
	swept time.Time
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

const maxBuckets = 100_000

func newBuckets(r Rate, now func() time.Time) *buckets {
	return &buckets{rate: r, now: now, m: map[string]*bucket{}}
}

// take spends one token for key, or says how long to wait.
func (b *buckets) take(key string) (ok bool, wait time.Duration) {
	if b.rate.PerSecond <= 0 {
		return true, 0
	}
	now := b.now()
	b.mu.Lock()
	defer b.mu.Unlock()
	if now.Sub(b.swept) > time.Minute || len(b.m) >= maxBuckets {
		b.sweep(now)
	}
	bk := b.m[key]
	if bk == nil {
		bk = &bucket{lim: rate.NewLimiter(rate.Limit(b.rate.PerSecond), max(b.rate.Burst, 1))}
		b.m[key] = bk
	}
	bk.seen = now
	r := bk.lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// sweep drops buckets idle long enough to have refilled; if the map is
// still full (a flood of fresh keys), it starts over rather than grow.
func (b *buckets) sweep(now time.Time) {
	b.swept = now
	full := time.Duration(float64(max(b.rate.Burst, 1))/b.rate.PerSecond*float64(time.Second)) + time.Second
	for k, bk := range b.m {
		if now.Sub(bk.seen) > full {
			delete(b.m, k)
		}
	}
	if len(b.m) >= maxBuckets {
		b.m = map[string]*bucket{}
	}
}

// limited returns middleware for the costly endpoints.
func (s *Server) limited(l Limits) echo.MiddlewareFunc {
	perIP, perUser := newBuckets(l.PerIP, time.Now), newBuckets(l.PerUser, time.Now)
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if !costly(c.Request().URL.Path) {
				return next(c)
			}
			if ok, wait := perIP.take(c.RealIP()); !ok {
				return &limitError{who: "address", retryAfter: wait}
			}
			if key := s.userKey(c); key != "" {
				if ok, wait := perUser.take(key); !ok {
					return &limitError{who: "user", retryAfter: wait}
				}
			}
			return next(c)
		}
	}
}

func costly(path string) bool {
	switch path {
	case "/login", "/callback", "/open", "/cli/login":
		return true
	}
	return strings.HasPrefix(path, "/api/v1/")
}

// userKey names the user behind a request without the cost of verifying a
// token: the session's subject, or a digest of the bearer token (one token
// is one user; a forged one is still bound by the per-address limit).
func (s *Server) userKey(c echo.Context) string {
	if h := c.Request().Header.Get("Authorization"); len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		sum := sha256.Sum256([]byte(h[7:]))
		return "token:" + hex.EncodeToString(sum[:12])
	}
	if sess, err := s.browserSession(c); err == nil {
		return "sub:" + sess.Identity.Subject
	}
	return ""
}

func retryAfterSeconds(d time.Duration) int {
	return int(math.Max(1, math.Ceil(d.Seconds())))
}

func (e *limitError) problem() problem {
	return problem{Status: http.StatusTooManyRequests, Code: "rate_limited", Title: "Too many requests",
		Message:    fmt.Sprintf("Too many requests from your %s. Wait %d seconds and try again.", e.who, retryAfterSeconds(e.retryAfter)),
		RetryAfter: retryAfterSeconds(e.retryAfter)}
}
