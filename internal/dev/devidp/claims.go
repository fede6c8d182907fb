package devidp

import (
	"crypto/sha256"
	"encoding/base64"
	"slices"
	"time"
)

// userClaims returns the claims each scope releases, as OpenID Connect Core
// §5.4 and Dex do: profile → name and preferred_username, email → email and
// email_verified, groups → groups. Gating by scope, rather than always
// sending everything, makes the dev stack catch a relying party that forgot
// to ask for a scope a real provider would insist on. User.Extra is always
// merged last, the way providers add their own claims (cognito:groups,
// realm_access) regardless of scope.
func userClaims(u User, scopes []string) map[string]any {
	c := map[string]any{"sub": u.Subject}
	if slices.Contains(scopes, "profile") {
		c["preferred_username"] = u.Username
		if u.Name != "" {
			c["name"] = u.Name
		}
	}
	if slices.Contains(scopes, "email") && u.Email != "" {
		c["email"] = u.Email
		c["email_verified"] = true
	}
	// Like Dex, an empty group list is left out rather than sent as [].
	if slices.Contains(scopes, "groups") && len(u.Groups) > 0 {
		c["groups"] = u.Groups
	}
	for k, v := range u.Extra {
		c[k] = v
	}
	c["sub"] = u.Subject // validate keeps sub out of Extra; this makes it certain
	return c
}

// idTokenClaims adds the protocol claims of OpenID Connect Core §2 to the
// user's claims.
func (p *Provider) idTokenClaims(ac *authCode, accessToken string, now time.Time) map[string]any {
	c := userClaims(p.users[ac.username], ac.scopes)
	c["iss"] = p.issuer
	c["aud"] = ac.clientID
	c["azp"] = ac.clientID
	c["iat"] = now.Unix()
	c["exp"] = now.Add(p.tokenTTL).Unix()
	c["auth_time"] = ac.authTime.Unix()
	if ac.nonce != "" {
		c["nonce"] = ac.nonce
	}
	c["at_hash"] = atHash(accessToken)
	return c
}

// atHash binds the access token to the ID token (OpenID Connect Core
// §3.1.3.6): the left half of its SHA-256, base64url-encoded, for RS256.
func atHash(accessToken string) string {
	sum := sha256.Sum256([]byte(accessToken))
	return base64.RawURLEncoding.EncodeToString(sum[:len(sum)/2])
}
