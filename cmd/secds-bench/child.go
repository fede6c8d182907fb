package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/labstack/echo/v4"

	"github.com/secds/secds/auth"
	"github.com/secds/secds/internal/compose"
	"github.com/secds/secds/internal/config"
	"github.com/secds/secds/internal/dev/devstack"
	"github.com/secds/secds/internal/testutil/otlpsink"
	"github.com/secds/secds/server"
)

// The harness runs what it measures in child processes of its own binary
// (secds-bench -child ROLE), so that a process's CPU time and peak RSS are
// the server's alone and not the load generator's. A child prints one line,
// "ready URL...", when it serves, and exits when its stdin closes (the
// harness ended, however it ended).

// runChild serves role until stdin closes.
func runChild(role string, args []string) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		cancel()
	}()
	var urls []string
	var err error
	switch role {
	case "aws":
		urls, err = serveAWS(ctx, args)
	case "broker":
		urls, err = serveBroker(ctx, args)
	case "floor":
		urls, err = serveFloor(ctx, args)
	case "upstream":
		urls, err = serveUpstream(ctx)
	case "otlp":
		urls, err = serveOTLP(ctx)
	default:
		err = fmt.Errorf("unknown child role %q", role)
	}
	if err != nil {
		return err
	}
	fmt.Println("ready " + strings.Join(urls, " "))
	<-ctx.Done()
	for _, f := range atExit {
		f()
	}
	return nil
}

// atExit runs when the child's stdin closes, before it exits: the broker's
// Close, which flushes its spans.
var atExit []func()

func childLog(dir, name string) (*slog.Logger, error) {
	f, err := os.OpenFile(filepath.Join(dir, name), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	// Warnings and errors only: a line per request would measure the log.
	return slog.New(slog.NewJSONHandler(f, &slog.HandlerOptions{Level: slog.LevelWarn})), nil
}

// serveAWS runs the emulator of a world (args: dir kind notebooks), IAM
// seeded from the world's mapping, and a count of the AWS calls it served
// by operation, on a listener of its own, which the harness reads around
// each run.
func serveAWS(ctx context.Context, args []string) ([]string, error) {
	if len(args) != 3 {
		return nil, errors.New("aws: want DIR KIND NOTEBOOKS")
	}
	dir := args[0]
	var n int
	if _, err := fmt.Sscan(args[2], &n); err != nil {
		return nil, fmt.Errorf("aws: notebooks: %w", err)
	}
	w := world{kind: args[1], notebooks: n}
	log, err := childLog(dir, "awsemu.log")
	if err != nil {
		return nil, err
	}
	m, err := compose.LoadMapping(filepath.Join(dir, "teams.yaml"))
	if err != nil {
		return nil, err
	}
	emu, _, err := devstack.StartAWS(ctx, w.seed(), m, log)
	if err != nil {
		return nil, err
	}
	// StartAWS serves the emulator; the counter sits in front of a second
	// listener on the same emulator, which is the one the broker is given.
	c := &callCounter{next: emu.Handler(), n: map[string]*atomic.Int64{}}
	awsURL, err := listenLoopback(ctx, c)
	if err != nil {
		return nil, err
	}
	emu.SetBaseURL(awsURL)
	countURL, err := listenLoopback(ctx, http.HandlerFunc(c.report))
	if err != nil {
		return nil, err
	}
	return []string{awsURL, countURL}, nil
}

// callCounter counts requests by AWS operation: SageMaker names it in
// X-Amz-Target; the broker's only STS call is AssumeRole.
type callCounter struct {
	next http.Handler
	mu   sync.Mutex
	n    map[string]*atomic.Int64
}

func (c *callCounter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	op := r.Header.Get("X-Amz-Target")
	if i := strings.LastIndexByte(op, '.'); i >= 0 {
		op = op[i+1:]
	}
	if op == "" {
		op = "STS"
	}
	c.mu.Lock()
	v := c.n[op]
	if v == nil {
		v = &atomic.Int64{}
		c.n[op] = v
	}
	c.mu.Unlock()
	v.Add(1)
	c.next.ServeHTTP(w, r)
}

// report writes "op count" lines.
func (c *callCounter) report(w http.ResponseWriter, _ *http.Request) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for op, v := range c.n {
		fmt.Fprintf(w, "%s %d\n", op, v.Load())
	}
}

