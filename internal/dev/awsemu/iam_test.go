package awsemu

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go"
)

func stsTags(kv ...string) []ststypes.Tag {
	var tags []ststypes.Tag
	for i := 0; i+1 < len(kv); i += 2 {
		tags = append(tags, ststypes.Tag{Key: aws.String(kv[i]), Value: aws.String(kv[i+1])})
	}
	return tags
}

// wantDenied fails t unless err is AWS's refusal with code, naming the
// principal, the action and why.
func wantDenied(t *testing.T, err error, code, principal, action, why string) {
	t.Helper()
	if got := errorCode(t, err); got != code {
		t.Fatalf("error code = %q, want %q (%v)", got, code, err)
	}
	var apiErr smithy.APIError
	errors.As(err, &apiErr) // errorCode has checked it is one
	m := apiErr.ErrorMessage()
	for _, want := range []string{"User: " + principal + " is not authorized to perform: " + action + " on resource: ", why} {
		if !strings.Contains(m, want) {
			t.Errorf("message %q lacks %q", m, want)
		}
	}
}

// TestAssumeRoleTrustPolicy: the role's trust policy is evaluated with the
// request's tags and source identity, and the caller's own identity policy
// must allow the call too.
func TestAssumeRoleTrustPolicy(t *testing.T) {
	env := newTestEnv(t)
	good := func() *sts.AssumeRoleInput {
		return &sts.AssumeRoleInput{RoleArn: aws.String(riskRole), RoleSessionName: aws.String("alice"),
			SourceIdentity: aws.String("alice"), Tags: stsTags("team", "risk", "user", "alice")}
	}
	tests := []struct {
		name      string
		client    *sts.Client
		modify    func(*sts.AssumeRoleInput)
		principal string
		action    string // the action refused; "" to succeed
		why       string
	}{
		{"as the broker asks", env.brokerSTS(), func(*sts.AssumeRoleInput) {}, brokerPrincipal, "", ""},
		{"no SourceIdentity", env.brokerSTS(), func(in *sts.AssumeRoleInput) { in.SourceIdentity = nil },
			brokerPrincipal, "sts:AssumeRole", "resource-based policy"},
		{"wrong team tag", env.brokerSTS(), func(in *sts.AssumeRoleInput) { in.Tags = stsTags("team", "fraud", "user", "alice") },
			brokerPrincipal, "sts:AssumeRole", "resource-based policy"},
		{"team tag in another case", env.brokerSTS(), func(in *sts.AssumeRoleInput) { in.Tags = stsTags("team", "Risk", "user", "alice") },
			brokerPrincipal, "sts:AssumeRole", "resource-based policy"},
		{"unlisted tag key", env.brokerSTS(), func(in *sts.AssumeRoleInput) { in.Tags = append(in.Tags, stsTags("cost-center", "cc-1")...) },
			brokerPrincipal, "sts:AssumeRole", "resource-based policy"},
		{"no user tag", env.brokerSTS(), func(in *sts.AssumeRoleInput) { in.Tags = stsTags("team", "risk") },
			brokerPrincipal, "sts:AssumeRole", "resource-based policy"},
		{"no tags at all", env.brokerSTS(), func(in *sts.AssumeRoleInput) { in.Tags = nil },
			brokerPrincipal, "sts:AssumeRole", "resource-based policy"},
		{"a principal the trust policy does not name", env.sts(adminKey, adminSecret, ""), func(*sts.AssumeRoleInput) {},
			adminPrincipal, "sts:AssumeRole", "because no"},
		{"a key without any policy", env.sts(otherKey, otherSecret, ""), func(*sts.AssumeRoleInput) {},
			otherPrincipal, "sts:AssumeRole", "because no"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := good()
			tt.modify(in)
			_, err := tt.client.AssumeRole(context.Background(), in)
			if tt.action == "" {
				if err != nil {
					t.Fatalf("AssumeRole: %v", err)
				}
				return
			}
			wantDenied(t, err, "AccessDenied", tt.principal, tt.action, tt.why)
		})
	}
}

