package broker

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"golang.org/x/sync/singleflight"

	"github.com/secds/secds/abac"
)

// credCache keeps a user's team session for reuse until shortly before it
// expires, so a burst of opens costs one AssumeRole. It never weakens the
// checks: the mapping is evaluated before every lookup, and the key covers
// everything the session was made with (user, team, role, tags, duration),
// so any change to the grant makes a new session.
type credCache struct {
	now    func() time.Time
	margin time.Duration // how long before expiry a session stops being reused
	max    int

	mu      sync.Mutex
	entries map[string]aws.Credentials
	swept   time.Time // when put last swept a full cache

	hits, misses atomic.Int64
	flight       singleflight.Group // one AssumeRole per key at a time
}

func newCredCache(now func() time.Time) *credCache {
	return &credCache{now: now, margin: 5 * time.Minute, max: 10_000, entries: map[string]aws.Credentials{}}
}

func (c *credCache) get(key string) (aws.Credentials, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cr, ok := c.entries[key]
	if !ok || !c.fresh(cr) {
		delete(c.entries, key)
		c.misses.Add(1)
		return aws.Credentials{}, false
	}
	c.hits.Add(1)
	return cr, true
}

func (c *credCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}

func (c *credCache) put(key string, cr aws.Credentials) {
	if !cr.CanExpire || !c.fresh(cr) {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= c.max {
		// Sweep at most once a second: a cache full of live sessions
		// would otherwise cost a scan of all of them at every put.
		if now := c.now(); now.Sub(c.swept) >= time.Second {
			c.swept = now
			for k, v := range c.entries {
				if !c.fresh(v) {
					delete(c.entries, k)
				}
			}
		}
		if len(c.entries) >= c.max {
			return // full of live sessions: skip caching rather than grow
		}
	}
	c.entries[key] = cr
}

func (c *credCache) fresh(cr aws.Credentials) bool {
	return c.now().Add(c.margin).Before(cr.Expires)
}

// credKey names a session by everything AssumeRole was asked for (the
// session policy too: a URL pinned to one address is not another's),
// including the name it was made as: an admin's explain session for bob is not bob's.
func credKey(id abac.Identity, name string, g abac.Grant, policy string) string {
	var b strings.Builder
	for _, s := range []string{id.Subject, id.Username, name, g.Team, g.RoleARN, strconv.Itoa(g.RoleSessionSeconds), policy} {
		b.WriteString(s)
		b.WriteByte(0)
	}
	keys := make([]string, 0, len(g.SessionTags))
	for k := range g.SessionTags {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		b.WriteString(k + "=" + g.SessionTags[k])
		b.WriteByte(0)
	}
	b.WriteString(strings.Join(g.TransitiveTagKeys, ","))
	sum := sha256.Sum256([]byte(b.String()))
	return hex.EncodeToString(sum[:])
}
