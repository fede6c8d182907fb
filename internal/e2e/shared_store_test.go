package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"golang.org/x/oauth2"

	"github.com/secds/secds/abac"
	"github.com/secds/secds/cmd/secds/cli"
	"github.com/secds/secds/configs"
	"github.com/secds/secds/internal/dynamostore"
	"github.com/secds/secds/internal/mapstore"
)

// TestSharedStoreReplicas runs two replicas on one DynamoDB table (in
// moto_server, through the real SDK), behind the https proxy, signing in at
// Hydra: what one replica writes, the other serves and honours.
func TestSharedStoreReplicas(t *testing.T) {
	st := StartStack(t, StackOptions{Provider: sharedProvider(t), Replicas: 2, SharedStore: true})
	r0, r1 := st.Replicas[0], st.Replicas[1]
	admin := abac.Identity{Subject: "admin-sub", Username: "admin", Groups: []string{"secds-admins"}}
	adminTok, _ := issueToken(t, st, admin)

	getMapping := func(base string) (content, etag string) {
		t.Helper()
		status, doc := bearer(t, base, http.MethodGet, "/api/v1/admin/mapping", adminTok, "")
		if status != http.StatusOK {
			t.Fatalf("GET mapping on %s = %d %v", base, status, doc)
		}
		return doc["content"].(string), doc["etag"].(string)
	}
	putMapping := func(base, content, etag string) (int, map[string]any) {
		t.Helper()
		body, _ := json.Marshal(map[string]string{"content": content, "if_match": etag})
		return bearer(t, base, http.MethodPut, "/api/v1/admin/mapping", adminTok, string(body))
	}

	t.Run("the seed is version 1 on both", func(t *testing.T) {
		for i, r := range st.Replicas {
			if s := r.Broker.Mapping.State(); s.Serving.Number != 1 || s.Serving.Author != "secds-broker" || !strings.HasPrefix(s.Serving.Reason, "seed from teams.yaml") {
				t.Errorf("replica %d serves %+v, want the seed as version 1", i, s.Serving)
			}
		}
	})

	t.Run("an edit through A is served by B within 2 s", func(t *testing.T) {
		content, etag := getMapping(r0.URL)
		status, m := putMapping(r0.URL, string(edit(t, []byte(content), "cost-center: cc-1042", "cost-center: cc-shared")), etag)
		if status != http.StatusOK {
			t.Fatalf("PUT through A = %d %v", status, m)
		}
		written := time.Now()
		want := int64(m["version"].(float64))
		var took time.Duration
		eventually(t, "replica B serves the edit", 2*time.Second, func() bool {
			took = time.Since(written)
			return metricValue(t, r1.MetricsURL, "secds_mapping_version") == float64(want)
		})
		t.Logf("replica B served version %d %s after A wrote it", want, took.Round(time.Millisecond))
		if got, _ := getMapping(r1.URL); !strings.Contains(got, "cc-shared") {
			t.Errorf("B's admin API shows another mapping:\n%s", got)
		}
	})

	t.Run("concurrent edits through A and B with one ETag: one 200, one 412", func(t *testing.T) {
		content, etag := getMapping(r0.URL)
		var wg sync.WaitGroup
		statuses := make([]int, 2)
		codes := make([]string, 2)
		for i, r := range []*Replica{r0, r1} {
			wg.Go(func() {
				var m map[string]any
				statuses[i], m = putMapping(r.URL, content+fmt.Sprintf("# replica %d\n", i), etag)
				codes[i] = errCode(m)
			})
		}
		wg.Wait()
		if !(statuses[0] == http.StatusOK && statuses[1] == http.StatusPreconditionFailed) && !(statuses[1] == http.StatusOK && statuses[0] == http.StatusPreconditionFailed) {
			t.Fatalf("statuses = %v (%v), want one 200 and one 412", statuses, codes)
		}
		winner := 0
		if statuses[1] == http.StatusOK {
			winner = 1
		}
		for _, r := range []*Replica{r0, r1} {
			if got, _ := getMapping(r.URL); !strings.HasSuffix(got, fmt.Sprintf("# replica %d\n", winner)) {
				t.Errorf("%s holds %q at the end, want only the winner's edit", r.URL, got[max(0, len(got)-40):])
			}
		}
		base, _ := mapstore.ParseETag(etag)
		hist := history(t, r1.URL, adminTok)
		if hist[0]["version"] != float64(base.Number+1) || hist[1]["version"] != float64(base.Number) {
			t.Errorf("history starts %v, %v; want exactly one version on top of %d", hist[0]["version"], hist[1]["version"], base.Number)
		}
	})

	t.Run("a CLI code redeemed on A is refused on B", func(t *testing.T) {
		u := NewHTTPUser(t, st, "alice")
		verifier := oauth2.GenerateVerifier()
		code := cliLoginCode(t, u, oauth2.S256ChallengeFromVerifier(verifier))
		redeem := func(base string) (int, map[string]any) {
			status, _, m := apiCall(t, nil, http.MethodPost, base+"/api/v1/cli/token", "",
				map[string]string{"code": code, "code_verifier": verifier, "redirect_uri": ""}, nil)
			if tok, _ := m["token"].(string); tok != "" {
				st.Secret("token from the shared-store exchange", tok)
			}
			return status, m
		}
		if status, m := redeem(r0.URL); status != http.StatusOK || m["username"] != "alice" {
			t.Fatalf("redeem on A = %d %v", status, m)
		}
		if status, m := redeem(r1.URL); status != http.StatusBadRequest || errCode(m) != "code_used" {
			t.Fatalf("the same code on B = %d %v, want 400 code_used", status, m)
		}
	})

	t.Run("a revoked token is refused on both", func(t *testing.T) {
		aliceTok, _ := issueToken(t, st, abac.Identity{Subject: "alice-sub", Username: "alice", Groups: []string{"ds-fraud"}})
		for _, r := range []*Replica{r0, r1} {
			if status, m := bearer(t, r.URL, http.MethodGet, "/api/v1/me", aliceTok, ""); status != http.StatusOK {
				t.Fatalf("before: %d %v", status, m)
			}
		}
		if status, m := bearer(t, r0.URL, http.MethodPost, "/api/v1/admin/tokens/revoke", adminTok, `{"username":"alice"}`); status != http.StatusOK {
			t.Fatalf("revoke on A: %d %v", status, m)
		}
		if status, m := bearer(t, r0.URL, http.MethodGet, "/api/v1/me", aliceTok, ""); status != http.StatusUnauthorized || errCode(m) != "token_revoked" {
			t.Errorf("A after its revocation: %d %v", status, m)
		}
		revoked := time.Now()
		eventually(t, "replica B refuses the revoked token", 2*time.Second, func() bool {
			status, m := bearer(t, r1.URL, http.MethodGet, "/api/v1/me", aliceTok, "")
			return status == http.StatusUnauthorized && errCode(m) == "token_revoked"
		})
		t.Logf("replica B refused the revoked token %s after A stored the revocation", time.Since(revoked).Round(time.Millisecond))
	})

	t.Run("a version written behind the brokers' back is never served", func(t *testing.T) {
		ctx := context.Background()
		db := st.Moto.DynamoDB()
		content, etag := getMapping(r0.URL)
		before, _ := mapstore.ParseETag(etag)
		for i, r := range st.Replicas {
			eventually(t, fmt.Sprintf("replica %d serves the current version", i), 3*time.Second, func() bool {
				return r.Broker.Mapping.State().Serving.Version == before
			})
		}
		serving := r1.Broker.Mapping.State().Serving

		// Someone with write access to the table but not the session keys
		// copies the current version as N+1 with a grant of their own, and
		// moves the head to it.
		forged := content + "# forged: admin for everyone\n"
		item := getItem(t, db, st.Table, "mapping", fmt.Sprintf("v#%019d", before.Number))
		item["sk"] = &types.AttributeValueMemberS{Value: fmt.Sprintf("v#%019d", before.Number+1)}
		item["number"] = &types.AttributeValueMemberN{Value: strconv.FormatInt(before.Number+1, 10)}
		item["content"] = &types.AttributeValueMemberB{Value: []byte(forged)}
		item["digest"] = &types.AttributeValueMemberS{Value: mapstore.Digest([]byte(forged))}
		item["size"] = &types.AttributeValueMemberN{Value: strconv.Itoa(len(forged))}
		putItem(t, db, st.Table, item)
		putItem(t, db, st.Table, map[string]types.AttributeValue{
			"pk": &types.AttributeValueMemberS{Value: "mapping"}, "sk": &types.AttributeValueMemberS{Value: "head"},
			"number": item["number"], "digest": item["digest"],
		})
		for i, r := range st.Replicas {
			eventually(t, fmt.Sprintf("replica %d sees the forged head", i), 3*time.Second, func() bool {
				return r.Broker.Mapping.State().Latest.Number == before.Number+1
			})
			s := r.Broker.Mapping.State()
			if s.Serving.Number != serving.Number || s.Valid() {
				t.Errorf("replica %d serves %d (valid %v), want %d kept", i, s.Serving.Number, s.Valid(), serving.Number)
			}
			if status, body := getBody(t, r.URL+"/readyz"); status != http.StatusOK || !strings.Contains(body, "degraded") {
				t.Errorf("replica %d /readyz = %d %s, want 200 degraded", i, status, body)
			}
		}
		if !strings.Contains(st.Logs.String(), "FAILS AUTHENTICATION") {
			t.Error("no replica logged the forged version")
		}
		found := false
		for _, ev := range mappingEvents(t, st) {
			if ev["code"] == "mapping_history_unverified" && ev["to_version"] == float64(before.Number+1) {
				found = true
			}
		}
		if !found {
			t.Error("the refused version is not in the audit trail")
		}

		// A broken version signed with the right keys (a tool that has
		// them) is not served either: the mapping's problems say why.
		store, err := dynamostore.NewMapping(db, dynamostore.MappingOptions{Table: st.Table, Keys: st.Config.SessionKeys})
		if err != nil {
			t.Fatal(err)
		}
		forgedVersion := mapstore.Version{Number: before.Number + 1, Digest: mapstore.Digest([]byte(forged))}
		broken, err := store.Put(ctx, []byte("teams: [\n"), forgedVersion, mapstore.Change{Author: "tool", Reason: "oops"})
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range st.Replicas {
			eventually(t, fmt.Sprintf("replica %d sees the broken version", i), 3*time.Second, func() bool {
				s := r.Broker.Mapping.State()
				return s.Latest.Number == broken.Number && !s.Valid() && s.Serving.Number == serving.Number
			})
		}
		// An admin fixes it through either replica, and both serve the fix.
		fixed := content + "# fixed\n"
		if status, m := putMapping(r1.URL, fixed, broken.ETag()); status != http.StatusOK {
			t.Fatalf("fix through B = %d %v", status, m)
		}
		for i, r := range st.Replicas {
			eventually(t, fmt.Sprintf("replica %d serves the fix", i), 3*time.Second, func() bool {
				s := r.Broker.Mapping.State()
				return s.Valid() && s.Serving.Number == broken.Number+1
			})
		}
		if got, _ := getMapping(r0.URL); got != fixed {
			t.Errorf("A serves %q, want the fix", got)
		}
	})
}

