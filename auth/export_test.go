package auth

// VerifiedCachedHas reports whether t's cache holds raw.
func VerifiedCachedHas(t *Tokens, raw string) bool {
	t.verified.mu.Lock()
	defer t.verified.mu.Unlock()
	_, ok := t.verified.byKey[tokenKey(raw)]
	return ok
}

// SetVerifiedCacheSize gives t an empty cache of n entries.
func SetVerifiedCacheSize(t *Tokens, n int) { t.verified = newVerifiedCache(n) }
