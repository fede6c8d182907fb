package auth_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/secds/secds/abac"
	"github.com/secds/secds/auth"
	"github.com/secds/secds/internal/api"
	"github.com/secds/secds/internal/testutil"
)

const testIssuer = "https://notebooks.example"

var alice = abac.Identity{Subject: "dev-alice", Username: "alice", Email: "alice@example.com", Groups: []string{"ds-fraud"},
	Claims: map[string]any{"department": "risk"}}

// clock is a movable time shared by the tokens and their codec.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newTokens(t testing.TB, c *clock, keys ...[]byte) *auth.Tokens {
	t.Helper()
	codec, err := auth.NewCodec([][]byte{key(9)}, c.now)
	if err != nil {
		t.Fatal(err)
	}
	tk, err := auth.NewTokens(testutil.TokenConfig(auth.TokenConfig{Issuer: testIssuer, Keys: keys, Codec: codec, Now: c.now}))
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

// signRaw signs arbitrary claims with a real key and headers of the test's
// choosing, to check that the verifier looks at more than the signature.
func signRaw(t *testing.T, alg jose.SignatureAlgorithm, k any, kid, typ string, claims any) string {
	t.Helper()
	opts := &jose.SignerOptions{}
	if typ != "" {
		opts = opts.WithType(jose.ContentType(typ))
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: jose.JSONWebKey{Key: k, KeyID: kid}}, opts)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := jwt.Signed(s).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func kidOf(t *testing.T, seed []byte) string {
	t.Helper()
	kid, err := auth.KeyID(ed25519.NewKeyFromSeed(seed).Public())
	if err != nil {
		t.Fatal(err)
	}
	return kid
}

func goodClaims(c *clock) map[string]any {
	return map[string]any{"iss": testIssuer, "aud": testIssuer, "sub": "dev-alice", "username": "alice",
		"iat": c.t.Unix(), "exp": c.t.Add(time.Hour).Unix(), "jti": "j1"}
}

func TestTokenRoundTrip(t *testing.T) {
	c := &clock{time.Unix(1_800_000_000, 0)}
	tk := newTokens(t, c, key(1))
	tok, err := tk.Issue(alice)
	if err != nil {
		t.Fatal(err)
	}
	if !tok.ExpiresAt.Equal(c.t.Add(12 * time.Hour)) {
		t.Errorf("expires at %v, want 12h from now", tok.ExpiresAt)
	}
	header, _ := base64.RawURLEncoding.DecodeString(strings.Split(tok.Raw, ".")[0])
	var h map[string]string
	if err := json.Unmarshal(header, &h); err != nil {
		t.Fatal(err)
	}
	if h["alg"] != "EdDSA" || h["typ"] != auth.TokenType || h["kid"] != kidOf(t, key(1)) {
		t.Errorf("header = %v", h)
	}
	v, err := tk.Verify(tok.Raw)
	if err != nil {
		t.Fatal(err)
	}
	if v.Identity.Subject != "dev-alice" || v.Identity.Username != "alice" || v.Identity.Email != "alice@example.com" ||
		strings.Join(v.Identity.Groups, ",") != "ds-fraud" || v.Identity.Claims["department"] != "risk" || v.ID == "" {
		t.Errorf("verified = %+v", v)
	}
	if _, err := tk.Issue(abac.Identity{Username: "nosub"}); err == nil {
		t.Error("issued a token for an identity without a subject")
	}
}