func history(t *testing.T, base, token string) []map[string]any {
	t.Helper()
	status, _, body := apiCallRaw(t, http.MethodGet, base+"/api/v1/admin/mapping/history", token)
	var out struct {
		Versions []map[string]any `json:"versions"`
	}
	if err := json.Unmarshal(body, &out); status != http.StatusOK || err != nil || len(out.Versions) < 2 {
		t.Fatalf("history = %d %s", status, body)
	}
	return out.Versions
}

func apiCallRaw(t *testing.T, method, u, token string) (int, http.Header, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, u, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

var metricLineRE = regexp.MustCompile(`(?m)^(\w+) ([0-9.e+-]+)$`)

// metricValue reads an unlabelled metric from a replica's metrics listener.
func metricValue(t *testing.T, metricsURL, name string) float64 {
	t.Helper()
	_, body := getBody(t, metricsURL+"/metrics")
	for _, m := range metricLineRE.FindAllStringSubmatch(body, -1) {
		if m[1] == name {
			v, _ := strconv.ParseFloat(m[2], 64)
			return v
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}

func getItem(t *testing.T, db *dynamodb.Client, table, pk, sk string) map[string]types.AttributeValue {
	t.Helper()
	out, err := db.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String(table), ConsistentRead: aws.Bool(true),
		Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: pk}, "sk": &types.AttributeValueMemberS{Value: sk}}})
	if err != nil || len(out.Item) == 0 {
		t.Fatalf("get %s/%s: %v (%d attributes)", pk, sk, err, len(out.Item))
	}
	return out.Item
}

