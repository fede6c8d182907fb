package devidp

import (
	"net/http"
	"strings"
)

// handleUserinfo returns the claims of the user an access token was issued
// for (OpenID Connect Core §5.3), scoped like the ID token.
func (p *Provider) handleUserinfo(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "Bearer") || token == "" {
		// RFC 6750 §3.1: no credentials at all gets no error code.
		w.Header().Set("WWW-Authenticate", `Bearer realm="devidp"`)
		http.Error(w, "bearer access token required", http.StatusUnauthorized)
		return
	}
	now := p.Now()
	p.mu.Lock()
	at, ok := p.tokens[token]
	if ok && now.After(at.expiry) {
		delete(p.tokens, token)
		ok = false
	}
	p.mu.Unlock()
	if !ok {
		w.Header().Set("WWW-Authenticate", `Bearer realm="devidp", error="invalid_token", error_description="unknown or expired access token"`)
		http.Error(w, "invalid access token", http.StatusUnauthorized)
		return
	}
	writeJSON(w, http.StatusOK, userClaims(p.users[at.username], at.scopes))
}
