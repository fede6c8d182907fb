package e2e

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// serveTLS serves h over TLS on loopback with cert until t ends.
func serveTLS(t *testing.T, cert tls.Certificate, h http.Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	// The refused handshakes are the point of some tests; keep them quiet.
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ErrorLog: log.New(io.Discard, "", 0)}
	go func() { _ = srv.Serve(tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}})) }()
	t.Cleanup(func() { _ = srv.Close() })
	return "https://" + ln.Addr().String()
}

// TestBrowserTrustsOnlyTheTestCertificate: the browser loads a page served
// with the run's test certificate, and refuses one served with another
// certificate for the same address that no system trusts, so its trust is
// the test key's and not a blanket ignore of certificate errors.
func TestBrowserTrustsOnlyTheTestCertificate(t *testing.T) {
	b := NewBrowser(t)
	page := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = io.WriteString(w, `<!doctype html><title>t</title><p id="hello">hello</p>`)
	})
	trusted := serveTLS(t, TestPKI(t).Leaf, page)
	if resp := b.Navigate(trusted + "/"); resp.Status != http.StatusOK || b.Text("hello") != "hello" {
		t.Fatalf("the page with the test certificate: status %d", resp.Status)
	}

	other, err := NewPKI(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	untrusted := serveTLS(t, other.Leaf, page)
	resp, err := b.TryNavigate(untrusted + "/")
	if err == nil {
		t.Fatalf("the browser loaded a page with an untrusted certificate (status %d)", resp.Status)
	}
	if !strings.Contains(err.Error(), "ERR_CERT") {
		t.Errorf("loading a page with an untrusted certificate: %v, want a certificate error", err)
	}
}

// TestProxyTerminatesTLSLikeALoadBalancer: the proxy in front of the
// replicas serves the test certificate, which a client trusting the test
// CA accepts and one with the system's roots refuses, and tells the
// replica over plain http what an ALB tells it: X-Forwarded-Proto https, the
// client's address appended to X-Forwarded-For, the public Host. It records
// what cookies the answer set, without their values.
func TestProxyTerminatesTLSLikeALoadBalancer(t *testing.T) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "__Host-c", Value: "secret-value", Path: "/", Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode})
		_ = json.NewEncoder(w).Encode(map[string]string{
			"proto": r.Header.Get("X-Forwarded-Proto"), "for": r.Header.Get("X-Forwarded-For"), "host": r.Host, "tls": map[bool]string{true: "yes", false: "no"}[r.TLS != nil],
		})
	}))
	defer backend.Close()
	rr, err := NewRoundRobin(backend.URL)
	if err != nil {
		t.Fatal(err)
	}
	pub := serveTLS(t, TestPKI(t).Leaf, rr)

	req, _ := http.NewRequest(http.MethodGet, pub+"/x", nil)
	req.Header.Set("X-Forwarded-For", "203.0.113.7")
	resp, err := (&http.Client{Transport: TestPKI(t).Transport(), Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("a client trusting the test CA: %v", err)
	}
	var seen map[string]string
	err = json.NewDecoder(resp.Body).Decode(&seen)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"proto": "https", "for": "203.0.113.7, 127.0.0.1", "host": strings.TrimPrefix(pub, "https://"), "tls": "no"}
	for k, v := range want {
		if seen[k] != v {
			t.Errorf("the replica saw %s = %q, want %q", k, seen[k], v)
		}
	}
	hops := rr.Hops()
	if len(hops) != 1 || len(hops[0].SetCookies) != 1 {
		t.Fatalf("hops = %+v, want one with one cookie", hops)
	}
	if c := hops[0].SetCookies[0]; c != (SetCookie{Name: "__Host-c", Path: "/", Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode}) {
		t.Errorf("recorded cookie = %+v", c)
	}

	_, err = (&http.Client{Timeout: 10 * time.Second}).Get(pub + "/x")
	var ua x509.UnknownAuthorityError
	if !errors.As(err, &ua) {
		t.Errorf("a client with the system's roots: %v, want an unknown-authority error", err)
	}
}
