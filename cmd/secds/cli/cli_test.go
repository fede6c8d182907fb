package cli

import (
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/secds/secds/internal/api"
)

func TestBrokerBase(t *testing.T) {
	tests := map[string]string{
		"https://notebooks.example.com":       "https://notebooks.example.com",
		"https://notebooks.example.com/":      "https://notebooks.example.com",
		" https://notebooks.example.com:8443": "https://notebooks.example.com:8443",
		"http://127.0.0.1:8080":               "http://127.0.0.1:8080",
		"http://localhost:8080":               "http://localhost:8080",
		"http://[::1]:8080":                   "http://[::1]:8080",
		"http://notebooks.example.com":        "", // plain http off loopback
		"https://notebooks.example.com/x":     "",
		"https://u:p@notebooks.example.com":   "",
		"https://notebooks.example.com/?a=b":  "",
		"notebooks.example.com":               "",
		"ftp://notebooks.example.com":         "",
		"":                                    "",
	}
	for in, want := range tests {
		got, err := brokerBase(in)
		if got != want || (want == "") != (err != nil) {
			t.Errorf("brokerBase(%q) = %q, %v; want %q", in, got, err, want)
		}
		if err != nil && exitCode(err) != ExitUsage {
			t.Errorf("brokerBase(%q): exit code %d, want usage", in, exitCode(err))
		}
	}
}

func TestDiscoveryDocMustStayOnTheBroker(t *testing.T) {
	good := api.Configuration{BrokerURL: "https://n.example", CLILoginPath: "/cli/login", TokenEndpoint: "https://n.example/api/v1/cli/token", APIBase: "https://n.example/api/v1"}
	tests := []struct {
		name string
		edit func(*api.Configuration)
		ok   bool
	}{
		{"good", func(*api.Configuration) {}, true},
		{"token endpoint elsewhere", func(d *api.Configuration) { d.TokenEndpoint = "https://evil.example/token" }, false},
		{"token endpoint on a look-alike host", func(d *api.Configuration) { d.TokenEndpoint = "https://n.example.evil.example/token" }, false},
		{"api base elsewhere", func(d *api.Configuration) { d.APIBase = "https://evil.example/api/v1" }, false},
		{"login path to another host", func(d *api.Configuration) { d.CLILoginPath = "//evil.example/cli/login" }, false},
		{"plain http broker", func(d *api.Configuration) { d.BrokerURL = "http://n.example" }, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := good
			tc.edit(&d)
			p := &Profile{Broker: "https://n.example"}
			if err := fromConfiguration(p, d); (err == nil) != tc.ok {
				t.Fatalf("into = %v, want ok=%v", err, tc.ok)
			}
		})
	}
}

func TestAPIErrorExitCodes(t *testing.T) {
	for status, want := range map[int]int{400: ExitUsage, 401: ExitAuth, 403: ExitDenied, 404: ExitDenied, 409: ExitDenied, 429: ExitBusy, 500: ExitUnavailable, 503: ExitUnavailable} {
		if got := exitCode(&APIError{Status: status}); got != want {
			t.Errorf("status %d: exit %d, want %d", status, got, want)
		}
	}
	if exitCode(errors.New("cobra: unknown flag")) != ExitUsage {
		t.Error("an error without a code is cobra's parsing: usage")
	}
}

