package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
)

// IDTokenKeySet is the JSON Web Key set Hydra signs ID tokens with.
const IDTokenKeySet = "hydra.openid.id-token"

// HydraAdmin is the part of Hydra's admin API the harness uses.
type HydraAdmin struct {
	BaseURL string
	Client  *http.Client
}

// OAuth2Client is a client registration (POST /admin/clients).
type OAuth2Client struct {
	ID                      string   `json:"client_id"`
	Secret                  string   `json:"client_secret"`
	RedirectURIs            []string `json:"redirect_uris"`
	GrantTypes              []string `json:"grant_types"`
	ResponseTypes           []string `json:"response_types"`
	Scope                   string   `json:"scope"`
	TokenEndpointAuthMethod string   `json:"token_endpoint_auth_method"`
}

// BrokerClient is how a broker is registered at a provider: a confidential
// client using the authorization code flow, authenticating with HTTP basic.
func BrokerClient(id, secret string, redirectURIs ...string) OAuth2Client {
	return OAuth2Client{
		ID:                      id,
		Secret:                  secret,
		RedirectURIs:            redirectURIs,
		GrantTypes:              []string{"authorization_code"},
		ResponseTypes:           []string{"code"},
		Scope:                   "openid email profile groups",
		TokenEndpointAuthMethod: "client_secret_basic",
	}
}

// CreateClient registers c.
func (a *HydraAdmin) CreateClient(ctx context.Context, c OAuth2Client) error {
	return a.do(ctx, http.MethodPost, "/admin/clients", nil, c, nil)
}

// CreateKey generates a new key in set; Hydra signs with the newest key.
func (a *HydraAdmin) CreateKey(ctx context.Context, set, kid string) error {
	body := map[string]string{"alg": "RS256", "kid": kid, "use": "sig"}
	return a.do(ctx, http.MethodPost, "/admin/keys/"+url.PathEscape(set), nil, body, nil)
}

// LoginRequest is the part of a pending login (GET
// /admin/oauth2/auth/requests/login) the login app needs.
type LoginRequest struct {
	Challenge string `json:"challenge"`
	// Skip is true when Hydra already knows the user (a remembered login);
	// the app must then accept with the same subject without asking.
	Skip    bool   `json:"skip"`
	Subject string `json:"subject"`
	Client  struct {
		ID string `json:"client_id"`
	} `json:"client"`
}

// ConsentRequest is the part of a pending consent the app needs.
type ConsentRequest struct {
	Challenge         string   `json:"challenge"`
	Subject           string   `json:"subject"`
	RequestedScope    []string `json:"requested_scope"`
	RequestedAudience []string `json:"requested_access_token_audience"`
}

type redirect struct {
	To string `json:"redirect_to"`
}

// GetLoginRequest fetches a pending login.
func (a *HydraAdmin) GetLoginRequest(ctx context.Context, challenge string) (LoginRequest, error) {
	var lr LoginRequest
	err := a.do(ctx, http.MethodGet, "/admin/oauth2/auth/requests/login", url.Values{"login_challenge": {challenge}}, nil, &lr)
	return lr, err
}

// AcceptLogin tells Hydra that subject signed in and returns where the
// browser goes next. Nothing is remembered, so every login shows the page.
func (a *HydraAdmin) AcceptLogin(ctx context.Context, challenge, subject string) (string, error) {
	var r redirect
	body := map[string]any{"subject": subject, "remember": false}
	err := a.do(ctx, http.MethodPut, "/admin/oauth2/auth/requests/login/accept", url.Values{"login_challenge": {challenge}}, body, &r)
	return r.To, err
}

// GetConsentRequest fetches a pending consent.
func (a *HydraAdmin) GetConsentRequest(ctx context.Context, challenge string) (ConsentRequest, error) {
	var cr ConsentRequest
	err := a.do(ctx, http.MethodGet, "/admin/oauth2/auth/requests/consent", url.Values{"consent_challenge": {challenge}}, nil, &cr)
	return cr, err
}

// AcceptConsent grants the requested scopes and puts idToken's claims into
// the ID token; it returns where the browser goes next.
func (a *HydraAdmin) AcceptConsent(ctx context.Context, cr ConsentRequest, idToken map[string]any) (string, error) {
	var r redirect
	body := map[string]any{
		"grant_scope":                 cr.RequestedScope,
		"grant_access_token_audience": cr.RequestedAudience,
		"remember":                    false,
		"session":                     map[string]any{"id_token": idToken},
	}
	err := a.do(ctx, http.MethodPut, "/admin/oauth2/auth/requests/consent/accept", url.Values{"consent_challenge": {cr.Challenge}}, body, &r)
	return r.To, err
}

func (a *HydraAdmin) do(ctx context.Context, method, path string, q url.Values, in, out any) error {
	u := a.BaseURL + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("hydra admin %s %s: %w", method, path, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return fmt.Errorf("hydra admin %s %s: %w", method, path, err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := a.Client.Do(req)
	if err != nil {
		return fmt.Errorf("hydra admin %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("hydra admin %s %s: %s: %s", method, path, resp.Status, bytes.TrimSpace(data))
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("hydra admin %s %s: decode: %w", method, path, err)
		}
	}
	return nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}
