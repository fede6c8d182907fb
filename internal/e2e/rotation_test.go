package e2e

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// idTokenWatcher is the brokers' HTTP transport to the provider, reading
// the key ID of every ID token the token endpoint returns, so the test
// knows which key signed each login.
type idTokenWatcher struct {
	mu   sync.Mutex
	kids []string
}

func (w *idTokenWatcher) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err != nil || !strings.HasSuffix(r.URL.Path, "/oauth2/token") || resp.StatusCode != http.StatusOK {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if err != nil {
		return resp, err
	}
	var tok struct {
		IDToken string `json:"id_token"`
	}
	if json.Unmarshal(body, &tok) == nil && tok.IDToken != "" {
		var hdr struct {
			Kid string `json:"kid"`
		}
		raw, _ := base64.RawURLEncoding.DecodeString(strings.Split(tok.IDToken, ".")[0])
		_ = json.Unmarshal(raw, &hdr)
		w.mu.Lock()
		w.kids = append(w.kids, hdr.Kid)
		w.mu.Unlock()
	}
	return resp, nil
}

func (w *idTokenWatcher) last() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.kids) == 0 {
		return ""
	}
	return w.kids[len(w.kids)-1]
}

// TestProviderKeyRotationKeepsLoginsWorking: the provider starts signing
// with a new key in the middle of the day; the brokers, which cached the
// old key set, still accept the new logins, and sessions made before carry
// on.
//
// The brokers fetch the provider's keys again only for a key ID they do not
// know, and at most every 5 seconds (auth's key set: forged tokens must not
// make them hammer the provider), so the brokers' clock is moved past that
// before each rotation, as a rotation happens long after the last fetch.
func TestProviderKeyRotationKeepsLoginsWorking(t *testing.T) {
	prov := StartProvider(t) // its own Hydra: the test changes its keys
	watch, clock := &idTokenWatcher{}, &Clock{}
	st := StartStack(t, StackOptions{Provider: prov, Now: clock.Now, HTTPClient: &http.Client{Transport: watch, Timeout: 10 * time.Second}})

	alice := NewHTTPUser(t, st, "alice")
	alice.Visit(st.URL+"/open?notebook=fraud-alice").MustContain(t, http.StatusOK, `id="notebook-name">fraud-alice<`)
	firstKid := watch.last()
	if firstKid == "" {
		t.Fatal("the brokers' token requests carried no ID token")
	}

	for i, tc := range []struct{ user, notebook string }{{"bob", "marketing-bob"}, {"admin", "platform-admin"}} {
		// Hydra orders a set's keys by creation time; a key made within the
		// same second as the previous one may not sort first.
		time.Sleep(1100 * time.Millisecond)
		clock.Advance(6 * time.Second)
		kid := fmt.Sprintf("rotated-%d-%s", i, randomHex(4))
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := prov.Hydra.RotateSigningKey(ctx, kid)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		NewHTTPUser(t, st, tc.user).Visit(st.URL+"/open?notebook="+tc.notebook).
			MustContain(t, http.StatusOK, `id="notebook-name">`+tc.notebook+`<`, `id="source-identity">`+tc.user+`<`)
		if got := watch.last(); got != kid {
			t.Fatalf("%s's ID token was signed with key %q, want the new key %q", tc.user, got, kid)
		}
	}

	// alice's session predates both rotations and is the broker's own.
	p := alice.Visit(st.URL + "/open?notebook=fraud-alice")
	p.MustContain(t, http.StatusOK, `id="notebook-name">fraud-alice<`)
	for _, h := range p.Hops {
		if strings.HasPrefix(h, prov.Hydra.PublicURL) {
			t.Errorf("alice was sent to the provider again after the rotation: %s", redact(h))
		}
	}
}
