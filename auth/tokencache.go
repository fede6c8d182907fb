package auth

import (
	"container/list"
	"crypto/sha256"
	"sync"
	"sync/atomic"
)

// verifiedCacheSize bounds the verified-token cache: a broker sees at most
// a few thousand people a day, each with a token or two.
const verifiedCacheSize = 10_000

// verifiedCache remembers tokens whose signature and claims checked out, by
// the SHA-256 of the raw token, so a CLI presenting the same token on every
// call pays one Ed25519 verification per token instead of one per request.
// Only successes go in: filling it takes genuine tokens, which take the
// signing key. Time is not cached: every hit checks the lifetime again with
// the same rules (and leeway) as a fresh verification, and an entry whose
// token has expired is dropped. The least recently used entry goes first.
type verifiedCache struct {
	mu    sync.Mutex
	max   int
	order *list.List // of *verifiedEntry, most recently used first
	byKey map[[sha256.Size]byte]*list.Element

	hits, misses atomic.Uint64
}

type verifiedEntry struct {
	key    [sha256.Size]byte
	claims tokenClaims // owned by the cache: never handed out
}

func newVerifiedCache(max int) *verifiedCache {
	return &verifiedCache{max: max, order: list.New(), byKey: map[[sha256.Size]byte]*list.Element{}}
}

func tokenKey(raw string) [sha256.Size]byte { return sha256.Sum256([]byte(raw)) }

// get returns the cached claims of a token; the caller must not change
// them (Verified copies what it hands out).
func (c *verifiedCache) get(k [sha256.Size]byte) (tokenClaims, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.byKey[k]
	if !ok {
		c.misses.Add(1)
		return tokenClaims{}, false
	}
	c.hits.Add(1)
	c.order.MoveToFront(e)
	return e.Value.(*verifiedEntry).claims, true
}

// put keeps the claims of a token just verified; they must not be shared
// with anything handed out.
func (c *verifiedCache) put(k [sha256.Size]byte, claims tokenClaims) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.byKey[k]; ok {
		c.order.MoveToFront(e)
		return
	}
	c.byKey[k] = c.order.PushFront(&verifiedEntry{key: k, claims: claims})
	for c.order.Len() > c.max {
		oldest := c.order.Back()
		c.order.Remove(oldest)
		delete(c.byKey, oldest.Value.(*verifiedEntry).key)
	}
}

// drop forgets a token, once it has expired.
func (c *verifiedCache) drop(k [sha256.Size]byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.byKey[k]; ok {
		c.order.Remove(e)
		delete(c.byKey, k)
	}
}

// TokenCacheStats count the verified-token cache's use since the start.
type TokenCacheStats struct {
	Hits   uint64 // tokens found, whether or not still within their lifetime
	Misses uint64 // tokens verified in full, genuine or not
	Size   int    // tokens held now
}

// CacheStats reports the verified-token cache's counters, for metrics.
func (t *Tokens) CacheStats() TokenCacheStats {
	return TokenCacheStats{Hits: t.verified.hits.Load(), Misses: t.verified.misses.Load(), Size: t.verified.len()}
}

func (c *verifiedCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}

// copyClaims deep-copies an identity's claims as JSON decoding makes them
// (maps, slices and immutable scalars), so no caller can change what the
// cache holds.
func copyClaims(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = copyJSON(v)
	}
	return out
}

func copyJSON(v any) any {
	switch v := v.(type) {
	case map[string]any:
		return copyClaims(v)
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = copyJSON(e)
		}
		return out
	case []string:
		return append([]string(nil), v...)
	default:
		return v
	}
}
