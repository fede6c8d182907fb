// Command secds-broker is the secds access broker: it signs data scientists
// in with OpenID Connect and sends them to their SageMaker notebook with a
// presigned URL. --dev runs it with an embedded identity provider and AWS
// emulator on loopback; --config FILE runs it for real.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/secds/secds/internal/compose"
	"github.com/secds/secds/internal/config"
	"github.com/secds/secds/server"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("secds-broker", flag.ContinueOnError)
	fs.SetOutput(stderr)
	devUsage := "run the embedded dev stack (identity provider, AWS emulator, demo notebooks) on 127.0.0.1"
	if !hasDevStack {
		devUsage = "not in this release build: it has no dev stack"
	}
	dev := fs.Bool("dev", false, devUsage)
	cfgPath := fs.String("config", "", "broker configuration file (see configs/broker.example.yaml)")
	listen := fs.String("listen", "", "address to listen on (default from the config, or 127.0.0.1:8080)")
	check := fs.Bool("check", false, "validate the configuration and the team mapping, then exit")
	fresh := fs.Bool("fresh", false, "with --dev: start over from the demo mapping with new keys (forget the edits and CLI sign-ins kept from earlier runs)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: secds-broker --dev [--listen ADDR] [--fresh] | --config FILE [--listen ADDR] [--check]")
		fs.PrintDefaults()
		fmt.Fprintln(stderr, "\nSecrets come from files or the environment, never from flags: SECDS_OIDC_CLIENT_SECRET, SECDS_SESSION_KEYS.")
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *dev == (*cfgPath != "") {
		fmt.Fprintln(stderr, "secds-broker: give exactly one of --dev or --config FILE")
		fs.Usage()
		return 2
	}
	if *fresh && !*dev {
		fmt.Fprintln(stderr, "secds-broker: --fresh is for the dev stack (--dev) only")
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *dev {
		return runDev(ctx, devOptions{listen: *listen, fresh: *fresh}, stdout, stderr)
	}
	return runConfig(ctx, *cfgPath, *listen, *check, stdout, stderr)
}

// devOptions are the dev stack's flags.
type devOptions struct {
	listen string // the broker's address; default 127.0.0.1:8080
	fresh  bool   // forget the state kept from earlier runs
}

func runConfig(ctx context.Context, path, listen string, check bool, stdout, stderr io.Writer) int {
	cfg, err := config.Load(path)
	if err != nil {
		fmt.Fprintf(stderr, "secds-broker: %v\n", err)
		return 1
	}
	log := newLogger(cfg.Log, stderr)
	if listen != "" {
		// The flag is checked as the file's listen would be.
		cfg.Listen = listen
		if err := cfg.Validate(); err != nil {
			fmt.Fprintf(stderr, "secds-broker: --listen:\n%v\n", err)
			return 1
		}
	}
	if check {
		if _, err := compose.LoadMapping(cfg.MappingFile); err != nil {
			fmt.Fprintf(stderr, "%v\n", err)
			return 1
		}
		fmt.Fprintf(stdout, "%s: ok\n%s: ok\n", path, cfg.MappingFile)
		return 0
	}
	b, err := compose.Build(ctx, cfg, compose.Options{Log: log})
	if err != nil {
		fmt.Fprintf(stderr, "secds-broker: %v\n", err)
		return 1
	}
	defer func() {
		// After the listeners have shut down: the spans of the last
		// requests are flushed to the trace collector here.
		if err := b.Close(); err != nil {
			log.Warn("secds-broker: close", "err", err)
		}
	}()
	if err := serve(ctx, cfg, b, log); err != nil {
		fmt.Fprintf(stderr, "secds-broker: %v\n", err)
		return 1
	}
	return 0
}

// newLogger is the broker's log on w as log.format says: JSON by default.
// It writes info and above, so log.access: debug leaves the access log out.
func newLogger(c config.Log, w io.Writer) *slog.Logger {
	if c.Format == config.LogText {
		return slog.New(slog.NewTextHandler(w, nil))
	}
	return slog.New(slog.NewJSONHandler(w, nil))
}

// serve runs the broker's listener and, unless metrics.listen is off, the
// metrics listener beside it (and the profiler's, when pprof.listen is
// set), until ctx ends or one of them fails. Every address is bound before
// anything is served, so a port in use stops the start with a clear error.
func serve(ctx context.Context, cfg *config.Config, b *compose.Broker, log *slog.Logger) error {
	type listener struct {
		name string
		ln   net.Listener
		srv  *http.Server
	}
	var ls []listener
	defer func() {
		for _, l := range ls {
			_ = l.ln.Close()
		}
	}()
	add := func(name, addr string, h http.Handler) error {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return fmt.Errorf("%s listen %s: %w", name, addr, err)
		}
		ls = append(ls, listener{name, ln, server.HTTPServer(addr, h)})
		return nil
	}
	if err := add("broker", cfg.Listen, b.Handler); err != nil {
		return err
	}
	attrs := []any{"addr", ls[0].ln.Addr().String(), "public_url", cfg.Public.String()}
	if cfg.MetricsAddr != "" {
		if err := add("metrics", cfg.MetricsAddr, b.MetricsHandler); err != nil {
			return err
		}
		attrs = append(attrs, "metrics_addr", ls[1].ln.Addr().String())
	}
	if addr := cfg.Pprof.Addr(); addr != "" {
		// Loopback only (config refuses any other address); never the
		// public handler, which does not serve /debug/pprof.
		if err := add("pprof", addr, server.PprofHandler()); err != nil {
			return err
		}
		attrs = append(attrs, "pprof_addr", ls[len(ls)-1].ln.Addr().String())
	}
	if cfg.Tracing.On() {
		// The URL only: the headers may hold the collector's key.
		attrs = append(attrs, "traces_to", cfg.Tracing.TracesURL(), "trace_sample_ratio", cfg.Tracing.Ratio())
	}
	errc := make(chan error, len(ls))
	for _, l := range ls {
		go func() {
			if err := l.srv.Serve(l.ln); !errors.Is(err, http.ErrServerClosed) {
				errc <- fmt.Errorf("%s: %w", l.name, err)
			}
		}()
	}
	log.Info("secds-broker listening", attrs...)
	var err error
	select {
	case err = <-errc:
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, l := range ls {
		_ = l.srv.Shutdown(sctx)
	}
	return err
}
