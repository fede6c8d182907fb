package auth

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/secds/secds/abac"
)

// TokenKeySize is the length of a token signing key: an Ed25519 seed.
const TokenKeySize = ed25519.SeedSize

// TokenType is the JWS "typ" header of broker tokens. Checking it keeps any
// other JWT signed with the same key (should one ever exist) from passing as
// a CLI token (RFC 8725 §3.11).
const TokenType = "secds-cli+jwt"

// maxTokenLen bounds the work spent on a presented token before any
// cryptography; a genuine token with many groups is a few kilobytes.
const maxTokenLen = 16 << 10

// The algorithm is pinned: the parser refuses every other "alg", so neither
// "none" nor HS256 keyed with a public key can be slipped in.
var tokenAlgs = []jose.SignatureAlgorithm{jose.EdDSA}

var (
	// ErrTokenInvalid means a broker token is malformed, tampered with,
	// signed by a key the broker does not hold, or made for another broker.
	ErrTokenInvalid = errors.New("broker token is not valid")
	// ErrTokenExpired means a genuine broker token is past its lifetime.
	ErrTokenExpired = errors.New("broker token has expired")
)

// TokenConfig configures broker-issued CLI tokens.
type TokenConfig struct {
	Issuer   string        // the broker's public URL
	Audience string        // default Issuer: a token from one deployment is refused by another
	Keys     [][]byte      // Ed25519 seeds (TokenKeySize bytes); the first signs, all verify
	TTL      time.Duration // how long a token lasts; required
	Leeway   time.Duration // clock skew allowed between replicas; 0: none
	Codec    *Codec        // seals the one-time login codes; required
	// Spent records redeemed login codes; default: this process's memory,
	// which makes a code single-use per replica only. A shared record
	// (internal/dynamostore.Codes) makes it single-use everywhere.
	Spent SpentCodes
	// Pending keeps what short user codes stand for (paste mode); default:
	// this process's memory, so a user code works on the replica that
	// showed it only. internal/dynamostore.PendingCodes shares them.
	Pending PendingCodes
	Now     func() time.Time
}

// SpentCodes records redeemed CLI login codes.
type SpentCodes interface {
	// Spend records code id as used until it would have expired, and
	// reports whether it was fresh. Of two concurrent spends of one id,
	// at most one is fresh.
	Spend(ctx context.Context, id string, until time.Time) (bool, error)
}

// Tokens issues and verifies the broker's CLI tokens and the one-time codes a
// CLI login trades for one. Tokens are JWS (EdDSA) with the signing key's
// RFC 7638 thumbprint as kid, so keys rotate like cookie keys: put the new
// one first and drop the old one after the token lifetime.
type Tokens struct {
	cfg     TokenConfig
	signer  jose.Signer
	kid     string
	public  map[string]ed25519.PublicKey
	now     func() time.Time
	codeTTL time.Duration

	spent   SpentCodes
	pending PendingCodes

	verified *verifiedCache
}

