package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/secds/secds/internal/config"
)

const key = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=" // 32 bytes, base64

func write(t *testing.T, dir, name, content string, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadReadsSecretsFromFilesAndEnvironment(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "secret", "client-secret\n", 0o600)
	write(t, dir, "keys", "# rotation: new key first\n"+key+"\n"+key+"\n", 0o600)
	p := write(t, dir, "broker.yaml", `public_url: https://notebooks.example
mapping_file: teams.yaml
oidc: {issuer: https://idp.example, client_id: secds, client_secret_file: secret}
session: {keys_file: keys, ttl: 4h}
trusted_proxies: [10.0.0.0/8]
`, 0o644)
	c, err := config.Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if c.ClientSecret != "client-secret" || len(c.SessionKeys) != 2 || c.MappingFile != filepath.Join(dir, "teams.yaml") ||
		c.Listen != "127.0.0.1:8080" || c.Public.String() != "https://notebooks.example" || len(c.Proxies) != 1 {
		t.Errorf("config = %+v", c)
	}

	t.Setenv(config.DefaultClientSecretEnv, "from-env")
	t.Setenv(config.DefaultSessionKeysEnv, key)
	p = write(t, dir, "env.yaml", "public_url: http://127.0.0.1:8080\nmapping_file: t.yaml\noidc: {issuer: https://idp.example, client_id: secds}\n", 0o644)
	if c, err = config.Load(p); err != nil || c.ClientSecret != "from-env" || len(c.SessionKeys) != 1 {
		t.Fatalf("from the environment: %+v, %v", c, err)
	}
}

func TestLoadReportsEveryProblem(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(config.DefaultClientSecretEnv, "")
	t.Setenv(config.DefaultSessionKeysEnv, "bm90IDMyIGJ5dGVz")
	p := write(t, dir, "broker.yaml", "public_url: http://notebooks.example/path\noidc: {}\ntrusted_proxies: [nonsense]\n", 0o644)
	_, err := config.Load(p)
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"public_url", "mapping_file: is required", "oidc.issuer: is required", "oidc.client_id: is required",
		"SECDS_OIDC_CLIENT_SECRET", "key 1 is not 32 bytes", `"nonsense" is not a CIDR`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in:\n%v", want, err)
		}
	}
	if strings.Contains(err.Error(), "bm90IDMyIGJ5dGVz") {
		t.Error("the error shows the key")
	}
	p = write(t, dir, "typo.yaml", "public_urll: x\n", 0o644)
	if _, err := config.Load(p); err == nil || !strings.Contains(err.Error(), "public_urll") {
		t.Errorf("unknown key: %v", err)
	}
}

func TestPlainHTTPOnlyOnLoopback(t *testing.T) {
	for u, ok := range map[string]bool{"http://127.0.0.1:8080": true, "http://localhost:8080": true, "http://notebooks.example": false, "https://notebooks.example": true} {
		c := config.Config{PublicURL: u, MappingFile: "m", OIDC: config.OIDC{Issuer: "https://idp.example", ClientID: "c"}}
		err := c.Resolve(func(k string) string {
			return map[string]string{config.DefaultClientSecretEnv: "s", config.DefaultSessionKeysEnv: key}[k]
		})
		if (err == nil) != ok {
			t.Errorf("%s: err = %v", u, err)
		}
	}
}
