package e2e

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/secds/secds/abac"
)

// apiCall is one request to the broker's API with an optional bearer token
// and extra headers, through client (a browser with cookies, or nil). A
// body that is a string is sent as it is (JSON text); any other is
// marshalled.
func apiCall(t *testing.T, client *http.Client, method, u, token string, body any, hdr map[string]string) (int, http.Header, map[string]any) {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = bytes.NewReader([]byte(b))
	default:
		data, _ := json.Marshal(b)
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("%s %s: %d, not JSON: %s", method, u, resp.StatusCode, data)
	}
	return resp.StatusCode, resp.Header, m
}

// bearer calls the API at base (a replica, or the public URL) with a CLI
// token, as the CLI does.
func bearer(t *testing.T, base, method, path, token, body string) (int, map[string]any) {
	t.Helper()
	var b any
	if body != "" {
		b = body
	}
	status, _, m := apiCall(t, nil, method, base+path, token, b, map[string]string{"Accept": "application/json"})
	return status, m
}

func errCode(m map[string]any) string {
	e, _ := m["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}

// issueToken issues a broker token for id on the first replica, as secds
// login issues it (cut down to what the live mapping reads), and registers
// it as a secret.
func issueToken(t *testing.T, st *Stack, id abac.Identity) (raw, jti string) {
	t.Helper()
	b := st.Broker()
	tok, err := b.Tokens.Issue(b.Mapping.Mapping().Keep(id))
	if err != nil {
		t.Fatal(err)
	}
	st.Secret("broker token of "+id.Username+" "+tok.ID, tok.Raw)
	return tok.Raw, tok.ID
}
