package auth_test

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/secds/secds/abac"
	"github.com/secds/secds/auth"
	"github.com/secds/secds/internal/config"
)

// TestVerifyCachesSuccessesOnly: a genuine token is remembered once, however
// often it is presented; refused tokens never take a place, so filling the
// cache takes genuine tokens.
func TestVerifyCachesSuccessesOnly(t *testing.T) {
	c := &clock{time.Unix(1_800_000_000, 0)}
	tk := newTokens(t, c, key(1))
	tok, _ := tk.Issue(alice)
	for range 3 {
		if _, err := tk.Verify(tok.Raw); err != nil {
			t.Fatal(err)
		}
	}
	if s := tk.CacheStats(); s != (auth.TokenCacheStats{Hits: 2, Misses: 1, Size: 1}) {
		t.Fatalf("after one token three times: %+v, want 2 hits, 1 miss, 1 held", s)
	}
	stranger := newTokens(t, c, key(2))
	foreign, _ := stranger.Issue(alice)
	priv := ed25519.NewKeyFromSeed(key(1))
	refused := []string{
		foreign.Raw,
		tok.Raw[:len(tok.Raw)-4] + "AAAA",
		signRaw(t, jose.EdDSA, priv, kidOf(t, key(1)), "JWT", goodClaims(c)),
		signRaw(t, jose.EdDSA, priv, kidOf(t, key(1)), auth.TokenType, with(goodClaims(c), "iss", "https://other.example")),
		signRaw(t, jose.EdDSA, priv, kidOf(t, key(1)), auth.TokenType, with(goodClaims(c), "exp", c.t.Add(-time.Hour).Unix())),
	}
	for i, raw := range refused {
		for range 2 {
			if _, err := tk.Verify(raw); err == nil {
				t.Fatalf("refused token %d was accepted", i)
			}
		}
	}
	if s := tk.CacheStats(); s.Size != 1 || s.Hits != 2 || s.Misses != 1+uint64(2*len(refused)) {
		t.Errorf("after refusals: %+v, want 1 held (a failure took a place?), 2 hits, %d misses", s, 1+2*len(refused))
	}
}

// TestVerifyCachedLifetime: a cached token is judged on its lifetime at
// every call exactly as a fresh verification judges it, leeway included,
// whichever way the clock moves; once expired it leaves the cache.
func TestVerifyCachedLifetime(t *testing.T) {
	start := time.Unix(1_800_000_000, 0)
	leeway := config.TokenLeeway
	ttl := config.DefaultTokenTTL
	for _, tc := range []struct {
		name string
		at   time.Duration // from issue
	}{
		{"at issue", 0},
		{"just before expiry", ttl - time.Second},
		{"at expiry", ttl},
		{"at the end of the leeway", ttl + leeway},
		{"past the leeway", ttl + leeway + time.Second},
		{"a day later", 24 * time.Hour},
		{"clock back within the leeway", -leeway},
		{"clock back past the leeway", -leeway - time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &clock{start}
			cached := newTokens(t, c, key(1))
			tok, _ := cached.Issue(alice)
			if _, err := cached.Verify(tok.Raw); err != nil {
				t.Fatal(err)
			}
			c.t = start.Add(tc.at)
			fresh := newTokens(t, c, key(1))
			wantV, wantErr := fresh.Verify(tok.Raw)
			gotV, gotErr := cached.Verify(tok.Raw)
			if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) || !reflect.DeepEqual(gotV, wantV) {
				t.Fatalf("cached: %+v, %v; fresh: %+v, %v", gotV, gotErr, wantV, wantErr)
			}
			if errors.Is(wantErr, auth.ErrTokenExpired) && auth.VerifiedCachedHas(cached, tok.Raw) {
				t.Error("an expired token stays cached")
			}
		})
	}
}