// TestAssumeRoleNeedsEachAction: tags need sts:TagSession and a source
// identity needs sts:SetSourceIdentity, each allowed by both walls.
func TestAssumeRoleNeedsEachAction(t *testing.T) {
	env := newTestEnv(t)
	onlyAssume := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::123456789012:role/secds-team-*"}]}`
	tests := []struct {
		name          string
		brokerPolicy  string
		trust         string
		in            sts.AssumeRoleInput
		refusedAction string
		why           string
	}{
		{"identity policy lacks TagSession", onlyAssume, openTrust,
			sts.AssumeRoleInput{Tags: stsTags("team", "fraud")}, "sts:TagSession", "no identity-based policy allows the sts:TagSession action"},
		{"identity policy lacks SetSourceIdentity", onlyAssume, openTrust,
			sts.AssumeRoleInput{SourceIdentity: aws.String("alice")}, "sts:SetSourceIdentity", "no identity-based policy allows the sts:SetSourceIdentity action"},
		{"no tags, no source identity: AssumeRole alone", onlyAssume, openTrust, sts.AssumeRoleInput{}, "", ""},
		{"trust lacks SetSourceIdentity", brokerPolicy, strings.Replace(openTrust, `,"sts:SetSourceIdentity"`, "", 1),
			sts.AssumeRoleInput{SourceIdentity: aws.String("alice")}, "sts:SetSourceIdentity", "resource-based policy"},
		{"no identity policy at all", "", openTrust, sts.AssumeRoleInput{}, "sts:AssumeRole", "no identity-based policy allows the sts:AssumeRole action"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var policies map[string]string
			if tt.brokerPolicy != "" {
				policies = map[string]string{"p": tt.brokerPolicy}
			}
			if err := env.emu.SetPrincipalPolicies(brokerPrincipal, policies); err != nil {
				t.Fatal(err)
			}
			if err := env.emu.SetRolePolicies(fraudRole, tt.trust, map[string]string{"team": teamPolicy}); err != nil {
				t.Fatal(err)
			}
			in := tt.in
			in.RoleArn, in.RoleSessionName = aws.String(fraudRole), aws.String("alice")
			_, err := env.brokerSTS().AssumeRole(context.Background(), &in)
			if tt.refusedAction == "" {
				if err != nil {
					t.Fatalf("AssumeRole: %v", err)
				}
				return
			}
			wantDenied(t, err, "AccessDenied", brokerPrincipal, tt.refusedAction, tt.why)
		})
	}
}

