package cli

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"io"
	"log"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/secds/secds/internal/api"
)

// TestConfigureCAFile: a broker whose certificate comes from a private CA
// is refused with the fix named, works with --ca-file naming that CA (and
// the profile keeps it for later commands), and stays refused with the
// wrong CA or a file that holds no certificate.
func TestConfigureCAFile(t *testing.T) {
	broker := httptest.NewUnstartedServer(nil)
	broker.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes are the point
	broker.StartTLS()
	defer broker.Close()
	broker.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != discoveryPath {
			http.NotFound(w, r)
			return
		}
		_ = json.NewEncoder(w).Encode(api.Configuration{BrokerURL: broker.URL, CLILoginPath: "/cli/login",
			TokenEndpoint: broker.URL + "/api/v1/cli/token", APIBase: broker.URL + "/api/v1", CLILogin: true})
	})

	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	certPEM := func(s *httptest.Server) []byte { // httptest's own CA-flagged certificate

		return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.Certificate().Raw})
	}
	right, wrong := write("right.pem", certPEM(broker)), write("wrong.pem", otherCA(t))
	notPEM := write("not.pem", []byte("not a certificate\n"))

	tests := []struct {
		name     string
		args     []string
		code     int
		stderr   string
		wantFile string // the profile's ca_file after the run
	}{
		{"system roots only", nil, ExitUnavailable, "secds configure --broker " + broker.URL + " --ca-file PATH", ""},
		{"the broker's CA", []string{"--ca-file", right}, ExitOK, "now uses the broker", right},
		{"another CA", []string{"--ca-file", wrong}, ExitUnavailable, "not signed by the CA in " + wrong, ""},
		{"no certificate in the file", []string{"--ca-file", notPEM}, ExitUsage, "holds no PEM certificate", ""},
		{"no such file", []string{"--ca-file", filepath.Join(dir, "missing.pem")}, ExitUsage, "missing.pem", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			home := t.TempDir()
			var stderr strings.Builder
			env := Env{Stdout: &strings.Builder{}, Stderr: &stderr, Keyring: failingKeyring{},
				Getenv: func(k string) string { return map[string]string{"HOME": home}[k] }}
			code := Run(context.Background(), append([]string{"configure", "--broker", broker.URL}, tc.args...), env)
			if code != tc.code || !strings.Contains(stderr.String(), tc.stderr) {
				t.Fatalf("exit %d, want %d; stderr %q, want it to contain %q", code, tc.code, stderr.String(), tc.stderr)
			}
			if code != ExitOK {
				return
			}
			a := &App{env: env.withDefaults(), profileName: DefaultProfile}
			p, err := a.profile()
			if err != nil {
				t.Fatal(err)
			}
			if p.CAFile != tc.wantFile {
				t.Errorf("profile ca_file = %q, want %q", p.CAFile, tc.wantFile)
			}
			// A later command (a new run) reaches the broker with the
			// profile's CA.
			if err := a.call(context.Background(), p, http.MethodGet, broker.URL+discoveryPath, "", nil, nil); err != nil {
				t.Errorf("a later call with the profile: %v", err)
			}
		})
	}
}

// otherCA is a CA certificate that signed nothing the broker serves.
func otherCA(t *testing.T) []byte {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "another CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}
