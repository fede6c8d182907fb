package devidp

import "net/http"

// supportedScopes are the scopes that release claims; others are ignored, as
// RFC 6749 §3.3 allows.
var supportedScopes = []string{"openid", "email", "profile", "groups"}

func (p *Provider) handleDiscovery(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                p.issuer,
		"authorization_endpoint":                p.base + "/auth",
		"token_endpoint":                        p.base + "/token",
		"jwks_uri":                              p.base + "/keys",
		"userinfo_endpoint":                     p.base + "/userinfo",
		"response_types_supported":              []string{"code"},
		"response_modes_supported":              []string{"query"},
		"grant_types_supported":                 []string{"authorization_code"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{string(signingAlg)},
		"scopes_supported":                      supportedScopes,
		"token_endpoint_auth_methods_supported": []string{"client_secret_basic", "client_secret_post"},
		"code_challenge_methods_supported":      []string{"S256"},
		"claims_supported": []string{
			"iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "at_hash",
			"email", "email_verified", "name", "preferred_username", "groups",
		},
		"request_parameter_supported":                    false,
		"request_uri_parameter_supported":                false,
		"claims_parameter_supported":                     false,
		"authorization_response_iss_parameter_supported": true,
	})
}