// TestSageMakerAuthorizedByPolicy: every operation is authorized by the
// caller's policies before it acts.
func TestSageMakerAuthorizedByPolicy(t *testing.T) {
	env := newTestEnv(t)
	fraud := env.sessionSageMaker(env.assume(t, fraudRole, "alice", map[string]string{"team": "fraud", "user": "alice"}))
	fraudARN := "arn:aws:sagemaker:us-east-1:123456789012:notebook-instance/fraud-alice"
	fraudSession := "arn:aws:sts::123456789012:assumed-role/secds-team-fraud/alice"
	ctx := context.Background()
	list := func(c *sagemaker.Client) error {
		_, err := c.ListNotebookInstances(ctx, &sagemaker.ListNotebookInstancesInput{})
		return err
	}
	listTags := func(arn string) func(*sagemaker.Client) error {
		return func(c *sagemaker.Client) error {
			_, err := c.ListTags(ctx, &sagemaker.ListTagsInput{ResourceArn: aws.String(arn)})
			return err
		}
	}
	describe := func(name string) func(*sagemaker.Client) error {
		return func(c *sagemaker.Client) error {
			_, err := c.DescribeNotebookInstance(ctx, &sagemaker.DescribeNotebookInstanceInput{NotebookInstanceName: aws.String(name)})
			return err
		}
	}
	presign := func(name string) func(*sagemaker.Client) error {
		return func(c *sagemaker.Client) error {
			_, err := c.CreatePresignedNotebookInstanceUrl(ctx, &sagemaker.CreatePresignedNotebookInstanceUrlInput{NotebookInstanceName: aws.String(name)})
			return err
		}
	}
	tests := []struct {
		name      string
		client    *sagemaker.Client
		call      func(*sagemaker.Client) error
		principal string
		action    string // refused action, "" to succeed
	}{
		{"session lists", fraud, list, "", ""},
		{"session reads a notebook's tags", fraud, listTags(fraudARN), "", ""},
		{"session describes its team's notebook", fraud, describe("fraud-alice"), "", ""},
		{"session presigns its team's notebook", fraud, presign("fraud-alice"), "", ""},
		{"session describes another team's notebook", fraud, describe("marketing-bob"), fraudSession, "sagemaker:DescribeNotebookInstance"},
		{"session describes a missing notebook: denied, not not-found", fraud, describe("nope"), fraudSession, "sagemaker:DescribeNotebookInstance"},
		{"session presigns a missing notebook: denied, not not-found", fraud, presign("nope"), fraudSession, "sagemaker:CreatePresignedNotebookInstanceUrl"},
		{"session reads tags outside its account", fraud, listTags("arn:aws:sagemaker:us-east-1:999999999999:notebook-instance/x"), fraudSession, "sagemaker:ListTags"},
		{"broker's key lists", env.brokerSageMaker(), list, brokerPrincipal, "sagemaker:ListNotebookInstances"},
		{"broker's key reads tags", env.brokerSageMaker(), listTags(fraudARN), brokerPrincipal, "sagemaker:ListTags"},
		{"broker's key describes", env.brokerSageMaker(), describe("fraud-alice"), brokerPrincipal, "sagemaker:DescribeNotebookInstance"},
		{"broker's key presigns", env.brokerSageMaker(), presign("fraud-alice"), brokerPrincipal, "sagemaker:CreatePresignedNotebookInstanceUrl"},
		{"key without a policy lists", env.sageMaker(otherKey, otherSecret, ""), list, otherPrincipal, "sagemaker:ListNotebookInstances"},
		{"key without a policy reads tags", env.sageMaker(otherKey, otherSecret, ""), listTags(fraudARN), otherPrincipal, "sagemaker:ListTags"},
		{"key without a policy describes", env.sageMaker(otherKey, otherSecret, ""), describe("fraud-alice"), otherPrincipal, "sagemaker:DescribeNotebookInstance"},
		{"key without a policy presigns", env.sageMaker(otherKey, otherSecret, ""), presign("fraud-alice"), otherPrincipal, "sagemaker:CreatePresignedNotebookInstanceUrl"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call(tt.client)
			if tt.action == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantDenied(t, err, "AccessDeniedException", tt.principal, tt.action, "because no identity-based policy allows the "+tt.action+" action")
		})
	}
}

