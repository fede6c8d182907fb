package server

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/secds/secds/auth"
	"github.com/secds/secds/internal/api"
	"github.com/secds/secds/internal/audit"
	"github.com/secds/secds/internal/ratelimit"
)

// The CLI login is the broker's own small authorization server in front of
// the identity provider, as in Vault's and Teleport's CLIs: the broker stays
// the only OIDC client, so the CLI needs no client registration and never
// sees an ID token. The browser leg reuses the normal web login; the CLI
// proves with PKCE that it started the login it redeems.

var errCLILoginOff = &api.Error{Kind: api.KindNotConfigured, Code: api.CodeCLILoginDisabled,
	Message: "This broker is not set up for the secds CLI: it has no token keys. Tell the platform team to set tokens.keys_file or SECDS_TOKEN_KEYS."}

// cliLoginParams are what a CLI puts on its /cli/login link. The
// confirmation form carries them back unchanged, and the POST checks them
// again: a form is as much attacker input as a link.
type cliLoginParams struct {
	Redirect, State, Challenge, Method string
}

func cliParams(get func(string) string) cliLoginParams {
	return cliLoginParams{Redirect: get("redirect_uri"), State: get("state"), Challenge: get("code_challenge"), Method: get("code_challenge_method")}
}

func (p cliLoginParams) check() error {
	switch {
	case p.Method != "S256" || !auth.ValidChallenge(p.Challenge):
		return badCLILogin("it lacks a PKCE S256 challenge")
	case p.Redirect != "" && !loopbackRedirect(p.Redirect):
		// Anything but the CLI's own loopback listener would hand the code
		// to another host: refuse, and never redirect there.
		return badCLILogin("its redirect address is not a loopback callback (http://127.0.0.1:PORT/callback)")
	case p.Redirect != "" && !validState(p.State):
		return badCLILogin("its state is missing or malformed")
	}
	return nil
}

// link is the GET /cli/login address these parameters came from.
func (p cliLoginParams) link() string {
	q := url.Values{"code_challenge": {p.Challenge}, "code_challenge_method": {p.Method}}
	if p.Redirect != "" {
		q.Set("redirect_uri", p.Redirect)
		q.Set("state", p.State)
	}
	return cliLoginPath + "?" + q.Encode()
}

// cliLogin is the browser leg of `secds login`. With a session it asks the
// person to confirm, on a page whose form posts back here (cliLoginConfirm);
// a GET alone issues nothing, so a page elsewhere that navigates a signed-in
// browser here gets no code for whatever listens on the loopback port.
// Without a session, it runs the normal sign-in and comes back here.
//
// Its guard (audCLILogin) has checked the link and the session.
func (s *Server) cliLogin(c echo.Context) error {
	p := cliParamsOf(c)
	sess, err := s.browserSession(c)
	if err != nil {
		return err
	}
	csrf, err := s.csrfToken(sess)
	if err != nil {
		return err
	}
	allowFormAction(c, p.Redirect)
	return s.render(c, http.StatusOK, "cli_confirm", map[string]any{"Identity": sess.Identity, "CSRF": csrf, "Params": p})
}

// cliLoginConfirm is the confirmation form's POST; its guard (audCLILogin)
// has checked the broker's own Origin, the session's CSRF token, and the
// same things as for the link (a session that ended while the page was open
// signs in, then confirms again). Only here is a code issued: by redirect
// to the CLI's loopback listener, or, in paste mode (no redirect_uri), on a
// page to copy into the terminal.
func (s *Server) cliLoginConfirm(c echo.Context) error {
	p, id := cliParamsOf(c), identityOf(c)
	if c.FormValue("decision") != "allow" {
		if p.Redirect == "" {
			return s.render(c, http.StatusOK, "cli_cancelled", map[string]any{"Identity": id})
		}
		// RFC 6749 §4.1.2.1: tell the waiting CLI, so it stops at once.
		u, _ := url.Parse(p.Redirect) // checked above
		u.RawQuery = url.Values{"error": {"access_denied"}, "state": {p.State}}.Encode()
		return c.Redirect(http.StatusSeeOther, u.String())
	}
	if p.Redirect == "" {
		// Paste mode, often a phone and an SSH session: a short code to
		// type, kept by the broker, rather than the sealed code itself.
		code, err := s.cfg.Tokens.NewUserCode(c.Request().Context(), id, p.Challenge)
		if err != nil {
			return err
		}
		data := map[string]any{"Identity": id, "Code": code, "Minutes": int(auth.UserCodeTTL.Minutes())}
		if !s.cfg.SharedCodes {
			// Replicas that share no state may not know the short code:
			// the sealed one works on any, for a minute.
			long, err := s.cfg.Tokens.NewCode(id, p.Challenge, "")
			if err != nil {
				return err
			}
			data["LongCode"], data["LongSeconds"] = long, int(auth.CodeTTL.Seconds())
		}
		allowScript(c)
		return s.render(c, http.StatusOK, "cli_code", data)
	}
	code, err := s.cfg.Tokens.NewCode(id, p.Challenge, p.Redirect)
	if err != nil {
		return err
	}
	u, _ := url.Parse(p.Redirect) // checked above
	u.RawQuery = url.Values{"code": {code}, "state": {p.State}}.Encode()
	// 303: the browser follows a POST's answer with a GET.
	return c.Redirect(http.StatusSeeOther, u.String())
}

