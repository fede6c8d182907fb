package e2e

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/secds/secds/configs"
	"github.com/secds/secds/internal/compose"
	"github.com/secds/secds/internal/config"
	"github.com/secds/secds/internal/dev/awsemu"
)

// StackOptions configure a broker stack.
type StackOptions struct {
	Provider *Provider // required
	Replicas int       // default 2
	// Seed is the AWS emulator's state; default TestSeed().
	Seed *awsemu.Seed
	// HTTPClient is the brokers' client for the identity provider, for
	// tests that watch what the provider returns.
	HTTPClient *http.Client
	// Now is the brokers' clock; default time.Now.
	Now func() time.Time
	// Scheme of the public URL: "https" (the default, as in production:
	// TLS ends at the proxy, see RoundRobin) or "http" (loopback, as the
	// dev stack runs).
	Scheme string
}

// Stack is secds as deployed, on loopback: several broker replicas built
// from one configuration file (same keys, same client) behind a round-robin
// proxy whose URL is the public one, signing people in at a real OpenID
// provider and opening notebooks in the AWS emulator. By default the public
// URL is https: the proxy terminates TLS with the run's test certificate
// (TestPKI), which Browser and HTTPUser trust and the CLI is told about.
type Stack struct {
	URL        string // the public URL: the proxy's
	PKI        *PKI   // the CA and certificate the proxy serves (https only)
	Proxy      *RoundRobin
	Replicas   []*Replica
	AWS        *awsemu.Emulator
	Provider   *Provider
	Config     *config.Config
	ConfigFile string
	Logs       *lockedBuffer // every replica's log lines
	Audit      *lockedBuffer // every replica's audit events, as a collector would gather them
}

// Replica is one broker process's worth of state.
type Replica struct {
	URL    string
	Broker *compose.Broker
}

// TestSeed is the dev stack's AWS seed with both of alice's notebooks in
// service, so that she has a choice to make.
func TestSeed(t testing.TB) awsemu.Seed {
	t.Helper()
	seed, err := awsemu.ParseSeed(configs.DevAWS)
	if err != nil {
		t.Fatal(err)
	}
	for i := range seed.Notebooks {
		if seed.Notebooks[i].Name == "fraud-alice-scratch" {
			seed.Notebooks[i].Status = "InService"
		}
	}
	return seed
}

