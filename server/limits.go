package server

import (
	"container/list"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/time/rate"

	"github.com/secds/secds/internal/api"
	"github.com/secds/secds/internal/ratelimit"
)

// rateLimited is a refused request: 429, with when to try again.
func rateLimited(who string, wait time.Duration) error {
	e := &api.Error{Kind: api.KindThrottled, Code: api.CodeRateLimited, RetryAfter: wait}
	e.Message = fmt.Sprintf("Too many requests from your %s. Wait %s and try again.", who, plural(e.RetryAfterSeconds(), "second"))
	return e
}

// plural is "1 second", "3 seconds".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// buckets keeps one token bucket per key, at most max of them. When full,
// the least recently used bucket goes: a flood of fresh keys pushes out idle
// ones, never the buckets of the clients being limited right now (the old
// map started over when full, which reset every bucket, the flooder's too).
// A bucket idle long enough to have refilled is dropped early: forgetting it
// changes nothing.
type buckets struct {
	rate ratelimit.Rate
	now  func() time.Time
	max  int
	mu   sync.Mutex
	m    map[string]*list.Element // of *bucket
	lru  list.List                // front: most recently used
	idle time.Duration            // time to refill from empty
}

type bucket struct {
	key  string
	lim  *rate.Limiter
	seen time.Time
}

const maxBuckets = 100_000

func newBuckets(r ratelimit.Rate, now func() time.Time) *buckets {
	b := &buckets{rate: r, now: now, max: maxBuckets, m: map[string]*list.Element{}}
	if r.PerSecond > 0 {
		b.idle = time.Duration(float64(max(r.Burst, 1))/r.PerSecond*float64(time.Second)) + time.Second
	}
	return b
}

// take spends one token for key, or says how long to wait.
func (b *buckets) take(key string) (ok bool, wait time.Duration) {
	if b.rate.PerSecond <= 0 {
		return true, 0
	}
	now := b.now()
	b.mu.Lock()
	defer b.mu.Unlock()
	b.dropIdle(now)
	var bk *bucket
	if el := b.m[key]; el != nil {
		b.lru.MoveToFront(el)
		bk = el.Value.(*bucket)
	} else {
		for len(b.m) >= b.max {
			oldest := b.lru.Back()
			delete(b.m, oldest.Value.(*bucket).key)
			b.lru.Remove(oldest)
		}
		bk = &bucket{key: key, lim: rate.NewLimiter(rate.Limit(b.rate.PerSecond), max(b.rate.Burst, 1))}
		b.m[key] = b.lru.PushFront(bk)
	}
	bk.seen = now
	r := bk.lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// empty reports whether key's bucket has no token left, and how long until
// it has one, without spending any.
func (b *buckets) empty(key string) (bool, time.Duration) {
	if b.rate.PerSecond <= 0 {
		return false, 0
	}
	now := b.now()
	b.mu.Lock()
	defer b.mu.Unlock()
	el := b.m[key]
	if el == nil {
		return false, 0
	}
	tokens := el.Value.(*bucket).lim.TokensAt(now)
	if tokens >= 1 {
		return false, 0
	}
	return true, time.Duration((1 - tokens) / b.rate.PerSecond * float64(time.Second))
}

// dropIdle removes, oldest first, the buckets that have refilled; the list
// is in order of use, so it stops at the first one still in use.
func (b *buckets) dropIdle(now time.Time) {
	for el := b.lru.Back(); el != nil; el = b.lru.Back() {
		bk := el.Value.(*bucket)
		if now.Sub(bk.seen) <= b.idle {
			return
		}
		delete(b.m, bk.key)
		b.lru.Remove(el)
	}
}

// len is how many buckets are kept.
func (b *buckets) len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.m)
}

// limited returns middleware for the costly endpoints. Every such request
// spends from its address's bucket; one whose session or broker token
// verifies also spends from its person's bucket, keyed by the verified
// subject, so a person's browser and CLI share one, and rewording the
// Authorization header (extra spaces, another case) is not a new bucket. A
// request that does not verify has only the address limit: it gets no
// further than a refusal.
func (s *Server) limited(l ratelimit.Limits) echo.MiddlewareFunc {
	perIP, perUser := newBuckets(l.PerIP, time.Now), newBuckets(l.PerUser, time.Now)
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if !costly(c.Request().URL.Path) {
				return next(c)
			}
			if ok, wait := perIP.take(addressKey(c.RealIP())); !ok {
				return rateLimited("address", wait)
			}
			if key := s.userKey(c); key != "" {
				if ok, wait := perUser.take(key); !ok {
					return rateLimited("user", wait)
				}
			}
			return next(c)
		}
	}
}

// costly says whether a path costs the broker, the identity provider or AWS
// something: the landing page lists notebooks (AWS), the admin pages
// explain with AWS calls.
func costly(path string) bool {
	switch path {
	case "/", "/login", "/callback", "/open", "/open/wait", "/cli/login":
		return true
	}
	return strings.HasPrefix(path, "/api/v1/") || path == "/admin" || strings.HasPrefix(path, "/admin/")
}

// addressKey is the per-address bucket's key: the IPv4 address, or the /64
// of an IPv6 one (a single host is routinely given a whole /64, so one
// bucket per address would be one per request for whoever wants it).
func addressKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return "ip:" + ip
	}
	a = a.Unmap()
	if a.Is4() {
		return "ip:" + a.String()
	}
	p, _ := a.WithZone("").Prefix(64)
	return "ip6:" + p.String()
}

// userKey names the person behind a request once their credential is
// verified: the subject of a valid broker token or session. A bearer token
// is judged alone, as apiIdentity judges it; one that does not verify gives
// no key (the address limit applies). The verification is the one the
// API guard uses next (verifyBearer keeps it for the request).
func (s *Server) userKey(c echo.Context) string {
	if h := c.Request().Header.Get(echo.HeaderAuthorization); h != "" {
		scheme, raw, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || s.cfg.Tokens == nil {
			return ""
		}
		v, err := s.verifyBearer(c, raw)
		if err != nil {
			return ""
		}
		return "sub:" + v.Identity.Subject
	}
	if sess, err := s.browserSession(c); err == nil {
		return "sub:" + sess.Identity.Subject
	}
	return ""
}