func TestTokenRefusals(t *testing.T) {
	c := &clock{time.Unix(1_800_000_000, 0)}
	tk := newTokens(t, c, key(1))
	good, _ := tk.Issue(alice)
	parts := strings.Split(good.Raw, ".")
	seed := key(1)
	priv := ed25519.NewKeyFromSeed(seed)
	kid := kidOf(t, seed)
	_, attacker, _ := ed25519.GenerateKey(rand.Reader)
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	b64 := base64.RawURLEncoding.EncodeToString

	flip := func(s string, i int) string {
		b := []byte(s)
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		return string(b)
	}
	noneHeader := b64([]byte(`{"alg":"none","typ":"` + auth.TokenType + `","kid":"` + kid + `"}`))

	tests := []struct {
		name string
		raw  string
	}{
		{"empty", ""},
		{"garbage", "not.a.token"},
		{"payload tampered", parts[0] + "." + flip(parts[1], 10) + "." + parts[2]},
		{"signature tampered", parts[0] + "." + parts[1] + "." + flip(parts[2], 5)},
		{"signature cut", parts[0] + "." + parts[1] + "."},
		{"payload swapped for another user's", parts[0] + "." + b64([]byte(`{"iss":"`+testIssuer+`","aud":"`+testIssuer+`","sub":"dev-bob","username":"bob","iat":1800000000,"exp":1900000000,"jti":"x"}`)) + "." + parts[2]},
		{"alg none", noneHeader + "." + parts[1] + "."},
		{"alg none with the old signature", noneHeader + "." + parts[1] + "." + parts[2]},
		{"HS256 keyed with the public key", signRaw(t, jose.HS256, []byte(priv.Public().(ed25519.PublicKey)), kid, auth.TokenType, goodClaims(c))},
		{"ES256 under our kid", signRaw(t, jose.ES256, ecKey, kid, auth.TokenType, goodClaims(c))},
		{"another Ed25519 key under our kid", signRaw(t, jose.EdDSA, attacker, kid, auth.TokenType, goodClaims(c))},
		{"unknown kid", signRaw(t, jose.EdDSA, ed25519.NewKeyFromSeed(key(2)), kidOf(t, key(2)), auth.TokenType, goodClaims(c))},
		{"no kid", signRaw(t, jose.EdDSA, priv, "", auth.TokenType, goodClaims(c))},
		{"wrong typ (some other JWT from our key)", signRaw(t, jose.EdDSA, priv, kid, "JWT", goodClaims(c))},
		{"no typ", signRaw(t, jose.EdDSA, priv, kid, "", goodClaims(c))},
		{"no exp", signRaw(t, jose.EdDSA, priv, kid, auth.TokenType, without(goodClaims(c), "exp"))},
		{"no iat", signRaw(t, jose.EdDSA, priv, kid, auth.TokenType, without(goodClaims(c), "iat"))},
		{"no username", signRaw(t, jose.EdDSA, priv, kid, auth.TokenType, without(goodClaims(c), "username"))},
		{"no sub", signRaw(t, jose.EdDSA, priv, kid, auth.TokenType, without(goodClaims(c), "sub"))},
		{"no jti", signRaw(t, jose.EdDSA, priv, kid, auth.TokenType, without(goodClaims(c), "jti"))},
		{"wrong issuer", signRaw(t, jose.EdDSA, priv, kid, auth.TokenType, with(goodClaims(c), "iss", "https://staging.example"))},
		{"wrong audience", signRaw(t, jose.EdDSA, priv, kid, auth.TokenType, with(goodClaims(c), "aud", "https://staging.example"))},
		{"not valid yet", signRaw(t, jose.EdDSA, priv, kid, auth.TokenType, with(goodClaims(c), "nbf", c.t.Add(time.Hour).Unix()))},
		{"issued in the future", signRaw(t, jose.EdDSA, priv, kid, auth.TokenType, with(goodClaims(c), "iat", c.t.Add(time.Hour).Unix()))},
		{"huge", strings.Repeat("a", 20000) + "." + parts[1] + "." + parts[2]},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, err := tk.Verify(tc.raw)
			if !errors.Is(err, auth.ErrTokenInvalid) {
				t.Fatalf("Verify = %+v, %v; want ErrTokenInvalid", v, err)
			}
			if strings.Contains(err.Error(), parts[2]) {
				t.Error("the error quotes the token")
			}
		})
	}
	// The control: the same helper with the right inputs makes a good token,
	// so each refusal above is for the one thing changed.
	if _, err := tk.Verify(signRaw(t, jose.EdDSA, priv, kid, auth.TokenType, goodClaims(c))); err != nil {
		t.Fatalf("control token refused: %v", err)
	}
}

func with(m map[string]any, k string, v any) map[string]any { m[k] = v; return m }
func without(m map[string]any, k string) map[string]any     { delete(m, k); return m }

func TestTokenExpiry(t *testing.T) {
	c := &clock{time.Unix(1_800_000_000, 0)}
	tk := newTokens(t, c, key(1))
	tok, _ := tk.Issue(alice)
	c.t = c.t.Add(12 * time.Hour) // the leeway tolerates a replica's clock a little behind
	if _, err := tk.Verify(tok.Raw); err != nil {
		t.Fatalf("at expiry, within the leeway: %v", err)
	}
	c.t = c.t.Add(31 * time.Second)
	if _, err := tk.Verify(tok.Raw); !errors.Is(err, auth.ErrTokenExpired) {
		t.Fatalf("after expiry: %v, want ErrTokenExpired", err)
	}
}

func TestTokenKeyRotation(t *testing.T) {
	c := &clock{time.Unix(1_800_000_000, 0)}
	old := newTokens(t, c, key(1))
	rotated := newTokens(t, c, key(2), key(1))
	dropped := newTokens(t, c, key(2))

	oldTok, _ := old.Issue(alice)
	if _, err := rotated.Verify(oldTok.Raw); err != nil {
		t.Errorf("a retired key still in the list must verify: %v", err)
	}
	if _, err := dropped.Verify(oldTok.Raw); !errors.Is(err, auth.ErrTokenInvalid) {
		t.Errorf("after dropping the key: %v, want ErrTokenInvalid", err)
	}
	newTok, _ := rotated.Issue(alice)
	if _, err := old.Verify(newTok.Raw); !errors.Is(err, auth.ErrTokenInvalid) {
		t.Errorf("the first key must sign new tokens: %v", err)
	}
	if _, err := dropped.Verify(newTok.Raw); err != nil {
		t.Errorf("new token under the new key alone: %v", err)
	}
}

