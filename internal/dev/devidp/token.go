package devidp

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// handleToken redeems an authorization code (RFC 6749 §4.1.3, OpenID
// Connect Core §3.1.3).
func (p *Provider) handleToken(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	resp, oerr := p.redeem(w, r)
	if oerr != nil {
		writeOAuthError(w, oerr)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"`
	IDToken     string `json:"id_token"`
	Scope       string `json:"scope"`
}

func (p *Provider) redeem(w http.ResponseWriter, r *http.Request) (*tokenResponse, *oauthError) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	// Only the body counts: credentials and codes do not belong in a URL.
	if err := r.ParseForm(); err != nil {
		return nil, invalidRequest("the request body is not a valid form")
	}
	form := r.PostForm
	for k, v := range form {
		if len(v) > 1 { // RFC 6749 §3.2
			return nil, invalidRequest("parameter " + k + " is repeated")
		}
	}
	client, oerr := p.authenticateClient(r, form)
	if oerr != nil {
		return nil, oerr
	}
	switch form.Get("grant_type") {
	case "authorization_code":
	case "":
		return nil, invalidRequest("grant_type is required")
	default:
		return nil, &oauthError{http.StatusBadRequest, "unsupported_grant_type", "only authorization_code is supported"}
	}
	code := form.Get("code")
	if code == "" {
		return nil, invalidRequest("code is required")
	}

	now := p.Now()
	p.mu.Lock()
	ac, oerr := p.consumeCodeLocked(code, client.ID, form, now)
	if oerr != nil {
		p.mu.Unlock()
		return nil, oerr
	}
	access := randomToken()
	ac.accessToken = access
	p.tokens[access] = &accessToken{username: ac.username, clientID: client.ID, scopes: ac.scopes, expiry: now.Add(p.tokenTTL)}
	p.mu.Unlock()

	idToken, err := p.key.sign(p.idTokenClaims(ac, access, now))
	if err != nil {
		return nil, &oauthError{http.StatusInternalServerError, "server_error", "could not sign the ID token"}
	}
	return &tokenResponse{
		AccessToken: access,
		TokenType:   "Bearer",
		ExpiresIn:   int64(p.tokenTTL / time.Second),
		IDToken:     idToken,
		Scope:       strings.Join(ac.scopes, " "),
	}, nil
}

// consumeCodeLocked marks the code used and checks it against the request.
// A code is spent by its first redemption attempt, successful or not, so a
// failed PKCE check cannot be retried. The caller holds p.mu.
func (p *Provider) consumeCodeLocked(code, clientID string, form url.Values, now time.Time) (*authCode, *oauthError) {
	ac, ok := p.codes[code]
	if !ok {
		return nil, invalidGrant("unknown authorization code")
	}
	if ac.redeemed {
		// RFC 6749 §4.1.2: a replayed code may mean it was stolen, so the
		// tokens issued for it are revoked too.
		delete(p.tokens, ac.accessToken)
		return nil, invalidGrant("authorization code already used")
	}
	ac.redeemed = true
	switch {
	case now.After(ac.expiry):
		return nil, invalidGrant("authorization code expired")
	case ac.clientID != clientID:
		return nil, invalidGrant("authorization code was issued to another client")
	case form.Get("redirect_uri") != ac.redirectURI:
		return nil, invalidGrant("redirect_uri does not match the authorization request")
	case !verifierMatches(form.Get("code_verifier"), ac.challenge):
		return nil, invalidGrant("PKCE code_verifier does not match code_challenge")
	}
	return ac, nil
}

// verifierMatches checks an RFC 7636 §4.1 verifier against an S256 challenge.
func verifierMatches(verifier, challenge string) bool {
	if len(verifier) < 43 || len(verifier) > 128 || strings.Trim(verifier, unreserved) != "" {
		return false
	}
	sum := sha256.Sum256([]byte(verifier))
	got := base64.RawURLEncoding.EncodeToString(sum[:])
	return subtle.ConstantTimeCompare([]byte(got), []byte(challenge)) == 1
}

const unreserved = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"

// authenticateClient accepts client_secret_basic or client_secret_post, but
// not both at once (RFC 6749 §2.3).
func (p *Provider) authenticateClient(r *http.Request, form url.Values) (Client, *oauthError) {
	var id, secret string
	if user, pass, ok := r.BasicAuth(); ok {
		if form.Has("client_secret") {
			return Client{}, invalidRequest("use one client authentication method, not two")
		}
		// RFC 6749 §2.3.1: id and secret are form-encoded before Basic.
		var err1, err2 error
		id, err1 = url.QueryUnescape(user)
		secret, err2 = url.QueryUnescape(pass)
		if err1 != nil || err2 != nil {
			return Client{}, invalidClient("malformed client credentials")
		}
		if fid := form.Get("client_id"); fid != "" && fid != id {
			return Client{}, invalidClient("client_id does not match the authenticated client")
		}
	} else if r.Header.Get("Authorization") != "" {
		return Client{}, invalidClient("unsupported Authorization scheme")
	} else {
		id, secret = form.Get("client_id"), form.Get("client_secret")
	}
	client, known := p.clients[id]
	// Compare hashes so neither the secret's length nor, for unknown
	// clients, the missing lookup shows in the timing.
	want := sha256.Sum256([]byte(client.Secret))
	got := sha256.Sum256([]byte(secret))
	if id == "" || secret == "" || !known || subtle.ConstantTimeCompare(want[:], got[:]) != 1 {
		return Client{}, invalidClient("client authentication failed")
	}
	return client, nil
}