// NewTokens returns a Tokens for cfg.
func NewTokens(cfg TokenConfig) (*Tokens, error) {
	if cfg.Issuer == "" {
		return nil, errors.New("tokens: the issuer (broker URL) is required")
	}
	if cfg.Codec == nil {
		return nil, errors.New("tokens: a codec for login codes is required")
	}
	if len(cfg.Keys) == 0 {
		return nil, errors.New("tokens: no signing keys: at least one 32-byte key is needed")
	}
	if cfg.Audience == "" {
		cfg.Audience = cfg.Issuer
	}
	if cfg.TTL <= 0 {
		return nil, fmt.Errorf("tokens: the token lifetime %s must be positive", cfg.TTL)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	t := &Tokens{cfg: cfg, public: map[string]ed25519.PublicKey{}, now: cfg.Now, codeTTL: CodeTTL, spent: cfg.Spent,
		verified: newVerifiedCache(verifiedCacheSize)}
	if t.spent == nil {
		t.spent = &memorySpent{m: map[string]time.Time{}, now: cfg.Now}
	}
	t.pending = cfg.Pending
	if t.pending == nil {
		t.pending = &memoryPending{m: map[string]pendingCode{}, now: cfg.Now}
	}
	for i, seed := range cfg.Keys {
		if len(seed) != TokenKeySize {
			return nil, fmt.Errorf("tokens: key %d is %d bytes, want %d", i+1, len(seed), TokenKeySize)
		}
		priv := ed25519.NewKeyFromSeed(seed)
		pub := priv.Public().(ed25519.PublicKey)
		kid, err := KeyID(pub)
		if err != nil {
			return nil, fmt.Errorf("tokens: key %d: %w", i+1, err)
		}
		t.public[kid] = pub
		if i == 0 {
			t.kid = kid
			opts := (&jose.SignerOptions{}).WithType(TokenType)
			if t.signer, err = jose.NewSigner(jose.SigningKey{Algorithm: jose.EdDSA, Key: jose.JSONWebKey{Key: priv, KeyID: kid}}, opts); err != nil {
				return nil, fmt.Errorf("tokens: signer: %w", err)
			}
		}
	}
	return t, nil
}

// KeyID is the kid of a public key: its RFC 7638 JWK thumbprint (SHA-256,
// base64url), so a kid names the key and cannot be chosen.
func KeyID(pub crypto.PublicKey) (string, error) {
	tp, err := (&jose.JSONWebKey{Key: pub}).Thumbprint(crypto.SHA256)
	if err != nil {
		return "", fmt.Errorf("key thumbprint: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(tp), nil
}

// TTL is how long new tokens live.
func (t *Tokens) TTL() time.Duration { return t.cfg.TTL }

// tokenClaims is a token's payload: the registered claims plus the identity
// the mapping evaluates at every open.
type tokenClaims struct {
	jwt.Claims
	Username string         `json:"username"`
	Email    string         `json:"email,omitempty"`
	Groups   []string       `json:"groups,omitempty"`
	IDClaims map[string]any `json:"claims,omitempty"`
	Kept     string         `json:"kept,omitempty"` // abac.Identity.Kept: which mapping references the identity was cut down to
}

// Token is an issued broker token.
type Token struct {
	Raw       string    // the bearer secret: never log it
	ID        string    // jti, for the audit trail; not a secret
	ExpiresAt time.Time // whole seconds, as in the token
}

// Verified is what a genuine token says.
type Verified struct {
	Identity  abac.Identity
	ID        string // jti, for the audit trail
	IssuedAt  time.Time
	ExpiresAt time.Time
}

// Issue signs a token for id.
func (t *Tokens) Issue(id abac.Identity) (Token, error) {
	if id.Subject == "" || id.Username == "" {
		return Token{}, errors.New("issue token: the identity has no subject or username")
	}
	now := t.now().Truncate(time.Second)
	exp := now.Add(t.cfg.TTL)
	c := tokenClaims{
		Claims: jwt.Claims{
			Issuer:    t.cfg.Issuer,
			Audience:  jwt.Audience{t.cfg.Audience},
			Subject:   id.Subject,
			IssuedAt:  jwt.NewNumericDate(now),
			NotBefore: jwt.NewNumericDate(now),
			Expiry:    jwt.NewNumericDate(exp),
			ID:        randomString()[:22],
		},
		Username: id.Username, Email: id.Email, Groups: id.Groups, IDClaims: id.Claims, Kept: id.Kept,
	}
	raw, err := jwt.Signed(t.signer).Claims(c).Serialize()
	if err != nil {
		return Token{}, fmt.Errorf("sign token: %w", err)
	}
	return Token{Raw: raw, ID: c.ID, ExpiresAt: exp}, nil
}

// Verify checks a presented token: algorithm (pinned), type, key (by kid,
// among the configured ones), signature, issuer, audience, and lifetime. It
// returns ErrTokenExpired or ErrTokenInvalid, wrapped with the reason for
// logs; the reason never quotes the token. A token verified before is found
// in a cache by its SHA-256 and skips the signature, never the lifetime.
func (t *Tokens) Verify(raw string) (Verified, error) {
	if len(raw) > maxTokenLen || strings.Count(raw, ".") != 2 {
		return invalidToken("not a compact JWS")
	}
	k := tokenKey(raw)
	if c, ok := t.verified.get(k); ok {
		v, err := t.accept(c)
		if errors.Is(err, ErrTokenExpired) {
			t.verified.drop(k)
		}
		return v, err
	}
	tok, err := jwt.ParseSigned(raw, tokenAlgs)
	if err != nil {
		return invalidToken("unparsable or wrong algorithm")
	}
	if len(tok.Headers) != 1 {
		return invalidToken("not exactly one signature")
	}
	h := tok.Headers[0]
	if typ, _ := h.ExtraHeaders[jose.HeaderType].(string); typ != TokenType {
		return invalidToken("wrong typ header")
	}
	pub, ok := t.public[h.KeyID]
	if !ok {
		return invalidToken("signed by an unknown key")
	}
	var c tokenClaims
	if err := tok.Claims(pub, &c); err != nil {
		return invalidToken("bad signature or payload")
	}
	v, err := t.accept(c)
	if err == nil {
		// accept copied what v holds: c is the cache's alone.
		t.verified.put(k, c)
	}
	return v, err
}

func invalidToken(why string) (Verified, error) {
	return Verified{}, fmt.Errorf("%w: %s", ErrTokenInvalid, why)
}

// accept checks the claims of a genuine token against this broker and the
// time now, and returns what they say as a copy that shares nothing with c.
func (t *Tokens) accept(c tokenClaims) (Verified, error) {
	err := c.Claims.ValidateWithLeeway(jwt.Expected{Issuer: t.cfg.Issuer, AnyAudience: jwt.Audience{t.cfg.Audience}, Time: t.now()}, t.cfg.Leeway)
	switch {
	case errors.Is(err, jwt.ErrExpired):
		return Verified{}, ErrTokenExpired
	case err != nil:
		return invalidToken(strings.TrimPrefix(err.Error(), "go-jose/go-jose/jwt: "))
	case c.Expiry == nil || c.IssuedAt == nil:
		return invalidToken("no exp or iat")
	case c.Subject == "" || c.Username == "" || c.ID == "":
		return invalidToken("no sub, username or jti")
	}
	claims := copyClaims(c.IDClaims)
	if claims == nil {
		claims = map[string]any{}
	}
	var groups []string
	if c.Groups != nil {
		groups = append(make([]string, 0, len(c.Groups)), c.Groups...)
	}
	return Verified{
		Identity:  abac.Identity{Subject: c.Subject, Username: c.Username, Email: c.Email, Groups: groups, Claims: claims, Kept: c.Kept},
		ID:        c.ID,
		IssuedAt:  c.IssuedAt.Time(),
		ExpiresAt: c.Expiry.Time(),
	}, nil
}
