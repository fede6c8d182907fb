package awsemu

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// Serve listens on addr (e.g. "127.0.0.1:0"), tells e its base URL and
// serves it in the background until ctx is done, then shuts down. It returns
// the base URL, e.g. "http://127.0.0.1:43121". Only loopback addresses are
// accepted: the emulator hands out credentials to anyone who asks with the
// seed keys, and its notebook pages have no real authentication.
func Serve(ctx context.Context, e *Emulator, addr string) (string, error) {
	if err := CheckLoopback(addr); err != nil {
		return "", err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("awsemu listen %s: %w", addr, err)
	}
	baseURL := "http://" + ln.Addr().String()
	e.SetBaseURL(baseURL)

	srv := &http.Server{Handler: e.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			e.log.Error("awsemu server stopped", "err", err)
		}
	}()
	go func() {
		<-ctx.Done()
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdownCtx)
	}()
	return baseURL, nil
}

// CheckLoopback returns an error unless addr (host:port) names a loopback
// host: "localhost" or a loopback IP. An empty host would listen on every
// interface and is refused.
func CheckLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("awsemu address %q: %w", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("awsemu address %q: refusing a non-loopback address; the emulator must only be reachable from this machine", addr)
}
