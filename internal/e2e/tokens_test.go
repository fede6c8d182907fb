package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/secds/secds/abac"
	"github.com/secds/secds/auth"
)

// TestTokenRevocationHoldsOnEveryReplica: an admin revokes alice's CLI
// tokens through one replica; every replica refuses them at once (they share
// the mapping's state directory), the audit trail names each token, and
// admin work wants a token of the last hour.
func TestTokenRevocationHoldsOnEveryReplica(t *testing.T) {
	clock := &Clock{}
	st := StartStack(t, StackOptions{Provider: sharedProvider(t), Now: clock.Now})
	issue := func(id abac.Identity) (raw, jti string) { return issueToken(t, st, id) }
	alice := abac.Identity{Subject: "alice-sub", Username: "alice", Groups: []string{"ds-fraud"}}
	admin := abac.Identity{Subject: "admin-sub", Username: "admin", Groups: []string{"secds-admins"}}
	aliceTok, aliceJTI := issue(alice)
	adminTok, adminJTI := issue(admin)
	r0, r1 := st.Replicas[0].URL, st.Replicas[1].URL

	for _, r := range []string{r0, r1} {
		if status, m := bearer(t, r, http.MethodGet, "/api/v1/me", aliceTok, ""); status != http.StatusOK {
			t.Fatalf("before: %d %v", status, m)
		}
	}
	if status, m := bearer(t, r1, http.MethodPost, "/api/v1/open", aliceTok, `{"notebook":"fraud-alice"}`); status != http.StatusOK {
		t.Fatalf("open: %d %v", status, m)
	}
	if ev := st.LastAudit(t, "open", "alice"); ev["token_id"] != aliceJTI {
		t.Errorf("open event %v, want token_id %s", ev, aliceJTI)
	}

	if status, m := bearer(t, r1, http.MethodPost, "/api/v1/admin/tokens/revoke", aliceTok, `{"username":"admin"}`); status != http.StatusForbidden {
		t.Fatalf("alice revoking the admin: %d %v", status, m)
	}
	if status, m := bearer(t, r0, http.MethodPost, "/api/v1/admin/tokens/revoke", adminTok, `{"username":"alice","subject":"x"}`); status != http.StatusBadRequest {
		t.Fatalf("two people at once: %d %v", status, m)
	}
	if status, m := bearer(t, r0, http.MethodPost, "/api/v1/admin/tokens/revoke", adminTok, `{"username":"alice"}`); status != http.StatusOK || m["revoked_before"] == nil {
		t.Fatalf("revoke: %d %v", status, m)
	}
	ev := st.LastAudit(t, "token", "admin")
	if ev["code"] != "tokens_revoked" || ev["decision"] != "granted" || ev["for"] != "alice" || ev["token_id"] != adminJTI {
		t.Errorf("revocation event = %v", ev)
	}
	for i, r := range []string{r1, r0} {
		status, m := bearer(t, r, http.MethodGet, "/api/v1/me", aliceTok, "")
		if status != http.StatusUnauthorized || errCode(m) != "token_revoked" {
			t.Errorf("replica %d after the revocation: %d %v", 1-i, status, m)
		}
	}
	if ev := st.LastAudit(t, "token", "alice"); ev["code"] != "token_revoked" || ev["decision"] != "denied" || ev["token_id"] != aliceJTI {
		t.Errorf("refused-token event = %v", ev)
	}
	// A mapping change (here a refused one: every attempt is audited) names
	// the token too.
	_, doc := bearer(t, r1, http.MethodGet, "/api/v1/admin/mapping", adminTok, "")
	put, _ := json.Marshal(map[string]string{"content": "teams: [", "if_match": doc["etag"].(string)})
	if status, m := bearer(t, r1, http.MethodPut, "/api/v1/admin/mapping", adminTok, string(put)); status != http.StatusUnprocessableEntity {
		t.Errorf("PUT of a broken mapping: %d %v", status, m)
	}
	if ev := st.LastAudit(t, "mapping_change", "admin"); ev["decision"] != "denied" || ev["token_id"] != adminJTI {
		t.Errorf("mapping change event = %v, want token_id %s", ev, adminJTI)
	}
	// She signs in again and gets a token that works.
	clock.Advance(2 * time.Second)
	fresh, _ := issue(alice)
	if status, m := bearer(t, r1, http.MethodGet, "/api/v1/me", fresh, ""); status != http.StatusOK {
		t.Errorf("a token issued after the revocation: %d %v", status, m)
	}

	// Admin work wants a sign-in of the last hour. This stack's tokens live
	// an hour, so the old token comes from the same keys with the default
	// 12-hour lifetime, issued 61 minutes ago.
	old, err := auth.NewTokens(auth.TokenConfig{Issuer: st.Config.Public.String(), Keys: st.Config.TokenKeys, TTL: 12 * time.Hour,
		Codec: st.Replicas[0].Broker.Auth.Codec(), Now: func() time.Time { return clock.Now().Add(-61 * time.Minute) }})
	if err != nil {
		t.Fatal(err)
	}
	oldAdmin, err := old.Issue(st.Replicas[0].Broker.Mapping.Mapping().Keep(admin))
	if err != nil {
		t.Fatal(err)
	}
	if status, m := bearer(t, r1, http.MethodGet, "/api/v1/admin/mapping", oldAdmin.Raw, ""); status != http.StatusUnauthorized ||
		errCode(m) != "fresh_login_required" || !strings.Contains(m["error"].(map[string]any)["message"].(string), "run secds login") {
		t.Errorf("admin API with a 61-minute-old token: %d %v", status, m)
	}
	if status, m := bearer(t, r0, http.MethodPost, "/api/v1/admin/tokens/revoke", oldAdmin.Raw, `{"username":"bob"}`); status != http.StatusUnauthorized {
		t.Errorf("a revocation with a 61-minute-old token: %d %v", status, m)
	}
	if status, m := bearer(t, r1, http.MethodGet, "/api/v1/me", oldAdmin.Raw, ""); status != http.StatusOK {
		t.Errorf("the same token for /api/v1/me: %d %v", status, m)
	}
	if status, m := bearer(t, r1, http.MethodGet, "/api/v1/admin/mapping", adminTok, ""); status != http.StatusOK {
		t.Errorf("admin API with a fresh token: %d %v", status, m)
	}
}
