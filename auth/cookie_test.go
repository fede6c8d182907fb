package auth_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/secds/secds/auth"
)

func key(b byte) []byte { return bytes.Repeat([]byte{b}, auth.KeySize) }

func TestCodecRotationAndBinding(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	clock := func() time.Time { return now }
	oldC, _ := auth.NewCodec([][]byte{key(1)}, clock)
	rotated, _ := auth.NewCodec([][]byte{key(2), key(1)}, clock)
	dropped, _ := auth.NewCodec([][]byte{key(2)}, clock)

	sealed, err := oldC.Seal("session", map[string]string{"u": "alice"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(sealed, "alice") {
		t.Fatal("the sealed value shows the plaintext")
	}
	var v map[string]string
	if err := rotated.Open("session", sealed, &v); err != nil || v["u"] != "alice" {
		t.Fatalf("a rotated codec must open cookies of the old key: %v %v", v, err)
	}
	if err := dropped.Open("session", sealed, &v); !errors.Is(err, auth.ErrCookieInvalid) {
		t.Errorf("after dropping the old key: %v, want ErrCookieInvalid", err)
	}
	if err := oldC.Open("login", sealed, &v); !errors.Is(err, auth.ErrCookieInvalid) {
		t.Errorf("a session cookie opened as a login cookie: %v", err)
	}
	fresh, _ := rotated.Seal("session", 1, time.Hour)
	if err := oldC.Open("session", fresh, &v); !errors.Is(err, auth.ErrCookieInvalid) {
		t.Errorf("the first key must seal new cookies: %v", err)
	}
	raw, _ := base64.RawURLEncoding.DecodeString(sealed)
	raw[len(raw)/2] ^= 1 // one bit flipped in the ciphertext
	tampered := base64.RawURLEncoding.EncodeToString(raw)
	for _, bad := range []string{"", "!!", sealed[:10], tampered} {
		if err := oldC.Open("session", bad, &v); !errors.Is(err, auth.ErrCookieInvalid) {
			t.Errorf("Open(%q) = %v, want ErrCookieInvalid", bad, err)
		}
	}
	now = now.Add(time.Hour)
	if err := oldC.Open("session", sealed, &v); !errors.Is(err, auth.ErrCookieExpired) {
		t.Errorf("after its lifetime: %v, want ErrCookieExpired", err)
	}
}

func TestNewCodecRejectsBadKeys(t *testing.T) {
	for name, keys := range map[string][][]byte{"none": nil, "short": {[]byte("short")}, "second short": {key(1), key(2)[:16]}} {
		if _, err := auth.NewCodec(keys, nil); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestSafeNext(t *testing.T) {
	tests := map[string]string{
		"":                                "/",
		"/open?notebook=fraud-alice":      "/open?notebook=fraud-alice",
		"/":                               "/",
		"https://evil.example/":           "/",
		"//evil.example/":                 "/",
		"/\\evil.example":                 "/",
		"\\\\evil.example":                "/",
		"javascript:alert(1)":             "/",
		"/ok\r\nSet-Cookie: x":            "/",
		"open":                            "/",
		"/%2F%2Fevil.example":             "/%2F%2Fevil.example",
		"/a/../b":                         "/a/../b",
		"http:/evil.example":              "/",
		"/\tevil":                         "/",
		"/open?next=https://evil.example": "/open?next=https://evil.example",
		"//user@evil.example/":            "/",
		"/%2F%2Fevil.example/":            "/%2F%2Fevil.example/",
		"%2F%2Fevil.example":              "/",
		"/\\/evil.example":                "/",
		"\t//evil.example":                "/",
		"/\n/evil.example":                "/",
		"/\x00":                           "/",
		"JAVASCRIPT:alert(1)":             "/",
		" /open":                          "/",
		"/∕∕evil.example":                 "/∕∕evil.example", // a lookalike slash is a path on this site
		"／／evil.example":                  "/",
		"/.\\evil.example":                "/",
		"https:evil.example":              "/",
		"/" + strings.Repeat("a", 3000):   "/",
	}
	for in, want := range tests {
		if got := auth.SafeNext(in); got != want {
			t.Errorf("SafeNext(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestIdentityFromClaims(t *testing.T) {
	claims := map[string]any{
		"sub": "123", "iss": "x", "email": "a@example.com", "preferred_username": "alice",
		"cognito:groups": []any{"g1", "g2"}, "realm_access": map[string]any{"roles": []any{"r1"}},
		"department": "risk", "nonce": "n",
	}
	tests := []struct {
		name       string
		paths      auth.ClaimPaths
		wantUser   string
		wantGroups string
		wantErr    string
	}{
		{"defaults", auth.ClaimPaths{}, "alice", "", ""},
		{"cognito", auth.ClaimPaths{Groups: "cognito:groups"}, "alice", "g1,g2", ""},
		{"keycloak", auth.ClaimPaths{Groups: "realm_access.roles", Username: "email"}, "a@example.com", "r1", ""},
		{"missing username claim", auth.ClaimPaths{Username: "upn"}, "", "", `no "upn" claim`},
		{"groups not a list", auth.ClaimPaths{Groups: "realm_access"}, "", "", "not a list of strings"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			id, err := auth.IdentityFromClaims(claims, tc.paths)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if id.Username != tc.wantUser || strings.Join(id.Groups, ",") != tc.wantGroups || id.Subject != "123" {
				t.Errorf("identity = %+v", id)
			}
			if _, ok := id.Claims["nonce"]; ok {
				t.Error("protocol claims must not be kept")
			}
			if id.Claims["department"] != "risk" {
				t.Error("custom claims must be kept for the mapping")
			}
		})
	}
}
