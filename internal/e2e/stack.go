package e2e

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/secds/secds/configs"
	"github.com/secds/secds/internal/compose"
	"github.com/secds/secds/internal/config"
	"github.com/secds/secds/internal/dev/awsemu"
	"github.com/secds/secds/internal/dev/devidp"
	"github.com/secds/secds/internal/dev/devstack"
	"github.com/secds/secds/internal/dev/iamseed"
	"github.com/secds/secds/internal/testutil"
	"github.com/secds/secds/internal/testutil/moto"
)

// StackOptions configure a broker stack. The zero value is the dev stack's
// shape: the dev identity provider, one broker, plain http on loopback.
type StackOptions struct {
	// Provider is the OpenID provider people sign in at: Ory Hydra (see
	// StartProvider). Nil: the dev identity provider (internal/dev/devidp)
	// in process, with Users, as secds-broker --dev runs it.
	Provider *Provider
	// Users are the dev identity provider's people; default
	// devidp.DemoUsers(). With Hydra, its provider has the users.
	Users []devidp.User
	// Replicas is the number of brokers behind the proxy; default 2 with
	// Hydra (production's shape), 1 with the dev identity provider.
	Replicas int
	// Scheme of the public URL: "https" (TLS ends at the proxy, as in
	// production: see RoundRobin) or "http" (loopback, as the dev stack
	// runs). Default https with Hydra, http with the dev identity provider.
	Scheme string
	// Seed is the AWS emulator's state; default TestSeed() with Hydra, the
	// dev stack's seed (configs.DevAWS) with the dev identity provider.
	Seed *awsemu.Seed
	// Mapping is the team mapping the brokers start with; default the dev
	// mapping (configs.DevTeams). The emulator's IAM gets the policies
	// generated from it (and from each edit of it).
	Mapping []byte
	// MappingDir holds the mapping file (teams.yaml, written from Mapping
	// unless one is there) and its history; default a new temporary
	// directory. A second stack on the same directory is the same broker
	// restarted, with new keys.
	MappingDir string
	// HTTPClient is the brokers' client for the identity provider, for
	// tests that watch what the provider returns.
	HTTPClient *http.Client
	// Now is the brokers' clock; default time.Now.
	Now func() time.Time
	// SharedStore runs the replicas on one DynamoDB table in moto_server
	// (mapping_store: dynamodb), as the Kubernetes shared-store deployment
	// does: the mapping file only seeds the empty table, and the mapping's
	// versions, spent login codes and revocations live in the table.
	SharedStore bool
}

// Stack is secds as deployed, on loopback: broker replicas built with
// compose.Build from one configuration file (same keys, same client) behind
// a round-robin proxy whose URL is the public one, signing people in at an
// OpenID provider and opening notebooks in the AWS emulator. With Hydra the
// public URL is https by default: the proxy terminates TLS with the run's
// test certificate (TestPKI), which Browser and HTTPUser trust and the CLI
// is told about (ConfigureArgs).
//
// When the test ends, the stack fails it if a secret (the client secret,
// a key, or any cookie, code, token or presigned URL registered with
// Secret) reached the logs, the audit trail or a response body.
type Stack struct {
	URL      string // the public URL: the proxy's
	PKI      *PKI   // the CA and certificate the proxy serves (https only)
	Proxy    *RoundRobin
	Replicas []*Replica
	AWS      *awsemu.Emulator
	Provider *Provider        // Hydra, or nil
	DevIdP   *devidp.Provider // the dev identity provider, or nil
	// ProviderURL is where the brokers send people to sign in: Hydra's
	// public URL or the dev identity provider's.
	ProviderURL string
	Config      *config.Config
	ConfigFile  string
	MappingFile string // the mapping every replica serves (file store); the seed with SharedStore
	// Moto and Table are the shared store's server and table (SharedStore).
	Moto  *moto.Server
	Table string
	Logs  *testutil.Buffer // every replica's log lines
	Audit *testutil.Buffer // every replica's audit events, as a collector would gather them
	// Responses are the replicas' answers: status, headers and body, but
	// the cookies they set and the places a presigned URL or a CLI login
	// code may go (see capture).
	Responses *testutil.Buffer

	stop    func()
	mu      sync.Mutex
	secrets map[string]string
}

// Replica is one broker process's worth of state.
type Replica struct {
	URL        string
	MetricsURL string // its metrics listener: MetricsURL + "/metrics"
	Broker     *compose.Broker
}

// TestSeed is the dev stack's AWS seed with both of alice's notebooks in
// service, so that she has a choice to make.
func TestSeed(t testing.TB) awsemu.Seed {
	t.Helper()
	seed := devSeed(t)
	for i := range seed.Notebooks {
		if seed.Notebooks[i].Name == "fraud-alice-scratch" {
			seed.Notebooks[i].Status = "InService"
		}
	}
	return seed
}