func TestLoopbackCallback(t *testing.T) {
	redirect, results, stop, err := listenCallback("the-state-123")
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	if !strings.HasPrefix(redirect, "http://127.0.0.1:") || !strings.HasSuffix(redirect, "/callback") {
		t.Fatalf("redirect = %s", redirect)
	}
	get := func(u, host string) int {
		req, _ := http.NewRequest(http.MethodGet, u, nil)
		if host != "" {
			req.Host = host
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.Header.Get("Referrer-Policy") != "no-referrer" || resp.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("callback page headers = %v", resp.Header)
		}
		return resp.StatusCode
	}
	for name, tc := range map[string]struct {
		url, host string
	}{
		"wrong state":        {redirect + "?code=c&state=other", ""},
		"no state":           {redirect + "?code=c", ""},
		"no code":            {redirect + "?state=the-state-123", ""},
		"a rebound DNS name": {redirect + "?code=c&state=the-state-123", "evil.example"},
		"another path":       {strings.TrimSuffix(redirect, "/callback") + "/other?code=c&state=the-state-123", ""},
	} {
		if status := get(tc.url, tc.host); status == http.StatusOK {
			t.Errorf("%s: accepted", name)
		}
	}
	select {
	case r := <-results:
		t.Fatalf("a refused callback delivered %+v", r)
	default:
	}
	if status := get(redirect+"?code=the-code&state=the-state-123", ""); status != http.StatusOK {
		t.Fatalf("the right callback = %d", status)
	}
	if r := <-results; r.code != "the-code" {
		t.Fatalf("delivered %+v", r)
	}
	if status := get(redirect+"?code=second&state=the-state-123", ""); status != http.StatusConflict {
		t.Errorf("a second callback = %d, want 409", status)
	}
}

func TestLoopbackCallbackCancelled(t *testing.T) {
	redirect, results, stop, err := listenCallback("the-state-123")
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	for _, u := range []string{redirect + "?error=access_denied&state=other", redirect + "?error=access_denied"} {
		resp, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Errorf("%s: a cancel for another login was accepted", u)
		}
	}
	resp, err := http.Get(redirect + "?error=access_denied&state=the-state-123")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	select {
	case r := <-results:
		if r.err == nil || r.code != "" || !strings.Contains(r.err.Error(), "cancelled") {
			t.Fatalf("delivered %+v, want a cancellation", r)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the cancellation was not delivered")
	}
}

func TestTokenFileFallback(t *testing.T) {
	dir := t.TempDir()
	s := &tokenStore{keyring: failingKeyring{}, dir: filepath.Join(dir, "secds", "tokens")}
	p := &Profile{Name: "default", Broker: "https://n.example"}
	now := time.Unix(1_800_000_000, 0)
	tok := &storedToken{Broker: p.Broker, Token: "secret-token", ExpiresAt: now.Add(time.Hour), Username: "alice"}
	where, err := s.Save("default", tok)
	if err != nil || !strings.Contains(where, s.FilePath("default")) {
		t.Fatalf("Save = %q, %v", where, err)
	}
	for path, want := range map[string]os.FileMode{s.FilePath("default"): 0o600, s.dir: 0o700} {
		fi, err := os.Stat(path)
		if err != nil || fi.Mode().Perm() != want {
			t.Errorf("%s: mode %v, %v; want %v", path, fi.Mode().Perm(), err, want)
		}
	}
	got, err := s.Load("default")
	if err != nil || !got.valid(p, now) {
		t.Fatalf("Load = %+v, %v", got, err)
	}
	if got.valid(p, now.Add(59*time.Minute+time.Second)) {
		t.Error("a token within a minute of expiry counts as valid")
	}
	if got.valid(&Profile{Name: "default", Broker: "https://other.example"}, now) {
		t.Error("a token of another broker counts as valid")
	}
	if err := os.WriteFile(s.FilePath("default"), []byte("{damaged"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Load("default"); got != nil || err != nil {
		t.Errorf("a damaged file = %+v, %v; want none", got, err)
	}
	if found, err := s.Delete("default"); !found || err != nil {
		t.Errorf("Delete = %v, %v", found, err)
	}
	if found, err := s.Delete("default"); found || err != nil {
		t.Errorf("Delete again = %v, %v", found, err)
	}
}

type failingKeyring struct{}

func (failingKeyring) Get(string, string) (string, error) { return "", errors.New("no keyring") }
func (failingKeyring) Set(string, string, string) error   { return errors.New("no keyring") }
func (failingKeyring) Delete(string, string) error        { return errors.New("no keyring") }