// TestPolicyComposition: an explicit deny wins over an allow, session
// policies intersect with the role's, and a policy change reaches sessions
// already issued.
func TestPolicyComposition(t *testing.T) {
	ctx := context.Background()
	denyAlice := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"sagemaker:CreatePresignedNotebookInstanceUrl",
		"Resource":"arn:aws:sagemaker:*:*:notebook-instance/fraud-alice"}]}`
	describeOnly := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sagemaker:Describe*","Resource":"*"}]}`
	presignInput := &sagemaker.CreatePresignedNotebookInstanceUrlInput{NotebookInstanceName: aws.String("fraud-alice")}
	describeInput := &sagemaker.DescribeNotebookInstanceInput{NotebookInstanceName: aws.String("fraud-alice")}
	session := "arn:aws:sts::123456789012:assumed-role/secds-team-fraud/alice"

	t.Run("explicit deny wins", func(t *testing.T) {
		env := newTestEnv(t)
		if err := env.emu.SetRolePolicies(fraudRole, openTrust, map[string]string{"team": teamPolicy, "deny": denyAlice}); err != nil {
			t.Fatal(err)
		}
		sm := env.sessionSageMaker(env.assume(t, fraudRole, "alice", map[string]string{"team": "fraud"}))
		_, err := sm.CreatePresignedNotebookInstanceUrl(ctx, presignInput)
		wantDenied(t, err, "AccessDeniedException", session, "sagemaker:CreatePresignedNotebookInstanceUrl", "explicit deny")
	})
	t.Run("session policy intersects", func(t *testing.T) {
		env := newTestEnv(t)
		out, err := env.brokerSTS().AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(fraudRole), RoleSessionName: aws.String("alice"),
			Tags: stsTags("team", "fraud"), Policy: aws.String(describeOnly)})
		if err != nil {
			t.Fatal(err)
		}
		sm := env.sessionSageMaker(out.Credentials)
		if _, err := sm.DescribeNotebookInstance(ctx, describeInput); err != nil {
			t.Errorf("describe, allowed by both: %v", err)
		}
		_, err = sm.CreatePresignedNotebookInstanceUrl(ctx, presignInput)
		wantDenied(t, err, "AccessDeniedException", session, "sagemaker:CreatePresignedNotebookInstanceUrl", "session policy")
		// The session policy cannot widen the role's: marketing-bob is not
		// the session's team.
		_, err = sm.DescribeNotebookInstance(ctx, &sagemaker.DescribeNotebookInstanceInput{NotebookInstanceName: aws.String("marketing-bob")})
		wantDenied(t, err, "AccessDeniedException", session, "sagemaker:DescribeNotebookInstance", "identity-based policy")
	})
	t.Run("malformed session policy", func(t *testing.T) {
		env := newTestEnv(t)
		_, err := env.brokerSTS().AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(fraudRole), RoleSessionName: aws.String("alice"),
			Policy: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Perhaps","Action":"*","Resource":"*"}]}`)})
		if got := errorCode(t, err); got != "MalformedPolicyDocument" {
			t.Errorf("error code = %q, want MalformedPolicyDocument (%v)", got, err)
		}
	})
	t.Run("a policy change reaches existing sessions", func(t *testing.T) {
		env := newTestEnv(t)
		sm := env.sessionSageMaker(env.assume(t, fraudRole, "alice", map[string]string{"team": "fraud"}))
		if _, err := sm.CreatePresignedNotebookInstanceUrl(ctx, presignInput); err != nil {
			t.Fatal(err)
		}
		if err := env.emu.SetRolePolicies(fraudRole, openTrust, map[string]string{"describe": describeOnly}); err != nil {
			t.Fatal(err)
		}
		_, err := sm.CreatePresignedNotebookInstanceUrl(ctx, presignInput)
		wantDenied(t, err, "AccessDeniedException", session, "sagemaker:CreatePresignedNotebookInstanceUrl", "identity-based policy")
	})
}

func TestRuntimePolicyChanges(t *testing.T) {
	env := newTestEnv(t)
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"unknown role", env.emu.SetRolePolicies("arn:aws:iam::123456789012:role/nope", openTrust, nil), "no role"},
		{"empty trust", env.emu.SetRolePolicies(fraudRole, "", nil), "trust_policy: required"},
		{"bad permission policy", env.emu.SetRolePolicies(fraudRole, openTrust, map[string]string{"bad": "{"}), `policy "bad"`},
		{"unknown principal", env.emu.SetPrincipalPolicies("arn:aws:iam::123456789012:user/nobody", nil), "no credential"},
		{"bad identity policy", env.emu.SetPrincipalPolicies(brokerPrincipal, map[string]string{"bad": "{"}), `policy "bad"`},
		{"put role with a bad ARN", env.emu.PutRole(Role{ARN: "arn:aws:iam::123456789012:user/x", TrustPolicy: openTrust}), "not a role ARN"},
		{"put role", env.emu.PutRole(Role{ARN: "arn:aws:iam::123456789012:role/secds-team-new", TrustPolicy: openTrust}), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			switch {
			case tt.want == "" && tt.err != nil:
				t.Fatal(tt.err)
			case tt.want != "" && (tt.err == nil || !strings.Contains(tt.err.Error(), tt.want)):
				t.Fatalf("error %v, want %q", tt.err, tt.want)
			}
		})
	}
	// A failed change changes nothing: the broker still assumes the fraud role.
	env.assume(t, fraudRole, "alice", map[string]string{"team": "fraud"})
	env.assume(t, "arn:aws:iam::123456789012:role/secds-team-new", "alice", nil)
}