func devSeed(t testing.TB) awsemu.Seed {
	t.Helper()
	seed, err := awsemu.ParseSeed(configs.DevAWS)
	if err != nil {
		t.Fatal(err)
	}
	return seed
}

// StartStack starts a stack for t and stops it when t ends. With Hydra it
// registers a fresh OAuth2 client, so stacks sharing a provider do not see
// each other's logins.
func StartStack(t testing.TB, opts StackOptions) *Stack {
	t.Helper()
	if opts.Replicas == 0 {
		opts.Replicas = 1
		if opts.Provider != nil {
			opts.Replicas = 2
		}
	}
	if opts.Seed == nil {
		s := devSeed(t)
		if opts.Provider != nil {
			s = TestSeed(t)
		}
		opts.Seed = &s
	}
	if opts.Mapping == nil {
		opts.Mapping = configs.DevTeams
	}
	switch opts.Scheme {
	case "":
		opts.Scheme = "http"
		if opts.Provider != nil {
			opts.Scheme = "https"
		}
	case "https", "http":
	default:
		t.Fatalf("StackOptions.Scheme %q: want https or http", opts.Scheme)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	st := &Stack{Provider: opts.Provider, Logs: &testutil.Buffer{}, Audit: &testutil.Buffer{}, Responses: &testutil.Buffer{}, secrets: map[string]string{}}
	log := slog.New(slog.NewJSONHandler(st.Logs, &slog.HandlerOptions{Level: slog.LevelDebug}))

	// The proxy's address is the public URL the brokers are configured with,
	// so it must exist before them; it serves once they do.
	proxyLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { proxyLn.Close() })
	st.URL = opts.Scheme + "://" + proxyLn.Addr().String()
	if opts.Scheme == "https" {
		st.PKI = TestPKI(t)
		proxyLn = tls.NewListener(proxyLn, st.PKI.ServerConfig())
	}

	clientID, secret := "secds-e2e-"+randomHex(4), randomHex(24)
	redirect := st.URL + "/callback"
	issuer := ""
	if p := opts.Provider; p != nil {
		if err := p.Hydra.Admin.CreateClient(ctx, BrokerClient(clientID, secret, redirect)); err != nil {
			t.Fatal(err)
		}
		issuer, st.ProviderURL = p.Issuer(), p.Hydra.PublicURL
	} else {
		issuer = startDevIdP(ctx, t, st, devidp.Client{ID: clientID, Secret: secret, RedirectURIs: []string{redirect}}, opts.Users)
	}
	dir := t.TempDir()
	mappingDir := opts.MappingDir
	if mappingDir == "" {
		mappingDir = dir
	}
	st.MappingFile = filepath.Join(mappingDir, "teams.yaml")
	if _, err := os.Stat(st.MappingFile); err != nil {
		if err := os.WriteFile(st.MappingFile, opts.Mapping, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// IAM starts with the generated policies of the mapping the brokers
	// start with, and follows its edits (below).
	mapping, err := compose.LoadMapping(st.MappingFile)
	if err != nil {
		t.Fatal(err)
	}
	emu, awsCfg, err := devstack.StartAWS(ctx, *opts.Seed, mapping, log)
	if err != nil {
		t.Fatal(err)
	}
	st.AWS = emu
	var store string
	if opts.SharedStore {
		st.Moto = moto.Start(t)
		st.Table = st.Moto.NewTable(t)
		store = fmt.Sprintf("mapping_store:\n  type: dynamodb\n  table: %s\n  endpoint: %s\n  start_timeout: 5s\n", st.Table, st.Moto.URL)
	}
	st.ConfigFile = writeBrokerConfig(t, dir, st.URL, issuer, clientID, secret, st.MappingFile, store)
	if st.Config, err = config.Load(st.ConfigFile); err != nil {
		t.Fatal(err)
	}

	var backends []string
	var servers []*httptest.Server
	for i := range opts.Replicas {
		b, err := compose.Build(ctx, st.Config, compose.Options{
			Log:        log.With("replica", i),
			AuditOut:   st.Audit,
			AWS:        &awsCfg,
			HTTPClient: opts.HTTPClient,
			Now:        opts.Now,
		})
		if err != nil {
			for _, r := range st.Replicas {
				_ = r.Broker.Close()
			}
			t.Fatalf("build replica %d: %v", i, err)
		}
		srv := httptest.NewServer(capture(b.Handler, st.Responses))
		metrics := httptest.NewServer(b.MetricsHandler)
		servers = append(servers, srv, metrics)
		st.Replicas = append(st.Replicas, &Replica{URL: srv.URL, MetricsURL: metrics.URL, Broker: b})
		backends = append(backends, srv.URL)
	}
	if err := iamseed.Follow(ctx, emu, st.Replicas[0].Broker.Mapping, devstack.BrokerPolicyOptions(*opts.Seed), log); err != nil {
		t.Fatal(err)
	}
	if st.Proxy, err = NewRoundRobin(backends...); err != nil {
		t.Fatal(err)
	}
	proxy := &http.Server{Handler: st.Proxy, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = proxy.Serve(proxyLn) }()
	var once sync.Once
	st.stop = func() {
		once.Do(func() {
			_ = proxy.Close()
			for _, s := range servers {
				s.Close()
			}
			for _, r := range st.Replicas {
				_ = r.Broker.Close()
			}
		})
	}
	t.Cleanup(st.stop)

	st.Secret("client secret", secret)
	for i, k := range st.Config.SessionKeys {
		st.Secret(fmt.Sprintf("session key %d", i), base64.StdEncoding.EncodeToString(k))
	}
	for i, k := range st.Config.TokenKeys {
		st.Secret(fmt.Sprintf("token key %d", i), base64.StdEncoding.EncodeToString(k))
	}
	t.Cleanup(func() { st.check(t) })
	return st
}

// startDevIdP starts the dev identity provider on ProviderHost, another
// site than the brokers', with the brokers' client, and returns its issuer.
func startDevIdP(ctx context.Context, t testing.TB, st *Stack, client devidp.Client, users []devidp.User) string {
	t.Helper()
	ln, err := net.Listen("tcp", net.JoinHostPort(ProviderHost, "0"))
	if err != nil {
		t.Fatal(err)
	}
	st.ProviderURL = "http://" + ln.Addr().String()
	if st.DevIdP, err = devidp.New(devidp.Config{Issuer: st.ProviderURL, Clients: []devidp.Client{client}, Users: users}); err != nil {
		ln.Close()
		t.Fatal(err)
	}
	go func() { _ = devidp.Serve(ctx, st.DevIdP, ln) }()
	return st.ProviderURL
}

// Stop shuts the brokers down before the test ends: the public URL stops
// answering, as when the broker is down, and a new stack on the same
// MappingDir is the broker restarted.
func (st *Stack) Stop() { st.stop() }

// Secret registers a value that must reach no log, audit event or
// response (values shorter than 8 bytes are not worth looking for).
func (st *Stack) Secret(what, v string) {
	if len(v) < 8 {
		return
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	st.secrets[what] = v
}

// Secrets are the values registered with Secret, by what they are.
func (st *Stack) Secrets() map[string]string {
	st.mu.Lock()
	defer st.mu.Unlock()
	out := make(map[string]string, len(st.secrets))
	for k, v := range st.secrets {
		out[k] = v
	}
	return out
}

// Broker is the first replica's broker (the only one of a dev-shaped stack).
func (st *Stack) Broker() *compose.Broker { return st.Replicas[0].Broker }

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

// AuditEvents are the audit events so far, oldest first.
func (st *Stack) AuditEvents(t testing.TB) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(st.Audit.String(), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		var ev map[string]any
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("audit line is not JSON: %q", line)
		}
		out = append(out, ev)
	}
	return out
}

// LastAudit is the newest audit event of a type for a user.
func (st *Stack) LastAudit(t testing.TB, typ, user string) map[string]any {
	t.Helper()
	evs := st.AuditEvents(t)
	for i := len(evs) - 1; i >= 0; i-- {
		if evs[i]["type"] == typ && evs[i]["user"] == user {
			return evs[i]
		}
	}
	t.Fatalf("no %s event for %s in the audit trail:\n%s", typ, user, st.Audit.String())
	return nil
}

// check fails t if a secret reached the logs, the audit trail or a
// response, and shows the logs' tails when t failed.
func (st *Stack) check(t testing.TB) {
	logs := st.Logs.String() + st.Audit.String()
	all := logs + st.Responses.String()
	if strings.Contains(all, "authToken") {
		t.Errorf("a presigned URL reached the logs, the audit trail or a response")
	}
	for what, v := range st.Secrets() {
		if strings.Contains(all, v) {
			t.Errorf("the %s appears in the logs, the audit trail or a response", what)
		}
	}
	for _, s := range []string{"dev-only-not-a-real-secret", "SessionToken", "X-Amz-Security-Token"} {
		if strings.Contains(all, s) {
			t.Errorf("%q appears in the logs, the audit trail or a response", s)
		}
	}
	if t.Failed() {
		t.Logf("broker logs (tail):\n%s", tail(st.Logs.String(), 4000))
		t.Logf("audit events (tail):\n%s", tail(st.Audit.String(), 3000))
		if st.Provider != nil {
			t.Logf("hydra output (tail):\n%s", tail(st.Provider.Hydra.Output(), 3000))
		}
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
// a file with the secrets in files beside it, serving mappingFile.
func writeBrokerConfig(t testing.TB, dir, publicURL, issuer, clientID, secret, mappingFile, extra string) string {
	t.Helper()
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
mapping_file: %s
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
%s`, publicURL, mappingFile, issuer, clientID, extra)
	files := map[string][]byte{
		"broker.yaml":   []byte(cfg),
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