// serveBroker builds the broker from the world's configuration (args:
// config-file aws-url) with compose.Build, as secds-broker does, and serves
// it on the configuration's listen address.
func serveBroker(ctx context.Context, args []string) ([]string, error) {
	if len(args) != 2 {
		return nil, errors.New("broker: want CONFIG AWS-URL")
	}
	cfg, err := config.Load(args[0])
	if err != nil {
		return nil, err
	}
	dir := filepath.Dir(args[0])
	log, err := childLog(dir, "broker.log")
	if err != nil {
		return nil, err
	}
	awsCfg := aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider(brokerKeyID, brokerSecret, ""),
		BaseEndpoint: aws.String(args[1]),
	}
	b, err := compose.Build(ctx, cfg, compose.Options{Log: log, AuditOut: io.Discard, AWS: &awsCfg})
	if err != nil {
		return nil, err
	}
	atExit = append(atExit, func() { _ = b.Close() })
	u, err := listenAt(ctx, cfg.Listen, b.Handler)
	if err != nil {
		return nil, err
	}
	// The CPU profile, for -profile, on a loopback listener of its own.
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	prof, err := listenLoopback(ctx, mux)
	if err != nil {
		return nil, err
	}
	return []string{u, prof}, nil
}

// tokensFor is the broker's token verifier and issuer for a configuration,
// built as compose.Build builds it.
func tokensFor(cfg *config.Config) (*auth.Tokens, error) {
	codec, err := auth.NewCodec(cfg.SessionKeys, nil)
	if err != nil {
		return nil, err
	}
	return auth.NewTokens(auth.TokenConfig{
		Issuer: cfg.Public.String(), Keys: cfg.TokenKeys, TTL: cfg.Tokens.TTL, Leeway: config.TokenLeeway, Codec: codec,
	})
}

// serveFloor serves the floors (args: config-file [upstream-url]): an echo
// handler that verifies the bearer token with the broker's auth.Tokens and
// answers (B), plus, with an upstream, one keep-alive HTTP hop to it (C).
func serveFloor(ctx context.Context, args []string) ([]string, error) {
	if len(args) < 1 || len(args) > 2 {
		return nil, errors.New("floor: want CONFIG [UPSTREAM-URL]")
	}
	cfg, err := config.Load(args[0])
	if err != nil {
		return nil, err
	}
	toks, err := tokensFor(cfg)
	if err != nil {
		return nil, err
	}
	upstream := ""
	if len(args) == 2 {
		upstream = args[1]
	}
	hop := &http.Client{Transport: &http.Transport{MaxIdleConns: 1024, MaxIdleConnsPerHost: 1024}}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.POST("/api/v1/open", func(c echo.Context) error {
		raw, ok := strings.CutPrefix(c.Request().Header.Get("Authorization"), "Bearer ")
		if !ok {
			return c.JSON(http.StatusUnauthorized, map[string]string{"error": "no token"})
		}
		v, err := toks.Verify(raw)
		if err != nil {
			return c.JSON(http.StatusUnauthorized, map[string]string{"error": "invalid token"})
		}
		if upstream != "" {
			resp, err := hop.Get(upstream)
			if err != nil {
				return c.JSON(http.StatusBadGateway, map[string]string{"error": "upstream"})
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		return c.JSON(http.StatusOK, map[string]string{"user": v.Identity.Username})
	})
	u, err := listenLoopback(ctx, e)
	if err != nil {
		return nil, err
	}
	return []string{u}, nil
}

// serveOTLP is the trace collector of -trace: an OTLP/HTTP receiver that
// decodes and counts what it is sent, and reports "spans N" on a second
// listener.
func serveOTLP(ctx context.Context) ([]string, error) {
	r := &otlpsink.Receiver{}
	u, err := listenLoopback(ctx, r)
	if err != nil {
		return nil, err
	}
	count, err := listenLoopback(ctx, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintf(w, "spans %d\n", r.Count())
	}))
	if err != nil {
		return nil, err
	}
	return []string{u, count}, nil
}

// serveUpstream is C's other end: a small JSON answer.
func serveUpstream(ctx context.Context) ([]string, error) {
	u, err := listenLoopback(ctx, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"ok":true}`)
	}))
	if err != nil {
		return nil, err
	}
	return []string{u}, nil
}

func listenLoopback(ctx context.Context, h http.Handler) (string, error) {
	return listenAt(ctx, "127.0.0.1:0", h)
}

func listenAt(ctx context.Context, addr string, h http.Handler) (string, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return "", err
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return "", fmt.Errorf("refusing to listen on %s: the harness stays on loopback", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", err
	}
	srv := server.HTTPServer("", h)
	go func() { _ = srv.Serve(ln) }()
	context.AfterFunc(ctx, func() { _ = srv.Close() })
	return "http://" + ln.Addr().String(), nil
}

// readReady reads a child's "ready URL..." line.
func readReady(r *bufio.Reader) ([]string, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return nil, fmt.Errorf("child did not start: %w", err)
	}
	f := strings.Fields(line)
	if len(f) < 2 || f[0] != "ready" {
		return nil, fmt.Errorf("child said %q, not ready", strings.TrimSpace(line))
	}
	return f[1:], nil
}
