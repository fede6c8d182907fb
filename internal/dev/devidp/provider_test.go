package devidp_test

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/go-jose/go-jose/v4"

	"github.com/secds/secds/internal/dev/devidp"
)

func TestSetDown(t *testing.T) {
	ti := newTestIDP(t, "/dex", nil)
	urls := []string{
		ti.issuer + "/.well-known/openid-configuration",
		ti.issuer + "/keys",
		newFlow().authURL(ti.oauth),
		ti.issuer + "/userinfo",
	}
	ti.p.SetDown(true)
	for _, u := range urls {
		if resp, _ := ti.get(t, u); resp.StatusCode != http.StatusServiceUnavailable {
			t.Errorf("GET %s: status %d, want 503", u, resp.StatusCode)
		}
	}
	for _, u := range []string{ti.issuer + "/token", ti.issuer + "/auth/login"} {
		resp, err := http.Post(u, "application/x-www-form-urlencoded", strings.NewReader(""))
		if err != nil {
			t.Fatal(err)
		}
		readBody(t, resp)
		if resp.StatusCode != http.StatusServiceUnavailable {
			t.Errorf("POST %s: status %d, want 503", u, resp.StatusCode)
		}
	}
	if _, err := oidc.NewProvider(t.Context(), ti.issuer); err == nil {
		t.Error("discovery succeeded while down")
	}
	ti.p.SetDown(false)
	if _, err := oidc.NewProvider(t.Context(), ti.issuer); err != nil {
		t.Errorf("discovery after SetDown(false): %v", err)
	}
}

func TestDiscoveryAndKeys(t *testing.T) {
	ti := newTestIDP(t, "/dex", nil)
	var doc map[string]any
	if err := ti.rp.Claims(&doc); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"issuer":                 ti.issuer,
		"authorization_endpoint": ti.issuer + "/auth",
		"token_endpoint":         ti.issuer + "/token",
		"jwks_uri":               ti.issuer + "/keys",
		"userinfo_endpoint":      ti.issuer + "/userinfo",
	}
	for k, v := range want {
		if doc[k] != v {
			t.Errorf("%s = %v, want %v", k, doc[k], v)
		}
	}
	for k, v := range map[string]string{
		"response_types_supported":              `["code"]`,
		"subject_types_supported":               `["public"]`,
		"code_challenge_methods_supported":      `["S256"]`,
		"scopes_supported":                      `["openid","email","profile","groups"]`,
		"token_endpoint_auth_methods_supported": `["client_secret_basic","client_secret_post"]`,
		"id_token_signing_alg_values_supported": `["RS256"]`,
	} {
		if got, _ := json.Marshal(doc[k]); string(got) != v {
			t.Errorf("%s = %s, want %s", k, got, v)
		}
	}

	resp, body := ti.get(t, ti.issuer+"/keys")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("keys: status %d", resp.StatusCode)
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal([]byte(body), &set); err != nil {
		t.Fatalf("decode JWKS: %v", err)
	}
	if len(set.Keys) != 1 {
		t.Fatalf("%d keys, want 1", len(set.Keys))
	}
	k := set.Keys[0]
	if !k.IsPublic() || k.KeyID == "" || k.Algorithm != "RS256" || k.Use != "sig" {
		t.Errorf("key: public=%v kid=%q alg=%q use=%q", k.IsPublic(), k.KeyID, k.Algorithm, k.Use)
	}
	for _, private := range []string{`"d"`, `"p"`, `"q"`} {
		if strings.Contains(body, private+":") {
			t.Errorf("JWKS leaks private member %s", private)
		}
	}
}

func TestNewValidatesConfig(t *testing.T) {
	good := devidp.Client{ID: "c", Secret: "s", RedirectURIs: []string{"http://127.0.0.1/cb"}}
	tests := []struct {
		name    string
		cfg     devidp.Config
		wantErr []string // substrings; nil means valid
	}{
		{"valid, demo users by default", devidp.Config{Issuer: "http://127.0.0.1:5556/dex", Clients: []devidp.Client{good}}, nil},
		{"missing issuer", devidp.Config{Clients: []devidp.Client{good}}, []string{"issuer: required"}},
		{"issuer with query", devidp.Config{Issuer: "http://127.0.0.1/?x=1", Clients: []devidp.Client{good}}, []string{"no user info, query or fragment"}},
		{"issuer not http", devidp.Config{Issuer: "ftp://127.0.0.1", Clients: []devidp.Client{good}}, []string{"http(s) URL"}},
		{"no clients", devidp.Config{Issuer: "http://127.0.0.1"}, []string{"at least one client"}},
		{"every client problem at once", devidp.Config{Issuer: "http://127.0.0.1", Clients: []devidp.Client{
			good, {ID: "c", RedirectURIs: []string{"/relative", "http://h/cb#frag"}},
		}}, []string{"duplicate id", "secret required", `"/relative"`, `"http://h/cb#frag"`}},
		{"users", devidp.Config{Issuer: "http://127.0.0.1", Clients: []devidp.Client{good}, Users: []devidp.User{
			{Username: "a"}, {Username: "a"}, {Name: "no username"}, {Username: "b", Extra: map[string]any{"iss": "forged"}},
			{Username: "c", Extra: map[string]any{"bad": make(chan int)}},
		}}, []string{"duplicate username", "username required", `extra claim "iss"`, "not JSON"}},
		{"negative TTL", devidp.Config{Issuer: "http://127.0.0.1", Clients: []devidp.Client{good}, TokenTTL: -time.Second}, []string{"negative"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := devidp.New(tt.cfg)
			if tt.wantErr == nil {
				if err != nil || p == nil {
					t.Fatalf("New: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("New succeeded")
			}
			for _, want := range tt.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not mention %q", err, want)
				}
			}
		})
	}
}

func TestDemoUsers(t *testing.T) {
	groups := map[string]string{}
	for _, u := range devidp.DemoUsers() {
		groups[u.Username] = strings.Join(u.Groups, ",")
	}
	want := map[string]string{"alice": "ds-fraud", "bob": "ds-marketing", "carol": "", "admin": "secds-admins"}
	if len(groups) != len(want) {
		t.Errorf("demo users = %v", groups)
	}
	for name, g := range want {
		if got, ok := groups[name]; !ok || got != g {
			t.Errorf("%s groups = %q (present %v), want %q", name, got, ok, g)
		}
	}
}

func TestServeStopsWithContext(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	issuer := "http://" + ln.Addr().String()
	p, err := devidp.New(devidp.Config{Issuer: issuer, Clients: []devidp.Client{{ID: "c", Secret: "s", RedirectURIs: []string{"http://127.0.0.1/cb"}}}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- devidp.Serve(ctx, p, ln) }()
	if _, err := oidc.NewProvider(t.Context(), issuer); err != nil {
		t.Fatalf("discovery: %v", err)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return after cancel")
	}
}