func TestNewTokensRejectsBadConfig(t *testing.T) {
	codec, _ := auth.NewCodec([][]byte{key(9)}, nil)
	for name, cfg := range map[string]auth.TokenConfig{
		"no keys":     {Issuer: testIssuer, Codec: codec},
		"short key":   {Issuer: testIssuer, Codec: codec, Keys: [][]byte{key(1), key(2)[:16]}},
		"no issuer":   {Codec: codec, Keys: [][]byte{key(1)}},
		"no codec":    {Issuer: testIssuer, Keys: [][]byte{key(1)}},
		"no lifetime": {Issuer: testIssuer, Codec: codec, Keys: [][]byte{key(1)}},
	} {
		if _, err := auth.NewTokens(cfg); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestLoginCodes(t *testing.T) {
	const redirect = "http://127.0.0.1:4711/callback"
	verifier := strings.Repeat("v", 43)
	challenge := auth.S256Challenge(verifier)
	if !auth.ValidChallenge(challenge) || auth.ValidChallenge("short") || auth.ValidChallenge(strings.Repeat("*", 43)) {
		t.Fatal("ValidChallenge")
	}
	codeErr := func(err error) string {
		var ae *api.Error
		if errors.As(err, &ae) {
			return string(ae.Code)
		}
		return "not an api.Error: " + errString(err)
	}

	t.Run("redeemed once", func(t *testing.T) {
		c := &clock{time.Unix(1_800_000_000, 0)}
		tk := newTokens(t, c, key(1))
		code, err := tk.NewCode(alice, challenge, redirect)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(code, "alice") {
			t.Error("the code shows the identity")
		}
		tok, id, err := tk.Redeem(context.Background(), code, verifier, redirect)
		if err != nil || id.Username != "alice" {
			t.Fatalf("Redeem = %v, %v", id, err)
		}
		if v, err := tk.Verify(tok.Raw); err != nil || v.Identity.Username != "alice" {
			t.Fatalf("the token from a code: %+v, %v", v, err)
		}
		if _, _, err := tk.Redeem(context.Background(), code, verifier, redirect); codeErr(err) != "code_used" {
			t.Errorf("replay: %v, want code_used", err)
		}
	})
	tests := []struct {
		name     string
		redeem   func(tk *auth.Tokens, c *clock, code string) error
		wantCode string
	}{
		{"wrong verifier, then the right one", func(tk *auth.Tokens, _ *clock, code string) error {
			if _, _, err := tk.Redeem(context.Background(), code, strings.Repeat("w", 43), redirect); codeErr(err) != "verifier_mismatch" {
				return err
			}
			_, _, err := tk.Redeem(context.Background(), code, verifier, redirect) // burnt by the failed try
			return err
		}, "code_used"},
		{"verifier of bad syntax", func(tk *auth.Tokens, _ *clock, code string) error {
			_, _, err := tk.Redeem(context.Background(), code, "", redirect)
			return err
		}, "verifier_mismatch"},
		{"other redirect", func(tk *auth.Tokens, _ *clock, code string) error {
			_, _, err := tk.Redeem(context.Background(), code, verifier, "http://127.0.0.1:4712/callback")
			return err
		}, "redirect_mismatch"},
		{"after 61 seconds", func(tk *auth.Tokens, c *clock, code string) error {
			c.t = c.t.Add(61 * time.Second)
			_, _, err := tk.Redeem(context.Background(), code, verifier, redirect)
			return err
		}, "code_invalid"},
		{"tampered", func(tk *auth.Tokens, _ *clock, code string) error {
			_, _, err := tk.Redeem(context.Background(), code[:len(code)-3]+"AAA", verifier, redirect)
			return err
		}, "code_invalid"},
		{"a session cookie is not a code", func(tk *auth.Tokens, c *clock, _ string) error {
			codec, _ := auth.NewCodec([][]byte{key(9)}, c.now)
			sealed, _ := codec.Seal("session", alice, time.Hour)
			_, _, err := tk.Redeem(context.Background(), sealed, verifier, redirect)
			return err
		}, "code_invalid"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := &clock{time.Unix(1_800_000_000, 0)}
			tk := newTokens(t, c, key(1))
			code, err := tk.NewCode(alice, challenge, redirect)
			if err != nil {
				t.Fatal(err)
			}
			if got := codeErr(tc.redeem(tk, c, code)); got != tc.wantCode {
				t.Fatalf("got %s, want %s", got, tc.wantCode)
			}
		})
	}

	t.Run("an identity too large for a code is refused, never trimmed", func(t *testing.T) {
		c := &clock{time.Unix(1_800_000_000, 0)}
		tk := newTokens(t, c, key(1))
		big := alice
		big.Claims = map[string]any{"employment": "terminated", "blob": string(bytes.Repeat([]byte("x"), 4000))}
		code, err := tk.NewCode(big, challenge, "")
		if got := codeErr(err); got != "identity_too_large" || code != "" {
			t.Fatalf("NewCode = %d bytes, %s; want identity_too_large", len(code), got)
		}
	})
}

func errString(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}
