package auth_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"

	"github.com/secds/secds/internal/api"
)

// errorCallback is the provider's error answer to the login at authURL.
func errorCallback(r *rig, authURL, code, description string) *url.URL {
	state := mustParse(r.t, authURL).Query().Get("state")
	return mustParse(r.t, redirectURL+"?"+url.Values{"state": {state}, "error": {code}, "error_description": {description},
		"iss": {r.idp.Issuer()}}.Encode())
}

const evil = "Your account is locked: call +1-555-0100 <script>alert(1)</script>\r\nforged: log line"

// TestProviderErrorResponses: a callback carrying error and
// error_description is someone else's text. Before the state is checked it
// is not even looked at; after, the person sees a fixed sentence and only
// the server log gets the description, clipped and printable.
func TestProviderErrorResponses(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name        string
		run         func(r *rig) *http.Request
		code        string
		message     string // part of the message shown
		unavailable bool
		logged      bool // the description reaches Err, for the log
	}{
		{"access denied, state checked", func(r *rig) *http.Request {
			authURL, cookie, _ := begin(r.a, "/")
			return callbackRequest(errorCallback(r, authURL, "access_denied", evil), cookie)
		}, "idp_refused", "access was denied or the sign-in was cancelled", false, true},
		{"login_required", func(r *rig) *http.Request {
			authURL, cookie, _ := begin(r.a, "/")
			return callbackRequest(errorCallback(r, authURL, "login_required", evil), cookie)
		}, "idp_refused", "needs you to sign in there first", false, true},
		{"server_error is the provider's failure", func(r *rig) *http.Request {
			authURL, cookie, _ := begin(r.a, "/")
			return callbackRequest(errorCallback(r, authURL, "server_error", evil), cookie)
		}, "idp_refused", "Try again in a minute", true, true},
		{"an unknown code is not echoed", func(r *rig) *http.Request {
			authURL, cookie, _ := begin(r.a, "/")
			return callbackRequest(errorCallback(r, authURL, "<b>call-us</b>", evil), cookie)
		}, "idp_refused", "may be misconfigured", false, true},
		{"no login cookie: a link from anywhere", func(r *rig) *http.Request {
			authURL, _, _ := begin(r.a, "/")
			return callbackRequest(errorCallback(r, authURL, "access_denied", evil))
		}, "login_expired", "Start again", false, false},
		{"no state", func(r *rig) *http.Request {
			_, cookie, _ := begin(r.a, "/")
			return callbackRequest(mustParse(r.t, redirectURL+"?"+url.Values{"error": {"access_denied"}, "error_description": {evil}}.Encode()), cookie)
		}, "login_expired", "Start again", false, false},
		{"another login's state", func(r *rig) *http.Request {
			authURL, _, _ := begin(r.a, "/")
			_, other, _ := begin(r.a, "/")
			c := *other
			c.Name = "secds_login_" + mustParse(r.t, authURL).Query().Get("state")[:12]
			return callbackRequest(errorCallback(r, authURL, "access_denied", evil), &c)
		}, "state_mismatch", "does not belong", false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t)
			_, _, _, err := r.a.FinishLogin(ctx, tc.run(r))
			var ae *api.Error
			if !errors.As(err, &ae) || string(ae.Code) != tc.code {
				t.Fatalf("err = %v, want an api.Error %s", err, tc.code)
			}
			if !strings.Contains(ae.Message, tc.message) || (ae.Kind == api.KindUnavailable) != tc.unavailable {
				t.Errorf("message %q (unavailable %v), want it to say %q (unavailable %v)", ae.Message, ae.Kind == api.KindUnavailable, tc.message, tc.unavailable)
			}
			for _, part := range []string{"555-0100", "<script>", "call-us", "<b>"} {
				if strings.Contains(ae.Message, part) {
					t.Errorf("the message shows the provider's text %q: %s", part, ae.Message)
				}
			}
			logged := err.Error()
			if got := strings.Contains(logged, "555-0100"); got != tc.logged {
				t.Errorf("description in the log: %v, want %v (%s)", got, tc.logged, logged)
			}
			if strings.ContainsAny(logged, "\r\n") {
				t.Errorf("the log text carries a line break: %q", logged)
			}
		})
	}
}

// TestResponseIssuer: RFC 9207. The dev provider announces
// authorization_response_iss_parameter_supported, so a response without iss
// is refused; the misbehaving provider does not, so iss may be absent, but
// when present it must be the configured issuer, exactly.
func TestResponseIssuer(t *testing.T) {
	ctx := context.Background()
	tamper := func(r *rig, change func(q url.Values)) error {
		authURL, cookie, err := begin(r.a, "/")
		if err != nil {
			t.Fatal(err)
		}
		cb := r.signIn(authURL, "alice")
		q := cb.Query()
		if q.Get("iss") != r.idp.Issuer() {
			t.Fatalf("the dev provider sent iss %q", q.Get("iss"))
		}
		change(q)
		cb.RawQuery = q.Encode()
		_, _, _, err = r.a.FinishLogin(ctx, callbackRequest(cb, cookie))
		return err
	}
	for _, tc := range []struct {
		name   string
		change func(q url.Values)
		code   string
	}{
		{"control: the provider's own iss", func(url.Values) {}, ""},
		{"another issuer", func(q url.Values) { q.Set("iss", "https://evil.example") }, "issuer_mismatch"},
		{"a trailing slash", func(q url.Values) { q.Set("iss", q.Get("iss")+"/") }, "issuer_mismatch"},
		{"another case", func(q url.Values) { q.Set("iss", strings.ToUpper(q.Get("iss"))) }, "issuer_mismatch"},
		{"empty", func(q url.Values) { q.Set("iss", "") }, "issuer_mismatch"},
		{"twice", func(q url.Values) { q.Add("iss", "https://evil.example") }, "issuer_mismatch"},
		{"left out, though the provider announces it", func(q url.Values) { q.Del("iss") }, "issuer_missing"},
		{"an error response from another issuer", func(q url.Values) {
			q.Del("code")
			q.Set("error", "access_denied")
			q.Set("iss", "https://evil.example")
		}, "issuer_mismatch"},
	} {
		t.Run("dev provider: "+tc.name, func(t *testing.T) {
			err := tamper(newRig(t), tc.change)
			var ae *api.Error
			switch {
			case tc.code == "" && err != nil:
				t.Fatal(err)
			case tc.code != "" && (!errors.As(err, &ae) || string(ae.Code) != tc.code):
				t.Fatalf("err = %v, want %s", err, tc.code)
			case tc.code != "" && strings.Contains(ae.Message, "evil"):
				t.Errorf("the message shows the response's iss: %s", ae.Message)
			}
		})
	}

	t.Run("provider without RFC 9207", func(t *testing.T) {
		e := newEvilIdP(t)
		a := e.authenticator(nil)
		good := func(n string) string { return e.sign(jose.RS256, e.key, "k1", e.claims(n)) }
		if err := e.login(a, good); err != nil {
			t.Fatalf("no iss from a provider that does not announce it: %v", err)
		}
		if err := e.loginWith(a, good, url.Values{"iss": {e.srv.URL}}); err != nil {
			t.Fatalf("the right iss: %v", err)
		}
		err := e.loginWith(a, good, url.Values{"iss": {"https://evil.example"}})
		var ae *api.Error
		if !errors.As(err, &ae) || ae.Code != "issuer_mismatch" {
			t.Fatalf("err = %v, want issuer_mismatch", err)
		}
	})
}