// TestChainedAssumeRoleContext: a role session assuming another role is
// judged with its own session tags and source identity
// (aws:PrincipalTag/*, aws:SourceIdentity) and its role's ARN.
func TestChainedAssumeRoleContext(t *testing.T) {
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
		"Principal":{"AWS":"arn:aws:iam::123456789012:role/secds-team-fraud"},
		"Action":["sts:AssumeRole","sts:SetSourceIdentity"],
		"Condition":{"StringEquals":{"aws:PrincipalTag/team":"fraud","aws:SourceIdentity":"alice",
			"aws:PrincipalArn":"arn:aws:iam::123456789012:role/secds-team-fraud"}}}]}`
	tests := []struct {
		name, team, source string
		wantDenied         bool
	}{
		{"the tags and source identity the trust policy asks for", "fraud", "alice", false},
		{"another team tag", "marketing", "alice", true},
		{"another source identity", "fraud", "mallory", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newTestEnv(t)
			if err := env.emu.SetRolePolicies(chainedRole, trust, nil); err != nil {
				t.Fatal(err)
			}
			out, err := env.brokerSTS().AssumeRole(context.Background(), &sts.AssumeRoleInput{RoleArn: aws.String(fraudRole),
				RoleSessionName: aws.String("s1"), SourceIdentity: aws.String(tt.source), Tags: stsTags("team", tt.team)})
			if err != nil {
				t.Fatal(err)
			}
			c := out.Credentials
			_, err = env.sts(*c.AccessKeyId, *c.SecretAccessKey, *c.SessionToken).AssumeRole(context.Background(),
				&sts.AssumeRoleInput{RoleArn: aws.String(chainedRole), RoleSessionName: aws.String("s2")})
			if !tt.wantDenied {
				if err != nil {
					t.Fatalf("chained AssumeRole: %v", err)
				}
				return
			}
			wantDenied(t, err, "AccessDenied", "arn:aws:sts::123456789012:assumed-role/secds-team-fraud/s1", "sts:AssumeRole", "resource-based policy")
		})
	}
}

// TestAssumeRoleAcrossAccounts: a team role in another account is assumed
// when its trust policy admits the broker and the broker's own policy allows
// it (both walls, as AWS requires across accounts); either alone is not
// enough. A trust policy that names the broker's account hands the decision
// to the broker's identity policy.
func TestAssumeRoleAcrossAccounts(t *testing.T) {
	env := newTestEnv(t)
	const other = "arn:aws:iam::111122223333:role/secds-team-remote"
	allowRemote := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
		"Action":["sts:AssumeRole","sts:TagSession","sts:SetSourceIdentity"],
		"Resource":["arn:aws:iam::123456789012:role/secds-team-*","` + other + `"]}]}`
	accountTrust := strings.Replace(openTrust, `"arn:aws:iam::123456789012:user/secds-broker"`, `"arn:aws:iam::123456789012:root"`, 1)
	tests := []struct {
		name, trust, brokerPolicy, why string
	}{
		{"both allow", openTrust, allowRemote, ""},
		{"trust names the broker's account", accountTrust, allowRemote, ""},
		{"the broker's policy does not name the role", openTrust, brokerPolicy, "no identity-based policy allows"},
		{"the trust policy does not admit the broker", strings.Replace(openTrust, "user/secds-broker", "user/someone-else", 1), allowRemote, "because no"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := env.emu.PutRole(Role{ARN: other, TrustPolicy: tt.trust}); err != nil {
				t.Fatal(err)
			}
			if err := env.emu.SetPrincipalPolicies(brokerPrincipal, map[string]string{"p": tt.brokerPolicy}); err != nil {
				t.Fatal(err)
			}
			_, err := env.brokerSTS().AssumeRole(context.Background(), &sts.AssumeRoleInput{RoleArn: aws.String(other), RoleSessionName: aws.String("alice")})
			if tt.why == "" {
				if err != nil {
					t.Fatalf("AssumeRole: %v", err)
				}
				return
			}
			wantDenied(t, err, "AccessDenied", brokerPrincipal, "sts:AssumeRole", tt.why)
		})
	}
}

