package devidp

import (
	"crypto/rand"
	"encoding/base64"
	"time"
)

// authRequest is a validated authorization request waiting for the visitor
// to pick a user on the login page.
type authRequest struct {
	clientID    string
	redirectURI string
	scopes      []string
	state       string
	nonce       string
	challenge   string // PKCE S256 code_challenge
	expiry      time.Time
}

// authCode is an issued authorization code and everything the token
// endpoint must check it against.
type authCode struct {
	authRequest
	username string
	authTime time.Time
	// redeemed codes stay until expiry so a replay is recognised and the
	// access token issued for the first redemption revoked (RFC 6749 §4.1.2).
	redeemed    bool
	accessToken string
}

// accessToken is an opaque bearer token accepted by the userinfo endpoint.
type accessToken struct {
	username string
	clientID string
	scopes   []string
	expiry   time.Time
}

// randomToken returns 256 random bits, base64url-encoded: used for request
// ids, codes and access tokens, which must all be unguessable.
func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails since Go 1.24
	return base64.RawURLEncoding.EncodeToString(b)
}

// sweepLocked drops expired state so a long-running dev broker does not grow
// without bound. The caller holds p.mu.
func (p *Provider) sweepLocked(now time.Time) {
	for k, r := range p.requests {
		if now.After(r.expiry) {
			delete(p.requests, k)
		}
	}
	for k, c := range p.codes {
		if now.After(c.expiry) {
			delete(p.codes, k)
		}
	}
	for k, t := range p.tokens {
		if now.After(t.expiry) {
			delete(p.tokens, k)
		}
	}
}
