package cli

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const presigned = "https://fraud-alice.notebook.eu-west-1.sagemaker.aws/auth?authToken=SECRET-TOKEN"

var noFollow = &http.Client{Timeout: 5 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func fetch(t *testing.T, u string, host string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	if host != "" {
		req.Host = host
	}
	resp, err := noFollow.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

func TestOneShotRedirectWorksOnce(t *testing.T) {
	link, served, stop, err := oneShotRedirect(presigned)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	if !strings.HasPrefix(link, "http://127.0.0.1:") || strings.Contains(link, "authToken") || len(link) < len("http://127.0.0.1:1/open/")+32 {
		t.Fatalf("link = %s", link)
	}
	base := link[:strings.LastIndex(link, "/")+1]
	for name, tc := range map[string]struct{ u, host string }{
		"another path":       {base + "guess", ""},
		"the root":           {strings.TrimSuffix(base, "open/"), ""},
		"a rebound DNS name": {link, "evil.example"},
	} {
		if resp := fetch(t, tc.u, tc.host); resp.StatusCode != http.StatusNotFound || resp.Header.Get("Location") != "" {
			t.Errorf("%s: %d to %q", name, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	select {
	case <-served:
		t.Fatal("a wrong request counted as the browser's")
	default:
	}
	resp := fetch(t, link, "")
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != presigned ||
		resp.Header.Get("Cache-Control") != "no-store" || resp.Header.Get("Referrer-Policy") != "no-referrer" {
		t.Fatalf("first request: %d %v", resp.StatusCode, resp.Header)
	}
	<-served
	if resp := fetch(t, link, ""); resp.StatusCode != http.StatusGone || resp.Header.Get("Location") != "" {
		t.Fatalf("second request: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
}

// TestOpenInBrowserKeepsTheURLOffArgv: what the browser opener is given,
// the environment's opener or a --browser-command's argv, never holds the
// presigned URL, yet the browser lands on it.
func TestOpenInBrowserKeepsTheURLOffArgv(t *testing.T) {
	t.Run("the environment's opener", func(t *testing.T) {
		var given string
		a := &App{env: Env{OpenBrowser: func(u string) error {
			given = u
			go func() {
				if resp, err := noFollow.Get(u); err == nil {
					resp.Body.Close()
				}
			}()
			return nil
		}}.withDefaults()}
		if opened, err := a.openInBrowser(context.Background(), presigned, ""); !opened || err != nil {
			t.Fatalf("openInBrowser = %v, %v", opened, err)
		}
		if strings.Contains(given, "authToken") || strings.Contains(given, "sagemaker") || !strings.HasPrefix(given, "http://127.0.0.1:") {
			t.Fatalf("the opener was given %s", given)
		}
	})
	t.Run("a browser command", func(t *testing.T) {
		dir := t.TempDir()
		script := filepath.Join(dir, "browser")
		// The command records its whole argv, as ps would show it.
		if err := os.WriteFile(script, []byte("#!/bin/sh\nprintf '%s\\n' \"$0\" \"$@\" > \""+dir+"/argv\"\n"), 0o700); err != nil {
			t.Fatal(err)
		}
		a := &App{env: Env{}.withDefaults()}
		done := make(chan error, 1)
		go func() {
			_, err := a.openInBrowser(context.Background(), presigned, script)
			done <- err
		}()
		var argv []byte
		for deadline := time.Now().Add(10 * time.Second); len(argv) == 0 && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			argv, _ = os.ReadFile(filepath.Join(dir, "argv"))
		}
		if len(argv) == 0 || strings.Contains(string(argv), "authToken") || !strings.Contains(string(argv), "http://127.0.0.1:") {
			t.Fatalf("the browser command's argv: %q", argv)
		}
		link := strings.TrimSpace(string(argv)[strings.Index(string(argv), "http://127.0.0.1:"):])
		if resp := fetch(t, link, ""); resp.Header.Get("Location") != presigned {
			t.Fatalf("the argv's link: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	})
	t.Run("a browser that never comes", func(t *testing.T) {
		a := &App{env: Env{OpenBrowser: func(string) error { return nil }, RedirectTimeout: 50 * time.Millisecond}.withDefaults()}
		opened, err := a.openInBrowser(context.Background(), presigned, "")
		if !opened || err == nil || !strings.Contains(err.Error(), "did not open the notebook link") || strings.Contains(err.Error(), "authToken") {
			t.Fatalf("openInBrowser = %v, %v", opened, err)
		}
	})
}