func putItem(t *testing.T, db *dynamodb.Client, table string, item map[string]types.AttributeValue) {
	t.Helper()
	if _, err := db.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(table), Item: item}); err != nil {
		t.Fatal(err)
	}
}

// TestImportFileHistory: an admin moves the history a broker on the file
// store kept into the shared store with secds admin mapping import; the
// versions keep their authors and content, a tampered record stops the
// import (or is left out when asked), and what is served does not change.
func TestImportFileHistory(t *testing.T) {
	st := StartStack(t, StackOptions{SharedStore: true})
	ctx := context.Background()

	// The old broker's history, signed with the deployment's session keys.
	dir := t.TempDir()
	mappingFile := dir + "/teams.yaml"
	if err := os.WriteFile(mappingFile, configs.DevTeams, 0o600); err != nil {
		t.Fatal(err)
	}
	file, err := mapstore.OpenFile(ctx, mappingFile, mapstore.FileOptions{HistoryDir: dir + "/history", Keys: st.Config.SessionKeys})
	if err != nil {
		t.Fatal(err)
	}
	v1, _ := file.Get(ctx)
	editA := edit(t, configs.DevTeams, "cost-center: cc-1042", "cost-center: cc-old-a")
	editB := edit(t, configs.DevTeams, "cost-center: cc-2077", "cost-center: cc-old-b")
	v2, err := file.Put(ctx, editA, v1.Version, mapstore.Change{Author: "ann", Reason: "edit: first"})
	if err != nil {
		t.Fatal(err)
	}
	v3, err := file.Put(ctx, editB, v2.Version, mapstore.Change{Author: "ben", Reason: "edit: second"})
	if err != nil {
		t.Fatal(err)
	}
	_ = file.Close()
	served := st.Broker().Mapping.State().Serving

	laptop := newLaptop(t, st, "admin")
	laptop.configure()
	laptop.run("admin", "mapping", "import", "--dry-run", dir+"/history").want(t, 0, "Read versions 1 to 3 (3 records)")

	// A record changed on disk stops the whole import.
	rec := fmt.Sprintf("%s/history/%06d.json", dir, v2.Number)
	orig, err := os.ReadFile(rec)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(rec, []byte(strings.Replace(string(orig), `"ann"`, `"mallory"`, 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	laptop.run("admin", "mapping", "import", dir+"/history").want(t, cli.ExitDenied, "version 2", "do not authenticate", "--skip-unverified")
	if hist := st.Broker().Mapping.State(); hist.Latest.Number != served.Number {
		t.Fatalf("a refused import wrote versions: latest %d", hist.Latest.Number)
	}
	laptop.run("admin", "mapping", "import", "--skip-unverified", dir+"/history").want(t, 0, "Left out version 2", "Imported 2 versions (1-3) as versions 2-3", "Version 4 is current")

	_, doc := bearer(t, st.URL, http.MethodGet, "/api/v1/admin/mapping/history/3", adminToken(t, st), "")
	if doc["content"] != string(editB) || doc["author"] != "ben" || doc["reason"] != "imported version 3: edit: second" {
		t.Errorf("version 3 = %v, want ben's second edit", doc)
	}
	state := st.Broker().Mapping.State()
	if state.Serving.Number != 4 || state.Serving.Digest != served.Digest || state.Serving.Reason != dynamostore.ReasonKeptAfterImport {
		t.Errorf("after the import serving %+v, want version 4 with the content served before (%s)", state.Serving, served.Digest)
	}
	_ = v3
	var found bool
	for _, ev := range mappingEvents(t, st) {
		if ev["decision"] == "granted" && strings.HasPrefix(fmt.Sprint(ev["reason"]), "import of 2 history records") && ev["to_version"] == 4.0 {
			found = true
		}
	}
	if !found {
		t.Error("the import is not in the audit trail")
	}
}

func adminToken(t *testing.T, st *Stack) string {
	tok, _ := issueToken(t, st, abac.Identity{Subject: "admin-sub", Username: "admin", Groups: []string{"secds-admins"}})
	return tok
}