// StartStack starts a stack for t and stops it when t ends. It registers a
// fresh OAuth2 client at the provider, so stacks sharing a provider do not
// see each other's logins.
func StartStack(t testing.TB, opts StackOptions) *Stack {
	t.Helper()
	if opts.Replicas == 0 {
		opts.Replicas = 2
	}
	if opts.Seed == nil {
		s := TestSeed(t)
		opts.Seed = &s
	}
	switch opts.Scheme {
	case "":
		opts.Scheme = "https"
	case "https", "http":
	default:
		t.Fatalf("StackOptions.Scheme %q: want https or http", opts.Scheme)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	st := &Stack{Provider: opts.Provider, Logs: &lockedBuffer{}, Audit: &lockedBuffer{}}
	log := slog.New(slog.NewJSONHandler(st.Logs, &slog.HandlerOptions{Level: slog.LevelDebug}))

	var err error
	if st.AWS, err = awsemu.New(*opts.Seed, awsemu.WithLogger(log.With("component", "awsemu"))); err != nil {
		t.Fatal(err)
	}
	awsURL, err := awsemu.Serve(ctx, st.AWS, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}

	// The proxy's address is the public URL the brokers are configured with,
	// so it must exist before them; it serves once they do.
	proxyLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	st.URL = opts.Scheme + "://" + proxyLn.Addr().String()
	if opts.Scheme == "https" {
		st.PKI = TestPKI(t)
		proxyLn = tls.NewListener(proxyLn, st.PKI.ServerConfig())
	}

	clientID, secret := "secds-e2e-"+randomHex(4), randomHex(24)
	if err := opts.Provider.Hydra.Admin.CreateClient(ctx, BrokerClient(clientID, secret, st.URL+"/callback")); err != nil {
		proxyLn.Close()
		t.Fatal(err)
	}
	st.ConfigFile = writeBrokerConfig(t, st.URL, opts.Provider.Issuer(), clientID, secret)
	if st.Config, err = config.Load(st.ConfigFile); err != nil {
		proxyLn.Close()
		t.Fatal(err)
	}

	cred := opts.Seed.Credentials[0]
	awsCfg := aws.Config{
		Region:       opts.Seed.Region,
		Credentials:  credentials.NewStaticCredentialsProvider(cred.AccessKeyID, cred.SecretAccessKey, ""),
		BaseEndpoint: aws.String(awsURL),
	}
	var backends []string
	for i := range opts.Replicas {
		b, err := compose.Build(ctx, st.Config, compose.Options{
			Log:        log.With("replica", i),
			AuditOut:   st.Audit,
			AWS:        &awsCfg,
			HTTPClient: opts.HTTPClient,
			Now:        opts.Now,
		})
		if err != nil {
			proxyLn.Close()
			t.Fatalf("build replica %d: %v", i, err)
		}
		srv := httptest.NewServer(b.Handler)
		t.Cleanup(func() {
			srv.Close()
			_ = b.Close()
		})
		st.Replicas = append(st.Replicas, &Replica{URL: srv.URL, Broker: b})
		backends = append(backends, srv.URL)
	}
	if st.Proxy, err = NewRoundRobin(backends...); err != nil {
		proxyLn.Close()
		t.Fatal(err)
	}
	proxy := &http.Server{Handler: st.Proxy, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = proxy.Serve(proxyLn) }()
	t.Cleanup(func() { _ = proxy.Close() })

	secrets := map[string]string{"client secret": secret}
	for i, k := range st.Config.SessionKeys {
		secrets[fmt.Sprintf("session key %d", i)] = base64.StdEncoding.EncodeToString(k)
	}
	for i, k := range st.Config.TokenKeys {
		secrets[fmt.Sprintf("token key %d", i)] = base64.StdEncoding.EncodeToString(k)
	}
	t.Cleanup(func() { st.check(t, secrets) })
	return st
}

// ConfigureArgs are the arguments of the secds configure a user of this
// stack runs: the public URL and, on https, --ca-file with the test CA, as
// for a broker whose certificate comes from the company's own CA.
func (st *Stack) ConfigureArgs(t testing.TB) []string {
	args := []string{"configure", "--broker", st.URL}
	if st.PKI != nil {
		args = append(args, "--ca-file", st.PKI.CAFile(t))
	}
	return args
}

// check fails t if a secret reached the logs or the audit trail, and shows
// the logs' tails when t failed.
func (st *Stack) check(t testing.TB, secrets map[string]string) {
	all := st.Logs.String() + st.Audit.String()
	if strings.Contains(all, "authToken") {
		t.Errorf("a presigned URL reached the logs")
	}
	for what, v := range secrets {
		if strings.Contains(all, v) {
			t.Errorf("the %s appears in the logs or the audit trail", what)
		}
	}
	if t.Failed() {
		t.Logf("broker logs (tail):\n%s", tail(st.Logs.String(), 4000))
		t.Logf("audit events (tail):\n%s", tail(st.Audit.String(), 3000))
		t.Logf("hydra output (tail):\n%s", tail(st.Provider.Hydra.Output(), 3000))
		t.Logf("requests through the proxy: %+v", st.Proxy.Hops())
	}
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "..." + s[len(s)-n:]
}

// writeBrokerConfig writes the configuration a real deployment would have:
// a file with the secrets in files beside it, and the dev team mapping.
func writeBrokerConfig(t testing.TB, publicURL, issuer, clientID, secret string) string {
	t.Helper()
	dir := t.TempDir()
	key, tokenKey := make([]byte, 32), make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		t.Fatal(err)
	}
	if _, err := rand.Read(tokenKey); err != nil {
		t.Fatal(err)
	}
	cfg := fmt.Sprintf(`# Written by the end-to-end harness.
listen: 127.0.0.1:0
metrics: {listen: "127.0.0.1:0"}
public_url: %s
# The proxy in front, as an ALB's subnets would be.
trusted_proxies: [127.0.0.1/32]
mapping_file: teams.yaml
oidc:
  issuer: %s
  client_id: %s
  client_secret_file: client-secret
session:
  keys_file: session-keys
  ttl: 1h
tokens:
  keys_file: token-keys
  ttl: 1h
aws:
  region: us-east-1
  discovery_ttl: 1s
`, publicURL, issuer, clientID)
	files := map[string][]byte{
		"broker.yaml":   []byte(cfg),
		"teams.yaml":    configs.DevTeams,
		"client-secret": []byte(secret + "\n"),
		"session-keys":  []byte(base64.StdEncoding.EncodeToString(key) + "\n"),
		"token-keys":    []byte(base64.StdEncoding.EncodeToString(tokenKey) + "\n"),
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, "broker.yaml")
}
