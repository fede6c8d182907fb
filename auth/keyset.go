package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// asymmetricAlgs are the only signature algorithms an ID token may use. HS*
// would let anyone holding the public key forge tokens, and none is no
// signature at all.
var asymmetricAlgs = []jose.SignatureAlgorithm{
	jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.PS384, jose.PS512,
	jose.ES256, jose.ES384, jose.ES512, jose.EdDSA,
}

// errBadSignature is what a forged or unverifiable token gets; it says
// nothing about which check failed.
var errBadSignature = errors.New("ID token signature does not verify")

// keySet verifies ID-token signatures against the provider's JWKS. Unlike
// go-oidc's remote key set, which downloads the JWKS again after every
// failed signature, it refreshes only when the token may be signed with a key
// it has not seen: a key ID it does not know (a key the provider has just
// rotated in), or no key ID at all (providers with one key often leave it
// out, and then a rotation shows only as a failed signature). Refreshes
// happen at most once per minInterval for all requests together. A bad
// signature under a known key ID is a forgery and costs the provider nothing;
// a flood of made-up or missing key IDs costs it one fetch per interval.
type keySet struct {
	url         string
	client      *http.Client
	now         func() time.Time
	minInterval time.Duration

	mu        sync.Mutex // held during a fetch, so concurrent misses share it
	keys      []jose.JSONWebKey
	lastFetch time.Time
	fetches   atomic.Int64
}

func newKeySet(url string, client *http.Client, now func() time.Time) *keySet {
	return &keySet{url: url, client: client, now: now, minInterval: 5 * time.Second}
}

// VerifySignature implements oidc.KeySet.
func (k *keySet) VerifySignature(ctx context.Context, raw string) ([]byte, error) {
	// An ID token is a compact JWS (OpenID Connect Core §2); the JSON
	// serialisations have no place here.
	jws, err := jose.ParseSignedCompact(raw, asymmetricAlgs)
	if err != nil {
		return nil, fmt.Errorf("parse ID token: %w", err)
	}
	if len(jws.Signatures) != 1 {
		return nil, errBadSignature
	}
	k.mu.Lock()
	keys := k.keys
	k.mu.Unlock()
	if payload, ok := verifyWith(jws, keys); ok {
		return payload, nil
	}
	if kid := jws.Signatures[0].Header.KeyID; kid != "" && knownKey(keys, kid) {
		return nil, errBadSignature
	}
	keys, refreshed := k.refresh(ctx)
	if !refreshed {
		return nil, errBadSignature
	}
	if payload, ok := verifyWith(jws, keys); ok {
		return payload, nil
	}
	return nil, errBadSignature
}

// knownKey reports whether a key with this ID is in the set.
func knownKey(keys []jose.JSONWebKey, kid string) bool {
	for _, key := range keys {
		if key.KeyID == kid {
			return true
		}
	}
	return false
}

func verifyWith(jws *jose.JSONWebSignature, keys []jose.JSONWebKey) ([]byte, bool) {
	sig := jws.Signatures[0]
	for _, key := range keys {
		if sig.Header.KeyID != "" && key.KeyID != sig.Header.KeyID {
			continue
		}
		if key.Use != "" && key.Use != "sig" || !key.IsPublic() {
			continue
		}
		// A key that names its algorithm is used only with that one.
		if key.Algorithm != "" && key.Algorithm != sig.Header.Algorithm {
			continue
		}
		if payload, err := jws.Verify(key); err == nil {
			return payload, true
		}
	}
	return nil, false
}

// refresh fetches the JWKS unless that was done less than minInterval ago.
// It reports whether the keys are fresh from this call or one that ran
// while it waited.
func (k *keySet) refresh(ctx context.Context) ([]jose.JSONWebKey, bool) {
	asked := k.now()
	k.mu.Lock()
	defer k.mu.Unlock()
	if !k.lastFetch.IsZero() && k.lastFetch.After(asked) {
		return k.keys, true // another request fetched while this one waited
	}
	if !k.lastFetch.IsZero() && asked.Sub(k.lastFetch) < k.minInterval {
		return k.keys, false
	}
	k.lastFetch = k.now()
	keys, err := k.fetch(ctx)
	if err != nil {
		// Keep serving with the keys we had: a JWKS outage must not sign
		// everyone out.
		return k.keys, false
	}
	k.keys = keys
	return keys, true
}

func (k *keySet) fetch(ctx context.Context) ([]jose.JSONWebKey, error) {
	k.fetches.Add(1)
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, k.url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := k.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch JWKS: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetch JWKS: status %d", resp.StatusCode)
	}
	var set jose.JSONWebKeySet
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&set); err != nil {
		return nil, fmt.Errorf("decode JWKS: %w", err)
	}
	keys := slices.DeleteFunc(set.Keys, func(key jose.JSONWebKey) bool { return !key.IsPublic() || !key.Valid() })
	return keys, nil
}
