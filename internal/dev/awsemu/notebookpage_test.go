package awsemu

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
)

// presign returns a sign-in link to a notebook for a fraud-team session of alice.
func (env *testEnv) presign(t *testing.T, notebook string) string {
	t.Helper()
	sm := env.sessionSageMaker(env.assume(t, fraudRole, "alice", map[string]string{"team": "fraud"}))
	out, err := sm.CreatePresignedNotebookInstanceUrl(context.Background(), &sagemaker.CreatePresignedNotebookInstanceUrlInput{
		NotebookInstanceName:               aws.String(notebook),
		SessionExpirationDurationInSeconds: aws.Int32(1800),
	})
	if err != nil {
		t.Fatalf("presign %s: %v", notebook, err)
	}
	return *out.AuthorizedUrl
}

func get(t *testing.T, client *http.Client, u string) (*http.Response, string) {
	t.Helper()
	resp, err := client.Get(u)
	if err != nil {
		t.Fatalf("GET: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

func TestNotebookPageSingleUse(t *testing.T) {
	env := newTestEnv(t)
	link := env.presign(t, "fraud-alice")
	token := mustQuery(t, link, "authToken")

	resp, body := get(t, http.DefaultClient, link)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("first use: status %d: %s", resp.StatusCode, body)
	}
	for _, want := range []string{
		"<title>Jupyter (secds stand-in) — fraud-alice</title>",
		`<span id="notebook-name">fraud-alice</span>`,
		`<span id="source-identity">alice</span>`,
		`<span id="team">fraud</span>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q:\n%s", want, body)
		}
	}
	if strings.Contains(body, token) {
		t.Error("page echoes the auth token")
	}
	for h, want := range map[string]string{"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"} {
		if got := resp.Header.Get(h); got != want {
			t.Errorf("%s = %q, want %q", h, got, want)
		}
	}

	resp, body = get(t, http.DefaultClient, link)
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "This sign-in link was already used") {
		t.Errorf("second use: status %d: %s", resp.StatusCode, body)
	}
	if resp.Header.Get("Referrer-Policy") != "no-referrer" {
		t.Error("refusal page lacks Referrer-Policy")
	}
}

func TestNotebookPageRefusals(t *testing.T) {
	tests := []struct {
		name       string
		link       func(t *testing.T, env *testEnv) string
		wantStatus int
		wantText   string
	}{
		{"expired", func(t *testing.T, env *testEnv) string {
			link := env.presign(t, "fraud-alice")
			env.emu.Advance(5*time.Minute + time.Second)
			return link
		}, http.StatusForbidden, "This sign-in link has expired"},
		{"just in time", func(t *testing.T, env *testEnv) string {
			link := env.presign(t, "fraud-alice")
			env.emu.Advance(5*time.Minute - time.Second)
			return link
		}, http.StatusOK, "fraud-alice"},
		{"other notebook", func(t *testing.T, env *testEnv) string {
			return strings.Replace(env.presign(t, "fraud-alice"), "/notebooks/fraud-alice?", "/notebooks/marketing-bob?", 1)
		}, http.StatusForbidden, "This sign-in link is not valid"},
		{"unknown token", func(t *testing.T, env *testEnv) string {
			return env.url + "/notebooks/fraud-alice?authToken=" + newAuthToken()
		}, http.StatusForbidden, "This sign-in link is not valid"},
		{"no token", func(t *testing.T, env *testEnv) string {
			return env.url + "/notebooks/fraud-alice"
		}, http.StatusForbidden, "Sign-in required"},
		{"notebook stopped after presign", func(t *testing.T, env *testEnv) string {
			link := env.presign(t, "fraud-alice")
			if err := env.emu.SetNotebookStatus("fraud-alice", "Stopped"); err != nil {
				t.Fatal(err)
			}
			return link
		}, http.StatusConflict, "This notebook is not running"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newTestEnv(t)
			resp, body := get(t, http.DefaultClient, tt.link(t, env))
			if resp.StatusCode != tt.wantStatus || !strings.Contains(body, tt.wantText) {
				t.Errorf("status %d, body %s; want %d with %q", resp.StatusCode, body, tt.wantStatus, tt.wantText)
			}
		})
	}
}

// TestNotebookPageCookie checks the stand-in Jupyter session: after a link
// is used, the same browser can reload the notebook without it.
func TestNotebookPageCookie(t *testing.T) {
	env := newTestEnv(t)
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar}
	if resp, body := get(t, browser, env.presign(t, "fraud-alice")); resp.StatusCode != http.StatusOK {
		t.Fatalf("first use: %d %s", resp.StatusCode, body)
	}
	if resp, body := get(t, browser, env.url+"/notebooks/fraud-alice"); resp.StatusCode != http.StatusOK || !strings.Contains(body, `id="team">fraud<`) {
		t.Errorf("reload with cookie: %d %s", resp.StatusCode, body)
	}
	env.emu.Advance(1801 * time.Second)
	if resp, _ := get(t, browser, env.url+"/notebooks/fraud-alice"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("reload after session expiry: %d, want 403", resp.StatusCode)
	}
}

func mustQuery(t *testing.T, link, key string) string {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query().Get(key)
}