// codeGuessRate bounds the wrong codes one address may try: a short code
// is about 34 bits, and each one lives 10 minutes. Twenty mistakes, then one
// every ten seconds, are far more than a person typing needs and make
// guessing a live code hopeless.
var codeGuessRate = ratelimit.Rate{PerSecond: 0.1, Burst: 20}

func badCLILogin(why string) error {
	return &api.Error{Kind: api.KindBadRequest, Code: api.CodeBadCLILogin,
		Message: "This sign-in link for the secds CLI is not valid: " + why + ". Run secds login again and use the link it shows."}
}

// cliToken trades a one-time code and its PKCE verifier for a broker token.
// Each attempt is one audit event.
func (s *Server) cliToken(c echo.Context) error {
	var req api.TokenRequest
	if strings.HasPrefix(c.Request().Header.Get(echo.HeaderContentType), echo.MIMEApplicationForm) {
		req = api.TokenRequest{Code: c.FormValue("code"), Verifier: c.FormValue("code_verifier"), RedirectURI: c.FormValue("redirect_uri")}
	} else if err := decodeJSONLike(c, &req, `{"code":"…","code_verifier":"…","redirect_uri":"…"}`); err != nil {
		return err
	}
	ev := audit.Event{Type: audit.TypeLogin, ClientIP: c.RealIP(), RequestID: requestID(c), Via: "api"}
	guesser := addressKey(c.RealIP())
	if empty, wait := s.codeGuesses.empty(guesser); empty {
		ev.Decision, ev.Code, ev.Reason = audit.Denied, string(api.CodeRateLimited), "too many wrong sign-in codes from this address"
		s.record(ev)
		return rateLimited("address (too many wrong sign-in codes)", wait)
	}
	tok, id, err := s.cfg.Tokens.Redeem(c.Request().Context(), req.Code, req.Verifier, req.RedirectURI)
	if err != nil {
		ev.Decision, ev.Code = audit.Denied, "login_failed"
		var ae *api.Error
		if errors.As(err, &ae) {
			ev.Code, ev.Reason = string(ae.Code), ae.Message
			if ae.Kind == api.KindBadRequest {
				s.codeGuesses.take(guesser)
			}
		}
		s.record(ev)
		return err
	}
	ev.Decision, ev.Subject, ev.Username, ev.Email, ev.TokenID = audit.Granted, id.Subject, id.Username, id.Email, tok.ID
	s.record(ev)
	return c.JSON(http.StatusOK, api.TokenResponse{Token: tok.Raw, TokenType: "Bearer", ExpiresAt: tok.ExpiresAt.UTC(), Username: id.Username})
}

// loopbackRedirect reports whether raw is a CLI's loopback callback:
// http://127.0.0.1 or http://[::1], an explicit port written without leading
// zeros, path /callback, nothing else, written canonically. "localhost" is
// refused (RFC 8252 §8.3): it can resolve elsewhere, and the CLI listens on
// 127.0.0.1 anyway.
func loopbackRedirect(raw string) bool {
	if len(raw) > 64 {
		return false
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "http" || u.User != nil || u.Opaque != "" || u.RawQuery != "" || u.ForceQuery ||
		u.Fragment != "" || u.Path != "/callback" || u.RawPath != "" || u.String() != raw {
		return false
	}
	switch u.Host[:len(u.Host)-len(u.Port())] {
	case "127.0.0.1:", "[::1]:":
	default:
		return false
	}
	p := u.Port()
	port, err := strconv.Atoi(p)
	return err == nil && port > 0 && port <= 65535 && strconv.Itoa(port) == p
}

// validState accepts what the CLI sends: 8–128 URL-safe characters.
func validState(s string) bool {
	if len(s) < 8 || len(s) > 128 {
		return false
	}
	for _, r := range s {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.' || r == '~') {
			return false
		}
	}
	return true
}
