package cli

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"
)

// A presigned notebook URL is a bearer credential, and a browser command's
// argv is readable by every local user (ps, /proc/PID/cmdline). So the
// browser is given a one-shot address on the loopback interface instead,
// which answers its first request with a redirect to the URL and then stops.
// What argv shows is useless once the browser has followed it, and dead
// within a minute if it never does.

// oneShotRedirect listens on 127.0.0.1 (a random port) and redirects the
// first request for a random path to target. It returns the address to put
// on argv, a channel closed once the redirect was served, and the function
// that stops the listener.
func oneShotRedirect(target string) (link string, served <-chan struct{}, stop func(), err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, nil, fmt.Errorf("listen on 127.0.0.1 for the browser: %w", err)
	}
	secret := make([]byte, 24)
	_, _ = rand.Read(secret) // crypto/rand.Read does not fail on supported platforms
	host, path := ln.Addr().String(), "/open/"+base64.RawURLEncoding.EncodeToString(secret)
	done := make(chan struct{})
	var once sync.Once
	srv := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Cache-Control", "no-store")
		h.Set("Referrer-Policy", "no-referrer")
		// Only requests addressed to this exact host:port count: a page on
		// another site could reach 127.0.0.1 through a rebound DNS name.
		if r.Host != host || r.Method != http.MethodGet || subtle.ConstantTimeCompare([]byte(r.URL.Path), []byte(path)) != 1 {
			http.Error(w, "secds: not found", http.StatusNotFound)
			return
		}
		first := false
		once.Do(func() { first = true })
		if !first {
			http.Error(w, "secds: this link was already used; run secds open again", http.StatusGone)
			return
		}
		h.Set("Location", target)
		w.WriteHeader(http.StatusFound)
		close(done)
	})}
	go func() { _ = srv.Serve(ln) }()
	stop = func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}
	return "http://" + host + path, done, stop, nil
}

// openInBrowser opens a presigned URL in the browser through a one-shot
// loopback redirect, and waits until the browser has fetched it. opened is
// false when no browser could be started (the caller prints the URL on
// stdout instead).
func (a *App) openInBrowser(ctx context.Context, target, command string) (opened bool, err error) {
	link, served, stop, err := oneShotRedirect(target)
	if err != nil {
		return false, err
	}
	defer stop()
	if err := a.openURL(link, command); err != nil {
		return false, err
	}
	timer := time.NewTimer(a.env.RedirectTimeout)
	defer timer.Stop()
	select {
	case <-served:
		return true, nil
	case <-ctx.Done():
		return true, Exitf(ExitFailure, "cancelled before the browser opened the notebook")
	case <-timer.C:
		return true, Exitf(ExitFailure, "the browser did not open the notebook link within %s, so nothing was opened. Run secds open again, or secds open --print-url and open the link it prints yourself", a.env.RedirectTimeout)
	}
}
