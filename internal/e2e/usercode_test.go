package e2e

import (
	"html"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/oauth2"
)

var (
	userCodeRE = regexp.MustCompile(`^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$`)
	longCodeRE = regexp.MustCompile(`id="cli-long-code"[^>]*>([^<]+)<`)
)

// TestShortCodeOnAnyReplica: paste mode shows an eight-letter code that any
// replica redeems, once: replicas on the file store share it through the
// state directory (and the page also offers the long code, which needs no
// shared state), replicas on the shared store through the table (and the
// page offers only the short one).
func TestShortCodeOnAnyReplica(t *testing.T) {
	for _, tc := range []struct {
		name   string
		shared bool
	}{{"file store", false}, {"shared store", true}} {
		t.Run(tc.name, func(t *testing.T) {
			st := StartStack(t, StackOptions{Provider: sharedProvider(t), SharedStore: tc.shared})
			u := NewHTTPUser(t, st, "alice")
			verifier := oauth2.GenerateVerifier()
			code := cliLoginCode(t, u, oauth2.S256ChallengeFromVerifier(verifier))
			if !userCodeRE.MatchString(code) {
				t.Fatalf("the page shows %q, want a short code such as BCDF-GHJK", code)
			}
			page := u.Visit(st.URL + "/cli/login?" + "code_challenge=" + oauth2.S256ChallengeFromVerifier(verifier) + "&code_challenge_method=S256")
			if long := strings.Contains(page.Body, `id="cli-long-code"`); long == tc.shared {
				t.Errorf("long code offered: %v, want %v", long, !tc.shared)
			}
			redeem := func(base, typed string) (int, map[string]any) {
				status, _, m := apiCall(t, nil, http.MethodPost, base+"/api/v1/cli/token", "",
					map[string]string{"code": typed, "code_verifier": verifier, "redirect_uri": ""}, nil)
				if tok, _ := m["token"].(string); tok != "" {
					st.Secret("token from a short code", tok)
				}
				return status, m
			}
			// Typed as people do on a phone: lower case, a space for the dash.
			typed := strings.ToLower(strings.Replace(code, "-", " ", 1))
			if status, m := redeem(st.Replicas[1].URL, typed); status != http.StatusOK || m["username"] != "alice" {
				t.Fatalf("redeem on replica 1 = %d %v", status, m)
			}
			if status, m := redeem(st.Replicas[0].URL, code); status != http.StatusBadRequest || errCode(m) != "code_used" {
				t.Fatalf("the same code on replica 0 = %d %v, want 400 code_used", status, m)
			}
			if status, m := redeem(st.Replicas[0].URL, "BCDF-GHJK"); status != http.StatusBadRequest || errCode(m) != "code_invalid" {
				t.Errorf("a guess = %d %v, want 400 code_invalid", status, m)
			}
			if m := longCodeRE.FindStringSubmatch(page.Body); m != nil {
				// The long code is spent once for every replica too.
				long := html.UnescapeString(m[1])
				if status, m := redeem(st.Replicas[0].URL, long); status != http.StatusOK {
					t.Fatalf("the long code on replica 0 = %d %v", status, m)
				}
				if status, m := redeem(st.Replicas[1].URL, long); status != http.StatusBadRequest || errCode(m) != "code_used" {
					t.Errorf("the long code again on replica 1 = %d %v, want 400 code_used", status, m)
				}
			}
		})
	}
}
