package compose_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/secds/secds/abac"
	"github.com/secds/secds/broker"
	"github.com/secds/secds/configs"
	"github.com/secds/secds/internal/compose"
	"github.com/secds/secds/internal/config"
	"github.com/secds/secds/internal/dev/awsemu"
	"github.com/secds/secds/internal/dev/iamseed"
	"github.com/secds/secds/internal/iampolicy"
)

// TestAWSConnectionsReused: the broker's AWS clients keep an idle
// connection for every open that may talk to AWS at once, so a steady load
// of concurrent opens reuses its connections instead of dialling (against
// AWS: a TCP and TLS handshake) for most calls. The control is the SDK's
// own pool (10 idle connections per host) under the same load: it must
// dial well beyond the bound, or this test could not tell the two apart.
func TestAWSConnectionsReused(t *testing.T) {
	const (
		maxConcurrent = 32
		workers       = 32
		rounds        = 10
		// The first round dials for each open; net/http keeps a dial it
		// started even when a connection came back meanwhile.
		slack = 8
	)
	newConns := func(t *testing.T, client aws.HTTPClient) int64 {
		awsCfg, dials := startEmulator(t)
		awsCfg.HTTPClient = client
		b, err := compose.Build(t.Context(), brokerConfig(t, maxConcurrent), compose.Options{
			Log: slog.New(slog.NewTextHandler(io.Discard, nil)), AuditOut: io.Discard, AWS: &awsCfg})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = b.Close() })
		alice := abac.Identity{Subject: "dev-alice", Username: "alice", Email: "alice@example.com", Groups: []string{"ds-fraud"}}
		open := func() error {
			_, err := b.Broker.Open(context.Background(), alice, broker.OpenRequest{Notebook: "fraud-alice",
				RequestMeta: broker.RequestMeta{ClientIP: "192.0.2.7", RequestID: "r1", Via: "api"}})
			return err
		}
		if err := open(); err != nil { // credentials and the notebook list are cached from here on
			t.Fatal(err)
		}
		// Rounds of concurrent opens, as traffic comes in bursts: between
		// two, every connection is idle at once.
		for range rounds {
			var wg sync.WaitGroup
			errs := make(chan error, workers)
			for range workers {
				wg.Go(func() {
					if err := open(); err != nil {
						errs <- err
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
		}
		return dials.Load()
	}
	got := newConns(t, nil)
	t.Logf("%d rounds of %d opens: %d connections", rounds, workers, got)
	if got > maxConcurrent+slack {
		t.Errorf("%d new connections for %d rounds of %d opens, want at most %d", got, rounds, workers, maxConcurrent+slack)
	}
	// The caller's own client is used as it is: here, the SDK's default pool.
	sdk := newConns(t, &http.Client{Transport: awshttp.NewBuildableClient().GetTransport()})
	t.Logf("with the SDK's default pool: %d connections", sdk)
	if sdk <= maxConcurrent+slack {
		t.Errorf("the SDK's default pool made only %d connections: the load does not show the difference", sdk)
	}
}

// startEmulator serves the dev seed's emulator, with IAM policies for the
// dev mapping, and counts the connections it accepts.
func startEmulator(t *testing.T) (aws.Config, *atomic.Int64) {
	t.Helper()
	var dials atomic.Int64
	_, cfg := serveDevEmulator(t, func(h http.Handler) *httptest.Server {
		srv := httptest.NewUnstartedServer(h)
		srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
			if s == http.StateNew {
				dials.Add(1)
			}
		}
		srv.Start()
		return srv
	})
	cfg.RetryMaxAttempts = 1
	return cfg, &dials
}

// serveDevEmulator builds the dev seed's emulator with the IAM policies
// generated for the dev mapping, serves it on the server serve makes of
// its handler, and returns it with the SDK configuration that reaches it
// as the broker (the seed's first credentials).
func serveDevEmulator(t *testing.T, serve func(http.Handler) *httptest.Server) (*awsemu.Emulator, aws.Config) {
	t.Helper()
	m, err := abac.Parse("teams.yaml", configs.DevTeams)
	if err != nil {
		t.Fatal(err)
	}
	seed, err := awsemu.ParseSeed(configs.DevAWS)
	if err != nil {
		t.Fatal(err)
	}
	if seed, err = iamseed.Apply(seed, m, iampolicy.Options{BrokerPrincipal: seed.Credentials[0].Principal}); err != nil {
		t.Fatal(err)
	}
	emu, err := awsemu.New(seed)
	if err != nil {
		t.Fatal(err)
	}
	srv := serve(emu.Handler())
	t.Cleanup(srv.Close)
	emu.SetBaseURL(srv.URL)
	cred := seed.Credentials[0]
	return emu, aws.Config{
		Region:       seed.Region,
		Credentials:  credentials.NewStaticCredentialsProvider(cred.AccessKeyID, cred.SecretAccessKey, ""),
		BaseEndpoint: aws.String(srv.URL),
	}
}

// brokerConfig is a broker on the dev mapping with aws.max_concurrent set.
func brokerConfig(t *testing.T, maxConcurrent int) *config.Config {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"client-secret": "s3cret\n",
		"session-keys":  base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32)) + "\n",
		"teams.yaml":    string(configs.DevTeams),
		"broker.yaml": fmt.Sprintf(`public_url: http://127.0.0.1:8080
oidc: {issuer: "http://127.0.0.1:1", client_id: secds, client_secret_file: client-secret}
session: {keys_file: session-keys}
aws: {region: us-east-1, max_concurrent: %d}
metrics: {listen: "off"}
mapping_file: teams.yaml
`, maxConcurrent),
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cfg, err := config.Load(filepath.Join(dir, "broker.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}