// TestUnknownRoleLooksLikeAnUntrustingOne: the refusal for a role that does
// not exist reads exactly as one for a role whose trust policy does not
// admit the caller, so no one learns which roles exist.
func TestUnknownRoleLooksLikeAnUntrustingOne(t *testing.T) {
	env := newTestEnv(t)
	const untrusting = "arn:aws:iam::123456789012:role/secds-team-untrusting"
	if err := env.emu.PutRole(Role{ARN: untrusting, TrustPolicy: strings.Replace(openTrust, "user/secds-broker", "user/someone-else", 1)}); err != nil {
		t.Fatal(err)
	}
	message := func(role string) string {
		_, err := env.brokerSTS().AssumeRole(context.Background(), &sts.AssumeRoleInput{RoleArn: aws.String(role), RoleSessionName: aws.String("alice")})
		var apiErr smithy.APIError
		if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "AccessDenied" {
			t.Fatalf("AssumeRole %s: %v, want AccessDenied", role, err)
		}
		return strings.Replace(apiErr.ErrorMessage(), role, "ROLE", 1)
	}
	if known, unknown := message(untrusting), message("arn:aws:iam::123456789012:role/secds-team-nope"); known != unknown {
		t.Fatalf("the refusals differ:\nknown   %s\nunknown %s", known, unknown)
	}
}

// TestListTagsIsAuthorizedAsTheNotebook: a notebook's tags are read under
// its own ARN whatever letter case the caller writes, so an ARN in capitals
// does not slip past a Deny written for the real one.
func TestListTagsIsAuthorizedAsTheNotebook(t *testing.T) {
	env := newTestEnv(t)
	const arn = "arn:aws:sagemaker:us-east-1:123456789012:notebook-instance/marketing-bob"
	deny := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"sagemaker:ListTags","Resource":"` + arn + `"}]}`
	if err := env.emu.SetPrincipalPolicies(adminPrincipal, map[string]string{"admin": adminPolicy, "deny": deny}); err != nil {
		t.Fatal(err)
	}
	for _, asked := range []string{arn, strings.Replace(arn, "marketing-bob", "MARKETING-BOB", 1)} {
		_, err := env.adminSageMaker().ListTags(context.Background(), &sagemaker.ListTagsInput{ResourceArn: aws.String(asked)})
		wantDenied(t, err, "AccessDeniedException", adminPrincipal, "sagemaker:ListTags", "explicit deny")
	}
}

// TestExampleSeedWorks: the example seed's own role can be assumed by the
// principal it is written for, and its session may describe a notebook.
func TestExampleSeedWorks(t *testing.T) {
	seed, err := LoadSeed("../../../configs/awsemu.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	emu, err := New(seed)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(emu.Handler())
	t.Cleanup(srv.Close)
	env := &testEnv{emu: emu, url: srv.URL}
	reader := seed.Credentials[1]
	out, err := env.sts(reader.AccessKeyID, reader.SecretAccessKey, "").AssumeRole(context.Background(),
		&sts.AssumeRoleInput{RoleArn: aws.String(seed.Roles[0].ARN), RoleSessionName: aws.String("auditor")})
	if err != nil {
		t.Fatalf("%s assumes %s: %v", reader.Principal, seed.Roles[0].ARN, err)
	}
	if _, err := env.sessionSageMaker(out.Credentials).DescribeNotebookInstance(context.Background(),
		&sagemaker.DescribeNotebookInstanceInput{NotebookInstanceName: aws.String(seed.Notebooks[0].Name)}); err != nil {
		t.Fatalf("the auditor session describes %s: %v", seed.Notebooks[0].Name, err)
	}
}

// TestPoliciesOfTheWrongKindAreRefused: as IAM refuses to store them, a
// trust policy statement without a Principal and an identity policy naming
// one are seed errors, not statements the evaluator would skip or misapply.
func TestPoliciesOfTheWrongKindAreRefused(t *testing.T) {
	seed := testSeed()
	seed.Roles[0].TrustPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"sts:AssumeRole"}]}`
	seed.Credentials[0].Policies = map[string]string{"odd": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`}
	_, err := New(seed)
	if err == nil {
		t.Fatal("a seed with policies of the wrong kind was accepted")
	}
	for _, want := range []string{"a resource policy needs a Principal", `policy "odd"`, "an identity policy has no Principal"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}
