package auth

import (
	"fmt"
	"net/url"
	"strings"
	"unicode"

	"github.com/secds/secds/internal/api"
)

// checkResponseIssuer applies RFC 9207: an authorization response that names
// its issuer must name ours, exactly, and a provider that announces
// authorization_response_iss_parameter_supported must name it. This stops a
// mix-up attack, where a response from another provider the browser also
// uses is fed to this callback.
func (a *Authenticator) checkResponseIssuer(q url.Values) error {
	a.mu.Lock()
	required := a.issParam
	a.mu.Unlock()
	got, present := q["iss"]
	switch {
	case !present && required:
		return &api.Error{Kind: api.KindBadRequest, Code: api.CodeIssuerMissing,
			Message: "The sign-in answer does not say which identity provider sent it, though the broker's provider always does. Start again; if it keeps happening, tell the platform team.",
			Err:     fmt.Errorf("authorization response has no iss parameter, and %s announces authorization_response_iss_parameter_supported", a.cfg.Issuer)}
	case !present:
		return nil
	case len(got) != 1 || got[0] != a.cfg.Issuer:
		return &api.Error{Kind: api.KindBadRequest, Code: api.CodeIssuerMismatch,
			Message: "The sign-in answer came from another identity provider than the broker's. Start again from the broker's page; if it keeps happening, tell the platform team.",
			Err:     fmt.Errorf("authorization response iss %s, want %q", logText(strings.Join(got, " "), 200), a.cfg.Issuer)}
	}
	return nil
}

// oauthErrors are the sentences a person sees for the error codes of OAuth
// 2.0 (RFC 6749 §4.1.2.1) and OpenID Connect (Core §3.1.2.6). The page never
// shows the provider's error_description: by then the state has been
// checked, but the text is still the provider's, often technical, and a
// broker page should say only what the broker means.
var oauthErrors = map[string]string{
	"access_denied":              "The identity provider did not sign you in: access was denied or the sign-in was cancelled. Start again; if you should have access, ask your platform team.",
	"login_required":             "The identity provider needs you to sign in there first. Start again.",
	"interaction_required":       "The identity provider needs you to sign in there first. Start again.",
	"account_selection_required": "The identity provider needs you to choose an account. Start again.",
	"consent_required":           "The identity provider needs your consent before it signs you in here. Start again and accept.",
	"temporarily_unavailable":    "The identity provider could not sign you in right now. Try again in a minute.",
	"server_error":               "The identity provider could not sign you in right now. Try again in a minute.",
}

// providerError turns the provider's error response into an Error with a
// fixed message. The code and description go only into Err, clipped and
// made printable, for the server log.
func providerError(code, description string) error {
	msg, known := oauthErrors[code]
	if !known {
		msg = "The identity provider refused the broker's sign-in request. Tell the platform team: the broker's client at the provider may be misconfigured."
	}
	e := &api.Error{Kind: api.KindBadRequest, Code: api.CodeIdPRefused, Message: msg,
		Err: fmt.Errorf("authorization error %s: %s", logText(code, 64), logText(description, 200))}
	if code == "temporarily_unavailable" || code == "server_error" {
		e.Kind, e.RetryAfter = api.KindUnavailable, idpRetry
	}
	return e
}

// logText makes text from a request fit for a log line: at most n runes,
// non-printable runes replaced, and quoted.
func logText(s string, n int) string {
	var b strings.Builder
	for _, r := range s {
		if n == 0 {
			b.WriteString("…")
			break
		}
		n--
		if !unicode.IsPrint(r) {
			r = '?'
		}
		b.WriteRune(r)
	}
	return fmt.Sprintf("%q", b.String())
}
