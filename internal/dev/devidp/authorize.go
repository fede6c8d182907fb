package devidp

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// handleAuthorize validates an authorization request (OpenID Connect Core
// §3.1.2) and shows the login page.
func (p *Provider) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	params := r.URL.Query()
	if r.Method == http.MethodPost {
		r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
		if err := r.ParseForm(); err != nil {
			showError(w, http.StatusBadRequest, "The authorization request could not be parsed.")
			return
		}
		params = r.PostForm
	}

	// Until client and redirect URI are known good, errors go on a page:
	// redirecting to an unverified URI would make this an open redirector.
	if len(params["client_id"]) > 1 || len(params["redirect_uri"]) > 1 {
		showError(w, http.StatusBadRequest, "client_id and redirect_uri must each be given once.")
		return
	}
	client, ok := p.clients[params.Get("client_id")]
	if !ok {
		showError(w, http.StatusBadRequest, "Unknown client_id: the application is not registered with this identity provider.")
		return
	}
	redirectURI := params.Get("redirect_uri")
	if !slices.Contains(client.RedirectURIs, redirectURI) {
		showError(w, http.StatusBadRequest, "The redirect_uri is not registered for this client; it must match a registered one exactly.")
		return
	}

	req, oerr := p.parseAuthRequest(params)
	if oerr != nil {
		p.redirectWithError(w, r, redirectURI, params.Get("state"), oerr)
		return
	}
	req.clientID, req.redirectURI = client.ID, redirectURI

	now := p.Now()
	req.expiry = now.Add(requestTTL)
	id := randomToken()
	p.mu.Lock()
	p.sweepLocked(now)
	p.requests[id] = req
	p.mu.Unlock()

	users := make([]User, 0, len(p.order))
	for _, name := range p.order {
		users = append(users, p.users[name])
	}
	render(w, http.StatusOK, "login.html", loginPage{
		Issuer:   p.issuer,
		ClientID: client.ID,
		Action:   p.path + "/auth/login",
		ReqID:    id,
		Users:    users,
	})
}

// parseAuthRequest checks everything but client and redirect URI; its errors
// are returned to the client by redirect (RFC 6749 §4.1.2.1).
func (p *Provider) parseAuthRequest(params url.Values) (*authRequest, *oauthError) {
	for k, v := range params {
		if len(v) > 1 { // RFC 6749 §3.1
			return nil, invalidRequest("parameter " + k + " is repeated")
		}
	}
	if params.Has("request") {
		return nil, &oauthError{code: "request_not_supported", description: "request objects are not supported"}
	}
	if params.Has("request_uri") {
		return nil, &oauthError{code: "request_uri_not_supported", description: "request_uri is not supported"}
	}
	switch rt := params.Get("response_type"); rt {
	case "code":
	case "":
		return nil, invalidRequest("response_type is required")
	default:
		return nil, &oauthError{code: "unsupported_response_type", description: "only response_type=code is supported"}
	}
	if rm := params.Get("response_mode"); rm != "" && rm != "query" {
		return nil, invalidRequest("only response_mode=query is supported")
	}
	scopes := strings.Fields(params.Get("scope"))
	if !slices.Contains(scopes, "openid") {
		return nil, &oauthError{code: "invalid_scope", description: "scope must include openid"}
	}
	// PKCE is mandatory and plain is refused: plain gives no protection
	// against a leaked authorization request (RFC 9700 §2.1.1).
	challenge := params.Get("code_challenge")
	if challenge == "" {
		return nil, invalidRequest("code_challenge is required (PKCE S256)")
	}
	if params.Get("code_challenge_method") != "S256" {
		return nil, invalidRequest("code_challenge_method must be S256")
	}
	if !validS256Challenge(challenge) {
		return nil, invalidRequest("code_challenge is not a base64url SHA-256 hash")
	}
	// There are no sessions here, so a visitor can never be signed in
	// already (OpenID Connect Core §3.1.2.6).
	if slices.Contains(strings.Fields(params.Get("prompt")), "none") {
		return nil, &oauthError{code: "login_required", description: "prompt=none: no session at the dev identity provider"}
	}
	return &authRequest{
		scopes:    scopes,
		state:     params.Get("state"),
		nonce:     params.Get("nonce"),
		challenge: challenge,
	}, nil
}

// validS256Challenge reports whether c is what base64url(SHA-256(verifier))
// must look like: 43 characters decoding to 32 bytes.
func validS256Challenge(c string) bool {
	b, err := base64.RawURLEncoding.DecodeString(c)
	return err == nil && len(b) == 32
}

// handleLogin completes a pending request as the chosen user and sends the
// browser back to the client with a fresh authorization code.
func (p *Provider) handleLogin(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		showError(w, http.StatusBadRequest, "The login form could not be parsed.")
		return
	}
	id, username := r.PostForm.Get("req"), r.PostForm.Get("username")
	now := p.Now()

	p.mu.Lock()
	req, ok := p.requests[id]
	if ok && now.After(req.expiry) {
		delete(p.requests, id)
		ok = false
	}
	if !ok {
		p.mu.Unlock()
		showError(w, http.StatusBadRequest, "This sign-in request is unknown, already used or expired. Start again from the application.")
		return
	}
	if _, known := p.users[username]; !known {
		p.mu.Unlock()
		showError(w, http.StatusBadRequest, "Unknown demo user.")
		return
	}
	// The request id is single-use: it doubles as the login form's CSRF token.
	delete(p.requests, id)
	code := randomToken()
	p.sweepLocked(now)
	ac := &authCode{authRequest: *req, username: username, authTime: now}
	ac.expiry = now.Add(codeTTL)
	p.codes[code] = ac
	p.mu.Unlock()

	p.redirect(w, r, req.redirectURI, url.Values{"code": {code}}, req.state)
}

func (p *Provider) redirectWithError(w http.ResponseWriter, r *http.Request, redirectURI, state string, e *oauthError) {
	p.redirect(w, r, redirectURI, url.Values{"error": {e.code}, "error_description": {e.description}}, state)
}

// redirect sends the authorization response to a registered redirect URI,
// keeping any query it already has (RFC 6749 §3.1.2) and adding iss so the
// client can detect mix-up attacks (RFC 9207).
func (p *Provider) redirect(w http.ResponseWriter, r *http.Request, redirectURI string, params url.Values, state string) {
	u, err := url.Parse(redirectURI) // registered URIs were validated in New
	if err != nil {
		showError(w, http.StatusInternalServerError, "The registered redirect_uri cannot be parsed.")
		return
	}
	q := u.Query()
	for k, v := range params {
		q[k] = v
	}
	if state != "" {
		q.Set("state", state)
	}
	q.Set("iss", p.issuer)
	u.RawQuery = q.Encode()
	noStore(w)
	http.Redirect(w, r, u.String(), http.StatusFound)
}
