package iamseed_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"

	"github.com/secds/secds/abac"
	"github.com/secds/secds/configs"
	"github.com/secds/secds/internal/dev/awsemu"
	"github.com/secds/secds/internal/dev/iamseed"
	"github.com/secds/secds/internal/iampolicy"
	"github.com/secds/secds/internal/mapstore"
	"github.com/secds/secds/internal/testutil"
)

const (
	brokerPrincipal = "arn:aws:iam::123456789012:user/secds-broker"
	riskRole        = "arn:aws:iam::123456789012:role/secds-team-risk"
	fraudRole       = "arn:aws:iam::123456789012:role/secds-team-fraud"
)

func devSeed(t *testing.T) awsemu.Seed {
	t.Helper()
	s, err := awsemu.ParseSeed(configs.DevAWS)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func devMapping(t *testing.T) *abac.Mapping {
	t.Helper()
	m, err := abac.Parse("teams.yaml", configs.DevTeams)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// withRisk is the dev mapping with a fourth team, as an admin might add.
var withRisk = string(configs.DevTeams) + `  - name: risk
    match:
      - groups: [ds-risk]
    role_arn: arn:aws:iam::123456789012:role/secds-team-risk
    notebooks:
      tags:
        owner: "{{.Username}}"
`

func TestApply(t *testing.T) {
	seed := devSeed(t)
	m := devMapping(t)
	opts := iampolicy.Options{BrokerPrincipal: brokerPrincipal}
	got, err := iamseed.Apply(seed, m, opts)
	if err != nil {
		t.Fatal(err)
	}
	want, err := iampolicy.Generate(m, "", opts)
	if err != nil {
		t.Fatal(err)
	}
	same := func(t *testing.T, what, text string, doc iampolicy.Document) {
		t.Helper()
		b, _ := json.Marshal(doc)
		if text != string(b) {
			t.Errorf("%s = %s, want the generated %s", what, text, b)
		}
	}
	if len(got.Roles) != len(want.Teams) {
		t.Fatalf("roles = %d, want one per team (%d)", len(got.Roles), len(want.Teams))
	}
	for _, team := range want.Teams {
		t.Run(team.Team, func(t *testing.T) {
			for _, r := range got.Roles {
				if r.ARN == team.RoleARN {
					same(t, "trust policy", r.TrustPolicy, team.Trust)
					same(t, "permission policy", r.Policies[iamseed.TeamPolicyName], team.Permissions)
					return
				}
			}
			t.Errorf("no role %s", team.RoleARN)
		})
	}
	same(t, "broker policy", got.Credentials[0].Policies[iamseed.BrokerPolicyName], want.Broker.Policy)
	if len(seed.Roles) != 0 || seed.Credentials[0].Policies != nil {
		t.Error("Apply changed the seed it was given")
	}
	if _, err := awsemu.New(got); err != nil {
		t.Errorf("the emulator refuses the applied seed: %v", err)
	}
}

func TestApplyRefuses(t *testing.T) {
	tests := []struct {
		name string
		opts iampolicy.Options
		want string
	}{
		{"broker principal without a credential", iampolicy.Options{BrokerPrincipal: "arn:aws:iam::123456789012:user/other"}, "no seed credential has the broker principal"},
		{"options the generator refuses", iampolicy.Options{BrokerPrincipal: brokerPrincipal, SourceVPCEs: []string{"not-a-vpce"}}, "generate IAM policies"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := iamseed.Apply(devSeed(t), devMapping(t), tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Apply = %v, want an error with %q", err, tt.want)
			}
		})
	}
}

// TestFollow: an admin's edit of the mapping reaches the emulator's IAM;
// a version the broker would refuse is skipped.
func TestFollow(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	opts := iampolicy.Options{BrokerPrincipal: brokerPrincipal}
	seed, err := iamseed.Apply(devSeed(t), devMapping(t), opts)
	if err != nil {
		t.Fatal(err)
	}
	emu, err := awsemu.New(seed)
	if err != nil {
		t.Fatal(err)
	}
	store := mapstore.NewMemory(configs.DevTeams, mapstore.Change{Author: "test"}, nil)
	live, err := mapstore.NewLive(ctx, store, mapstore.LiveOptions{Name: "teams.yaml", Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	logs := &testutil.Buffer{}
	if err := iamseed.Follow(ctx, emu, live, opts, slog.New(slog.NewTextHandler(logs, nil))); err != nil {
		t.Fatal(err)
	}
	put := func(content string) {
		t.Helper()
		cur, err := store.Get(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := store.Put(ctx, []byte(content), cur.Version, mapstore.Change{Author: "admin", Reason: "edit"}); err != nil {
			t.Fatal(err)
		}
	}
	// waitFor polls until cond holds: the emulator is updated in the
	// background, as in the dev stack.
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%s: not applied", what)
			}
		}
	}
	fraudBefore, _ := emu.Role(fraudRole)
	put("version: 1\nteams: [oops\n") // invalid: skipped
	waitFor("the invalid version", func() bool {
		return strings.Contains(logs.String(), "keeps the last good mapping's IAM policies")
	})
	if fraudAfter, _ := emu.Role(fraudRole); fraudAfter.TrustPolicy != fraudBefore.TrustPolicy || fraudAfter.Policies[iamseed.TeamPolicyName] != fraudBefore.Policies[iamseed.TeamPolicyName] {
		t.Fatal("an invalid version changed the fraud role's policies")
	}
	put(withRisk)
	waitFor("the new team's role", func() bool { _, ok := emu.Role(riskRole); return ok })
	if r, _ := emu.Role(riskRole); r.TrustPolicy == "" || r.Policies[iamseed.TeamPolicyName] == "" {
		t.Errorf("the new role lacks its policies: %+v", r)
	}

	// The broker's identity policy now names the new role too: the broker
	// assumes it as it would for a member of the new team.
	srv := httptest.NewServer(emu.Handler())
	defer srv.Close()
	cred := seed.Credentials[0]
	client := sts.New(sts.Options{Region: seed.Region, BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider(cred.AccessKeyID, cred.SecretAccessKey, "")})
	waitFor("the broker's identity policy", func() bool {
		_, err := client.AssumeRole(ctx, &sts.AssumeRoleInput{
			RoleArn: aws.String(riskRole), RoleSessionName: aws.String("erin"), SourceIdentity: aws.String("erin"),
			Tags: []ststypes.Tag{{Key: aws.String("team"), Value: aws.String("risk")}, {Key: aws.String("user"), Value: aws.String("erin")}},
		})
		return err == nil
	})
}
