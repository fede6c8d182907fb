package config_test

import (
	"strings"
	"testing"
	"time"

	"github.com/secds/secds/internal/config"
)

const otherKey = "YWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXoxMjM0NTY=" // 32 bytes, base64

func TestTokenKeys(t *testing.T) {
	base := func() *config.Config {
		return &config.Config{PublicURL: "https://n.example", MappingFile: "t.yaml", OIDC: config.OIDC{Issuer: "https://idp.example", ClientID: "c"}}
	}
	tests := []struct {
		name     string
		tokens   config.Tokens
		env      map[string]string
		wantKeys int
		wantTTL  time.Duration
		wantErr  string
	}{
		{"off without keys", config.Tokens{}, nil, 0, 12 * time.Hour, ""},
		{"from the default variable", config.Tokens{TTL: time.Hour}, map[string]string{config.DefaultTokenKeysEnv: otherKey + "," + key}, 0, 0, "also a session key"},
		{"rotation list", config.Tokens{}, map[string]string{config.DefaultTokenKeysEnv: otherKey + "\n" + otherKey}, 2, 12 * time.Hour, ""},
		{"a named variable", config.Tokens{KeysEnv: "MY_KEYS", TTL: 2 * time.Hour}, map[string]string{"MY_KEYS": otherKey}, 1, 2 * time.Hour, ""},
		{"a missing file", config.Tokens{KeysFile: "/nonexistent/keys"}, nil, 0, 0, "tokens.keys_file: read /nonexistent/keys"},
		{"a short key", config.Tokens{}, map[string]string{config.DefaultTokenKeysEnv: "c2hvcnQ="}, 0, 0, "tokens.keys_env: key 1 is not 32 bytes"},
		{"a silly ttl", config.Tokens{TTL: time.Second}, nil, 0, 0, "tokens.ttl: 1s must be between"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := base()
			c.Tokens = tc.tokens
			env := map[string]string{config.DefaultClientSecretEnv: "s", config.DefaultSessionKeysEnv: key}
			for k, v := range tc.env {
				env[k] = v
			}
			err := c.Resolve(func(k string) string { return env[k] })
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(c.TokenKeys) != tc.wantKeys || c.Tokens.TTL != tc.wantTTL {
				t.Errorf("keys %d, ttl %s; want %d, %s", len(c.TokenKeys), c.Tokens.TTL, tc.wantKeys, tc.wantTTL)
			}
		})
	}
}
