package auth

import (
	"fmt"
	"strings"

	"github.com/secds/secds/abac"
)

// ClaimPaths says where the username, email and groups are in an ID token.
// A path is a claim name ("cognito:groups") or a dotted path into nested
// objects ("realm_access.roles"); the whole name is tried first.
type ClaimPaths struct {
	Username string // default "preferred_username", falling back to email
	Email    string // default "email"
	Groups   string // default "groups"
}

func (p ClaimPaths) withDefaults() ClaimPaths {
	if p.Username == "" {
		p.Username = "preferred_username"
	}
	if p.Email == "" {
		p.Email = "email"
	}
	if p.Groups == "" {
		p.Groups = "groups"
	}
	return p
}

// Lookup finds the value at path in claims.
func Lookup(claims map[string]any, path string) (any, bool) {
	if v, ok := claims[path]; ok {
		return v, true
	}
	var cur any = claims
	for _, part := range strings.Split(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[part]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// Strings reads a claim as a list of strings: a JSON array of strings or a
// single string. Anything else is an error rather than a silent empty list.
func Strings(v any) ([]string, error) {
	switch t := v.(type) {
	case nil:
		return nil, nil
	case string:
		return []string{t}, nil
	case []string:
		return t, nil
	case []any:
		out := make([]string, 0, len(t))
		for _, e := range t {
			s, ok := e.(string)
			if !ok {
				return nil, fmt.Errorf("contains a %T, not a string", e)
			}
			out = append(out, s)
		}
		return out, nil
	}
	return nil, fmt.Errorf("is a %T, not a list of strings", v)
}

// emailVerified is true only for "email_verified": true, which speaks of the
// standard email claim. A missing claim does not count (email_domains lets
// it pass because Entra ID never sends one, but Entra ID always sends
// preferred_username), nor does the string "true" (old Cognito user pools):
// a username needs the provider's plain word, and a provider that sends
// strings still works once the username claim is named explicitly.
func emailVerified(claims map[string]any) bool {
	v, _ := claims["email_verified"].(bool)
	return v
}

// IdentityFromClaims builds the identity the mapping evaluates.
func IdentityFromClaims(claims map[string]any, paths ClaimPaths) (abac.Identity, error) {
	paths = paths.withDefaults()
	id := abac.Identity{Claims: map[string]any{}}
	id.Subject, _ = claims["sub"].(string)
	if id.Subject == "" {
		return abac.Identity{}, fmt.Errorf("the ID token has no sub claim")
	}
	if v, ok := Lookup(claims, paths.Email); ok {
		id.Email, _ = v.(string)
	}
	if v, ok := Lookup(claims, paths.Username); ok {
		id.Username, _ = v.(string)
	}
	if id.Username == "" && paths.Username == "preferred_username" {
		// An email the provider has not verified is whatever the person
		// typed into their profile: as a username it would let them name
		// themselves after someone else.
		if paths.Email != "email" || !emailVerified(claims) {
			return abac.Identity{}, fmt.Errorf("the ID token has no %q claim, and its email is not verified (email_verified is not true), so it cannot be the username; set oidc.username_claim to a claim the identity provider controls", paths.Username)
		}
		id.Username = id.Email
	}
	if strings.TrimSpace(id.Username) == "" {
		return abac.Identity{}, fmt.Errorf("the ID token has no %q claim to take the username from", paths.Username)
	}
	if v, ok := Lookup(claims, paths.Groups); ok {
		groups, err := Strings(v)
		if err != nil {
			return abac.Identity{}, fmt.Errorf("groups claim %q %v", paths.Groups, err)
		}
		id.Groups = groups
	}
	// Keep every claim a mapping rule may use, sub, acr, amr, auth_time and
	// sid among them; only the claims about the token itself go, and abac
	// refuses rules on those, so a rule that validates can match.
	for k, v := range claims {
		if !abac.DroppedClaim(k) {
			id.Claims[k] = v
		}
	}
	return id, nil
}
