package e2e

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// PKI is a certificate authority made for one test run and the one server
// certificate it signed: for 127.0.0.1 (an IP SAN, as browsers require),
// ECDSA P-256. The TLS-terminating proxy in front of the broker serves the
// leaf; Chromium trusts exactly that leaf's key (SPKIHash), the CLI and the
// Go clients trust exactly the CA (Pool, CAPEM). Nothing trusts everything.
type PKI struct {
	CAPEM    []byte         // the CA certificate, PEM, for secds configure --ca-file
	Pool     *x509.CertPool // the CA alone
	Leaf     tls.Certificate
	SPKIHash string // base64 SHA-256 of the leaf's SubjectPublicKeyInfo (RFC 7469 §2.4)
}

// pki is the run's PKI: Chromium's trust is fixed when it starts, so every
// browser and every stack of a run share one.
var pki struct {
	once sync.Once
	p    *PKI
	err  error
}

// TestPKI returns the run's PKI, making it on first use.
func TestPKI(t testing.TB) *PKI {
	t.Helper()
	pki.once.Do(func() { pki.p, pki.err = NewPKI(time.Now()) })
	if pki.err != nil {
		t.Fatal(pki.err)
	}
	return pki.p
}

// NewPKI makes a CA and a leaf for 127.0.0.1, valid from an hour before now
// for a day.
func NewPKI(now time.Time) (*PKI, error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("make the test CA's key: %w", err)
	}
	notBefore, notAfter := now.Add(-time.Hour), now.Add(24*time.Hour)
	caTmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: "secds e2e test CA", Organization: []string{"secds tests"}},
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, fmt.Errorf("sign the test CA: %w", err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, fmt.Errorf("parse the test CA: %w", err)
	}

	leafKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("make the server key: %w", err)
	}
	leafTmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		NotBefore:    notBefore,
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTmpl, ca, &leafKey.PublicKey, caKey)
	if err != nil {
		return nil, fmt.Errorf("sign the server certificate: %w", err)
	}
	leaf, err := x509.ParseCertificate(leafDER)
	if err != nil {
		return nil, fmt.Errorf("parse the server certificate: %w", err)
	}
	sum := sha256.Sum256(leaf.RawSubjectPublicKeyInfo)
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	return &PKI{
		CAPEM:    pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
		Pool:     pool,
		Leaf:     tls.Certificate{Certificate: [][]byte{leafDER, caDER}, PrivateKey: leafKey, Leaf: leaf},
		SPKIHash: base64.StdEncoding.EncodeToString(sum[:]),
	}, nil
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err))
	}
	return n
}

// ServerConfig is what a TLS listener serving the leaf needs.
func (p *PKI) ServerConfig() *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{p.Leaf}, MinVersion: tls.VersionTLS12}
}

// Transport is an HTTP transport that trusts the test CA and nothing else.
func (p *PKI) Transport() *http.Transport {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: p.Pool, MinVersion: tls.VersionTLS12}
	return tr
}

// CAFile writes the CA certificate into a fresh directory of t and returns
// its path, as a user would save the file the platform team hands out.
func (p *PKI) CAFile(t testing.TB) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "secds-test-ca.pem")
	if err := os.WriteFile(path, p.CAPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
