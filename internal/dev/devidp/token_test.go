package devidp_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/secds/secds/internal/dev/devidp"
)

func TestExchangeRejects(t *testing.T) {
	tests := []struct {
		name string
		// exchange redeems code, issued for flow f, the way the case needs.
		exchange func(t *testing.T, ti *testIDP, f flow, code string) error
		want     string
	}{
		{
			name: "wrong PKCE verifier",
			exchange: func(t *testing.T, ti *testIDP, f flow, code string) error {
				_, err := ti.oauth.Exchange(t.Context(), code, oauth2.VerifierOption(oauth2.GenerateVerifier()))
				return err
			},
			want: "invalid_grant",
		},
		{
			name: "missing PKCE verifier",
			exchange: func(t *testing.T, ti *testIDP, f flow, code string) error {
				_, err := ti.oauth.Exchange(t.Context(), code)
				return err
			},
			want: "invalid_grant",
		},
		{
			name: "wrong client secret",
			exchange: func(t *testing.T, ti *testIDP, f flow, code string) error {
				cfg := ti.oauth
				cfg.ClientSecret = "not-the-secret"
				_, err := cfg.Exchange(t.Context(), code, oauth2.VerifierOption(f.verifier))
				return err
			},
			want: "invalid_client",
		},
		{
			name: "code issued to another client",
			exchange: func(t *testing.T, ti *testIDP, f flow, code string) error {
				cfg := ti.oauth
				cfg.ClientID, cfg.ClientSecret = "other", "other-secret"
				_, err := cfg.Exchange(t.Context(), code, oauth2.VerifierOption(f.verifier))
				return err
			},
			want: "invalid_grant",
		},
		{
			name: "different redirect_uri",
			exchange: func(t *testing.T, ti *testIDP, f flow, code string) error {
				cfg := ti.oauth
				cfg.RedirectURL = "http://127.0.0.1:8080/other"
				_, err := cfg.Exchange(t.Context(), code, oauth2.VerifierOption(f.verifier))
				return err
			},
			want: "invalid_grant",
		},
		{
			name: "expired code",
			exchange: func(t *testing.T, ti *testIDP, f flow, code string) error {
				ti.p.Advance(11 * time.Minute)
				_, err := ti.oauth.Exchange(t.Context(), code, oauth2.VerifierOption(f.verifier))
				return err
			},
			want: "invalid_grant",
		},
		{
			name: "unknown code",
			exchange: func(t *testing.T, ti *testIDP, f flow, code string) error {
				_, err := ti.oauth.Exchange(t.Context(), code+"x", oauth2.VerifierOption(f.verifier))
				return err
			},
			want: "invalid_grant",
		},
		{
			name: "code spent by a failed attempt",
			exchange: func(t *testing.T, ti *testIDP, f flow, code string) error {
				if _, err := ti.oauth.Exchange(t.Context(), code, oauth2.VerifierOption(oauth2.GenerateVerifier())); err == nil {
					t.Fatal("wrong verifier accepted")
				}
				_, err := ti.oauth.Exchange(t.Context(), code, oauth2.VerifierOption(f.verifier))
				return err
			},
			want: "invalid_grant",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ti := newTestIDP(t, "", func(c *devidp.Config) {
				c.Clients = append(c.Clients, devidp.Client{ID: "other", Secret: "other-secret", RedirectURIs: []string{testRedirect}})
			})
			ti.oauth.Endpoint.AuthStyle = oauth2.AuthStyleInHeader
			f := newFlow()
			err := tt.exchange(t, ti, f, ti.login(t, f, "alice"))
			if err == nil {
				t.Fatal("exchange succeeded")
			}
			if got := oauthErrorCode(t, err); got != tt.want {
				t.Errorf("error = %q, want %q (%v)", got, tt.want, err)
			}
		})
	}
}

func TestCodeReuseFailsAndRevokes(t *testing.T) {
	ti := newTestIDP(t, "", nil)
	f := newFlow()
	code := ti.login(t, f, "alice")
	tok, err := ti.oauth.Exchange(t.Context(), code, oauth2.VerifierOption(f.verifier))
	if err != nil {
		t.Fatalf("first Exchange: %v", err)
	}
	_, err = ti.oauth.Exchange(t.Context(), code, oauth2.VerifierOption(f.verifier))
	if err == nil {
		t.Fatal("second redemption succeeded")
	}
	if got := oauthErrorCode(t, err); got != "invalid_grant" {
		t.Errorf("error = %q, want invalid_grant", got)
	}
	if _, err := ti.rp.UserInfo(t.Context(), oauth2.StaticTokenSource(tok)); err == nil {
		t.Error("access token from a replayed code still works")
	}
}

// x/oauth2 form-encodes id and secret before Basic auth (RFC 6749 §2.3.1);
// the provider must decode them.
func TestBasicAuthCredentialsAreFormDecoded(t *testing.T) {
	const id, secret = "dev client:1", "p+ss%w:rd &="
	ti := newTestIDP(t, "", func(c *devidp.Config) {
		c.Clients = []devidp.Client{{ID: id, Secret: secret, RedirectURIs: []string{testRedirect}}}
	})
	ti.oauth.ClientID, ti.oauth.ClientSecret = id, secret
	for _, style := range []oauth2.AuthStyle{oauth2.AuthStyleInHeader, oauth2.AuthStyleInParams} {
		f := newFlow()
		cfg := ti.oauth
		cfg.Endpoint.AuthStyle = style
		if _, err := cfg.Exchange(t.Context(), ti.login(t, f, "bob"), oauth2.VerifierOption(f.verifier)); err != nil {
			t.Errorf("auth style %d: %v", style, err)
		}
	}
}

func TestTokenEndpointRequests(t *testing.T) {
	ti := newTestIDP(t, "", nil)
	tokenURL := ti.oauth.Endpoint.TokenURL
	tests := []struct {
		name       string
		form       url.Values
		basic      bool
		wantStatus int
		wantError  string
	}{
		{"no client authentication", url.Values{"grant_type": {"authorization_code"}, "code": {"x"}}, false, 401, "invalid_client"},
		{"two client authentication methods", url.Values{"grant_type": {"authorization_code"}, "code": {"x"}, "client_secret": {testSecret}}, true, 400, "invalid_request"},
		{"unsupported grant", url.Values{"grant_type": {"password"}}, true, 400, "unsupported_grant_type"},
		{"missing code", url.Values{"grant_type": {"authorization_code"}}, true, 400, "invalid_request"},
		{"repeated parameter", url.Values{"grant_type": {"authorization_code"}, "code": {"a", "b"}}, true, 400, "invalid_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, tokenURL, strings.NewReader(tt.form.Encode()))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if tt.basic {
				req.SetBasicAuth(testClientID, testSecret)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body := readBody(t, resp)
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("status = %d, want %d: %s", resp.StatusCode, tt.wantStatus, body)
			}
			mustContain(t, body, `"error":"`+tt.wantError+`"`)
			if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
				t.Errorf("Cache-Control = %q", cc)
			}
		})
	}
}
