// Package moto runs moto_server (the Python moto package's stand-in for AWS
// services, written by others) on a loopback port for tests, and makes
// DynamoDB tables on it shaped as secds needs them.
package moto

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/secds/secds/internal/testutil"
)

// RequireEnv turns a missing moto_server from a skip into a failure; the
// Makefile exports it (the same switch as the other end-to-end tools).
const RequireEnv = "SECDS_REQUIRE_E2E"

// Region is the region tests use; moto keeps tables per region.
const Region = "us-east-1"

// Server is a running moto_server.
type Server struct {
	URL string // http://127.0.0.1:PORT
}

// Start runs moto_server for t on a free loopback port and stops it when t
// ends.
//
// moto_server handles requests on several threads and does not make a
// conditional write atomic against another one running at the same time,
// as DynamoDB does for every write to an item. The tests are about the
// stores' use of those conditions, so Server.URL is a proxy that hands moto
// one request at a time.
func Start(t testing.TB) *Server {
	t.Helper()
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		if os.Getenv(RequireEnv) == "1" {
			t.Fatalf("moto_server is required because %s=1: %v (pip install 'moto[server]')", RequireEnv, err)
		}
		t.Skipf("skipping: moto_server is not available: %v (%s=1 turns this skip into a failure)", err, RequireEnv)
	}
	// The port is free when chosen, but another process may take it before
	// moto binds it: then moto exits, and a new port is tried.
	var backend string
	for attempt := 1; backend == ""; attempt++ {
		var why string
		backend, why = startOnce(t, bin)
		if backend == "" && attempt == 5 {
			t.Fatalf("moto_server did not start in 5 tries: %s", why)
		}
	}
	target, _ := url.Parse(backend)
	rp := httputil.NewSingleHostReverseProxy(target)
	var one sync.Mutex
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		one.Lock()
		defer one.Unlock()
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(proxy.Close)
	return &Server{URL: proxy.URL}
}

// startOnce starts moto on a free port and waits until moto itself (not
// whatever else may listen there) answers; it returns its URL, or "" and
// why not.
func startOnce(t testing.TB, bin string) (string, string) {
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	logs := &testutil.Buffer{}
	cmd := exec.Command(bin, "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("start moto_server: %v", err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	stop := func() {
		_ = cmd.Process.Kill()
		<-done
	}
	u := "http://127.0.0.1:" + strconv.Itoa(port)
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case <-done:
			return "", "moto_server exited at start: " + logs.String()
		default:
		}
		if resp, err := http.Get(u + "/moto-api/"); err == nil {
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK && strings.Contains(strings.ToLower(string(body)), "moto") {
				t.Cleanup(stop)
				return u, ""
			}
		}
		if time.Now().After(deadline) {
			stop()
			return "", "moto_server did not answer within 30s: " + logs.String()
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// staticCreds are test credentials; moto accepts any.
var staticCreds = credentials.NewStaticCredentialsProvider("AKIAMOTOTESTKEY00000", "moto-test-secret", "")

// Config is an AWS configuration for the server: static test credentials
// (moto accepts any) and its endpoint for every service.
func (s *Server) Config() aws.Config {
	return aws.Config{
		Region:       Region,
		Credentials:  staticCreds,
		BaseEndpoint: aws.String(s.URL),
	}
}

// DynamoDB is a real SDK client for the server.
func (s *Server) DynamoDB(optFns ...func(*dynamodb.Options)) *dynamodb.Client {
	return dynamodb.NewFromConfig(s.Config(), optFns...)
}

var tableSeq struct {
	sync.Mutex
	n int
}

// NewTable creates a table shaped as docs/dynamodb.md says (string keys pk
// and sk, on-demand, Time to Live on expires_at) and returns its name.
func (s *Server) NewTable(t testing.TB) string {
	t.Helper()
	tableSeq.Lock()
	tableSeq.n++
	name := fmt.Sprintf("secds-test-%d", tableSeq.n)
	tableSeq.Unlock()
	if err := CreateTable(context.Background(), s.DynamoDB(), name); err != nil {
		t.Fatal(err)
	}
	return name
}

// CreateTable creates a secds table.
func CreateTable(ctx context.Context, c *dynamodb.Client, name string) error {
	_, err := c.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName: aws.String(name),
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String("sk"), AttributeType: types.ScalarAttributeTypeS},
		},
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String("sk"), KeyType: types.KeyTypeRange},
		},
		BillingMode: types.BillingModePayPerRequest,
	})
	if err != nil {
		return fmt.Errorf("create table %s: %w", name, err)
	}
	_, err = c.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
		TableName:               aws.String(name),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{AttributeName: aws.String("expires_at"), Enabled: aws.Bool(true)},
	})
	if err != nil {
		return fmt.Errorf("enable Time to Live on %s: %w", name, err)
	}
	return nil
}
