package iamsim

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/secds/secds/internal/iameval"
)

func parse(t *testing.T, doc string) *iameval.Policy {
	t.Helper()
	p, err := iameval.Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

const (
	user    = "arn:aws:iam::111122223333:user/u"
	allowS3 = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`
	denyS3  = `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"s3:*","Resource":"arn:aws:s3:::secret/*"}}`
)

func TestMergePolicies(t *testing.T) {
	merged, err := mergePolicies([]*iameval.Policy{parse(t, allowS3), parse(t, denyS3)})
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Version   string
		Statement []map[string]any
	}
	if err := json.Unmarshal(merged, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Version != "2012-10-17" || len(doc.Statement) != 2 || doc.Statement[1]["Effect"] != "Deny" {
		t.Errorf("merged = %s", merged)
	}
	for _, tc := range []struct {
		name string
		ps   []*iameval.Policy
		want string
	}{
		{"empty set", []*iameval.Policy{}, "empty set"},
		{"mixed versions", []*iameval.Policy{parse(t, allowS3), parse(t, `{"Version":"2008-10-17","Statement":[]}`)}, "versions"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := mergePolicies(tc.ps); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want one saying %q", err, tc.want)
			}
		})
	}
}

func TestFindSaysHowToInstall(t *testing.T) {
	t.Setenv(DirEnv, t.TempDir())
	_, err := Find()
	if err == nil || !strings.Contains(err.Error(), "make iamsim") {
		t.Errorf("Find() = %v, want an error saying to run make iamsim", err)
	}
}

// TestDecide runs the tool on a small batch, in order, with each decision.
func TestDecide(t *testing.T) {
	tool := Require(t)
	get := iameval.Request{Principal: user, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k"}
	secret := get
	secret.Resource = "arn:aws:s3:::secret/k"
	put := get
	put.Action = "s3:PutObject"
	pols := iameval.Policies{Identity: []*iameval.Policy{parse(t, allowS3), parse(t, denyS3)}, PrincipalAccount: "111122223333"}
	got, err := tool.Decide(context.Background(), []Case{{get, pols}, {secret, pols}, {put, pols}})
	if err != nil {
		t.Fatal(err)
	}
	want := []iameval.Decision{iameval.Allow, iameval.ExplicitDeny, iameval.ImplicitDeny}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("case %d: %v, want %v", i, got[i], want[i])
		}
	}
}

// TestDecideRefusesMootCases: a context key the action does not have would
// be dropped by iam-simulate, so Decide says so instead of answering.
func TestDecideRefusesMootCases(t *testing.T) {
	tool := Require(t)
	req := iameval.Request{Principal: user, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k",
		Context: map[string][]string{"sts:RoleSessionName": {"alice"}}}
	_, err := tool.Decide(context.Background(), []Case{{req, iameval.Policies{Identity: []*iameval.Policy{parse(t, allowS3)}}}})
	if err == nil || !strings.Contains(err.Error(), "ignores context keys sts:RoleSessionName") {
		t.Errorf("err = %v, want one naming the ignored key", err)
	}
}