// TestVerifyCachedCopies: what Verify returns is the caller's to change; the
// next call still sees the token's own claims.
func TestVerifyCachedCopies(t *testing.T) {
	c := &clock{time.Unix(1_800_000_000, 0)}
	tk := newTokens(t, c, key(1))
	id := abac.Identity{Subject: "dev-alice", Username: "alice", Groups: []string{"ds-fraud", "ds-risk"},
		Claims: map[string]any{"department": "risk", "org": map[string]any{"units": []any{"u1", "u2"}}}}
	tok, _ := tk.Issue(id)
	first, err := tk.Verify(tok.Raw)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := newTokens(t, c, key(1)).Verify(tok.Raw)
	for range 2 {
		v, err := tk.Verify(tok.Raw)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(v, want) {
			t.Fatalf("cached verification says %+v, want %+v", v, want)
		}
		v.Identity.Groups[0] = "admins"
		v.Identity.Claims["department"] = "root"
		v.Identity.Claims["org"].(map[string]any)["units"].([]any)[0] = "all"
		v.Identity.Claims["new"] = true
	}
	first.Identity.Groups[1] = "admins"
	if v, _ := tk.Verify(tok.Raw); !reflect.DeepEqual(v, want) {
		t.Errorf("a caller's change reached the cache: %+v", v.Identity)
	}
}

// TestVerifyCacheBounded: the cache keeps at most its size, dropping the
// token used least recently; a dropped token still verifies (afresh).
func TestVerifyCacheBounded(t *testing.T) {
	c := &clock{time.Unix(1_800_000_000, 0)}
	tk := newTokens(t, c, key(1))
	auth.SetVerifiedCacheSize(tk, 3)
	var toks []string
	for range 4 {
		tok, _ := tk.Issue(alice)
		toks = append(toks, tok.Raw)
	}
	verify := func(raw string) {
		t.Helper()
		if _, err := tk.Verify(raw); err != nil {
			t.Fatal(err)
		}
	}
	verify(toks[0])
	verify(toks[1])
	verify(toks[2])
	verify(toks[0]) // toks[1] is now the least recently used
	verify(toks[3])
	if n := tk.CacheStats().Size; n != 3 {
		t.Fatalf("%d cached, want the bound 3", n)
	}
	for i, want := range []bool{true, false, true, true} {
		if got := auth.VerifiedCachedHas(tk, toks[i]); got != want {
			t.Errorf("token %d cached = %v, want %v", i, got, want)
		}
	}
	verify(toks[1])
}

// TestVerifyCacheIsPerKeySet: a token one Tokens has cached is refused by a
// Tokens whose keys no longer include its signer.
func TestVerifyCacheIsPerKeySet(t *testing.T) {
	c := &clock{time.Unix(1_800_000_000, 0)}
	old := newTokens(t, c, key(2), key(1))
	tok, _ := old.Issue(alice)
	if _, err := old.Verify(tok.Raw); err != nil || old.CacheStats().Size != 1 {
		t.Fatalf("not verified and cached: %v", err)
	}
	dropped := newTokens(t, c, key(1))
	if _, err := dropped.Verify(tok.Raw); !errors.Is(err, auth.ErrTokenInvalid) {
		t.Errorf("after dropping the signing key: %v, want ErrTokenInvalid", err)
	}
}

// TestVerifyCacheConcurrent: callers verifying one token at once, each
// changing what it got, share nothing (run with -race).
func TestVerifyCacheConcurrent(t *testing.T) {
	c := &clock{time.Unix(1_800_000_000, 0)}
	tk := newTokens(t, c, key(1))
	tok, _ := tk.Issue(alice)
	want, _ := newTokens(t, c, key(1)).Verify(tok.Raw)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 50 {
				v, err := tk.Verify(tok.Raw)
				if err != nil || !reflect.DeepEqual(v, want) {
					t.Errorf("verify = %+v, %v", v, err)
					return
				}
				v.Identity.Groups[0] = "admins"
				v.Identity.Claims["department"] = "root"
			}
		})
	}
	wg.Wait()
}
