package auth

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/secds/secds/abac"
	"github.com/secds/secds/internal/api"
)

// CodeTTL is how long a CLI login code can be traded for a token.
const CodeTTL = 60 * time.Second

const (
	codePurpose = "cli-code"
	// A code shown for pasting must fit a terminal line (Linux's canonical
	// mode stops at 4095 bytes); a larger one is refused, never trimmed.
	maxCodeLen = 4000
)

// codeState is what a sealed code carries: who signed in, and the PKCE
// challenge and redirect URI of the CLI that asked, so that only that CLI
// (holding the verifier) can redeem it.
type codeState struct {
	ID        string        `json:"j"`
	Challenge string        `json:"c"`
	Redirect  string        `json:"r"`
	Identity  abac.Identity `json:"i"`
}

// NewCode returns a one-time code for id (cut down to what the mapping reads,
// abac.Mapping.Keep), bound to an S256 PKCE challenge and
// to redirectURI ("" for a code shown to paste). The code is sealed, so any
// replica can redeem it; a replica refuses a code it has already redeemed.
func (t *Tokens) NewCode(id abac.Identity, challenge, redirectURI string) (string, error) {
	return t.newCode(id, challenge, redirectURI, t.codeTTL)
}

func (t *Tokens) newCode(id abac.Identity, challenge, redirectURI string, ttl time.Duration) (string, error) {
	st := codeState{ID: randomString()[:22], Challenge: challenge, Redirect: redirectURI, Identity: id}
	code, err := t.cfg.Codec.Seal(codePurpose, st, ttl)
	if err != nil {
		return "", fmt.Errorf("seal login code: %w", err)
	}
	if len(code) > maxCodeLen {
		// Dropping claims to fit would hand out a token that exclude rules
		// cannot see through.
		return "", &api.Error{Kind: api.KindBadRequest, Code: api.CodeIdentityTooLarge, Message: fmt.Sprintf("Your account's groups and claims that the team mapping uses (%d of your groups) are too large for a secds CLI login (%d bytes, at most %d). Tell the platform team: the mapping names too many of your groups.", len(id.Groups), len(code), maxCodeLen)}
	}
	return code, nil
}

// Redeem trades a code, the PKCE verifier whose S256 hash is the code's
// challenge, and the same redirect URI for a token. A code is spent by its
// first redemption attempt that decrypts, right or wrong, so a stolen code
// cannot be retried with guessed verifiers.
//
// A short user code (NewUserCode) is redeemed the same way: it is taken
// from the Pending store first, so it too works once.
func (t *Tokens) Redeem(ctx context.Context, code, verifier, redirectURI string) (Token, abac.Identity, error) {
	if uc, ok := normalUserCode(code); ok && redirectURI == "" {
		sealed, err := t.takeUserCode(ctx, uc)
		if err != nil {
			return Token{}, abac.Identity{}, err
		}
		code = sealed
	}
	var st codeState
	if err := t.cfg.Codec.Open(codePurpose, code, &st); err != nil {
		msg := "The sign-in code is not valid. Copy it whole, or run secds login again."
		if errors.Is(err, ErrCookieExpired) {
			msg = "The sign-in code has expired (codes work for 60 seconds). Run secds login again."
		}
		return Token{}, abac.Identity{}, &api.Error{Kind: api.KindBadRequest, Code: api.CodeCodeInvalid, Message: msg, Err: err}
	}
	fresh, err := t.spent.Spend(ctx, st.ID, t.now().Add(max(t.codeTTL, UserCodeTTL)+time.Second))
	if err != nil {
		return Token{}, abac.Identity{}, &api.Error{Kind: api.KindUnavailable, Code: api.CodeCodeUnavailable, Err: err,
			Message: "The broker cannot check this sign-in code right now (its shared store did not answer). Try secds login again in a minute."}
	}
	if !fresh {
		return Token{}, abac.Identity{}, &api.Error{Kind: api.KindBadRequest, Code: api.CodeCodeUsed, Message: "This sign-in code was already used; codes work once. Run secds login again."}
	}
	if !validVerifier(verifier) || subtle.ConstantTimeCompare([]byte(S256Challenge(verifier)), []byte(st.Challenge)) != 1 {
		return Token{}, abac.Identity{}, &api.Error{Kind: api.KindBadRequest, Code: api.CodeVerifierMismatch, Message: "This sign-in code was issued to another secds login (the PKCE verifier does not match). Run secds login again, and paste only the code its own link shows."}
	}
	if subtle.ConstantTimeCompare([]byte(redirectURI), []byte(st.Redirect)) != 1 {
		return Token{}, abac.Identity{}, &api.Error{Kind: api.KindBadRequest, Code: api.CodeRedirectMismatch, Message: "This sign-in code was issued for another redirect address. Run secds login again."}
	}
	tok, err := t.Issue(st.Identity)
	if err != nil {
		return Token{}, abac.Identity{}, err
	}
	return tok, st.Identity, nil
}

// memorySpent is the spent-code record of one process. Entries are dropped
// once the code would have expired anyway, so it holds at most a minute of
// logins.
type memorySpent struct {
	mu  sync.Mutex
	m   map[string]time.Time // code ID → when it would have expired
	now func() time.Time
}

func (s *memorySpent) Spend(_ context.Context, id string, until time.Time) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	for k, exp := range s.m {
		if now.After(exp) {
			delete(s.m, k)
		}
	}
	if _, used := s.m[id]; used {
		return false, nil
	}
	s.m[id] = until
	return true, nil
}

// S256Challenge is the PKCE S256 challenge of a verifier (RFC 7636 §4.2).
func S256Challenge(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// ValidChallenge reports whether s looks like an S256 challenge: 43
// base64url characters (a SHA-256 hash).
func ValidChallenge(s string) bool {
	if len(s) != 43 {
		return false
	}
	_, err := base64.RawURLEncoding.Strict().DecodeString(s)
	return err == nil
}

// validVerifier checks RFC 7636's verifier syntax: 43–128 unreserved
// characters.
func validVerifier(v string) bool {
	if len(v) < 43 || len(v) > 128 {
		return false
	}
	for _, r := range v {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '.' || r == '_' || r == '~') {
			return false
		}
	}
	return true
}
