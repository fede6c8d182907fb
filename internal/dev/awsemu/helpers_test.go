package awsemu

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go"
)

const (
	brokerKey       = "AKIAEXAMPLEBROKER01"
	brokerSecret    = "example-broker-secret-not-real-0000000000"
	brokerPrincipal = "arn:aws:iam::123456789012:user/secds-broker"
	adminKey        = "AKIAEXAMPLEADMIN001"
	adminSecret     = "example-admin-secret-not-real-00000000000"
	adminPrincipal  = "arn:aws:iam::123456789012:user/admin"
	otherKey        = "AKIAEXAMPLEOTHER001"
	otherSecret     = "example-other-secret-not-real-00000000000"
	otherPrincipal  = "arn:aws:iam::123456789012:user/someone-else"
	fraudRole       = "arn:aws:iam::123456789012:role/secds-team-fraud"
	marketingRole   = "arn:aws:iam::123456789012:role/secds-team-marketing"
	chainedRole     = "arn:aws:iam::123456789012:role/secds-chained"
	// riskRole's trust policy is shaped like the generated ones: team tag
	// pinned, tag keys listed, SourceIdentity required.
	riskRole = "arn:aws:iam::123456789012:role/secds-team-risk"
)

// The emulator's own tests use small hand-written policies; everything
// else in the repository seeds it with the generated ones (internal/dev/iamseed).
const (
	// brokerPolicy lets the broker assume the team roles, nothing else.
	brokerPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
		"Action":["sts:AssumeRole","sts:TagSession","sts:SetSourceIdentity"],
		"Resource":"arn:aws:iam::123456789012:role/secds-team-*"}]}`
	adminPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sagemaker:*","Resource":"*"}]}`
	// openTrust admits the broker with any tags and source identity, so
	// the tests of AssumeRole's parameters reach them.
	openTrust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
		"Principal":{"AWS":"arn:aws:iam::123456789012:user/secds-broker"},
		"Action":["sts:AssumeRole","sts:TagSession","sts:SetSourceIdentity"]}]}`
	// teamPolicy is the ABAC rule: a session may see and presign only
	// notebooks whose team tag is its own team tag.
	teamPolicy = `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"sagemaker:ListNotebookInstances","Resource":"*"},
		{"Effect":"Allow","Action":"sagemaker:ListTags","Resource":"arn:aws:sagemaker:*:123456789012:notebook-instance/*"},
		{"Effect":"Allow","Action":["sagemaker:DescribeNotebookInstance","sagemaker:CreatePresignedNotebookInstanceUrl"],
		 "Resource":"arn:aws:sagemaker:*:123456789012:notebook-instance/*",
		 "Condition":{"StringEquals":{"sagemaker:ResourceTag/team":"${aws:PrincipalTag/team}"}}}]}`
	chainPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
		"Action":["sts:AssumeRole","sts:TagSession","sts:SetSourceIdentity"],
		"Resource":"arn:aws:iam::123456789012:role/secds-chained"}]}`
	chainedTrust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
		"Principal":{"AWS":"arn:aws:iam::123456789012:role/secds-team-fraud"},
		"Action":["sts:AssumeRole","sts:TagSession","sts:SetSourceIdentity"]}]}`
	riskTrust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
		"Principal":{"AWS":"arn:aws:iam::123456789012:user/secds-broker"},
		"Action":["sts:AssumeRole","sts:TagSession","sts:SetSourceIdentity"],
		"Condition":{
			"StringEquals":{"aws:RequestTag/team":"risk"},
			"ForAllValues:StringEquals":{"aws:TagKeys":["team","user"]},
			"Null":{"aws:RequestTag/user":"false","sts:SourceIdentity":"false"}}}]}`
)

func testSeed() Seed {
	return Seed{
		Credentials: []Credential{
			{AccessKeyID: brokerKey, SecretAccessKey: brokerSecret, Principal: brokerPrincipal, Policies: map[string]string{"assume-team-roles": brokerPolicy}},
			{AccessKeyID: adminKey, SecretAccessKey: adminSecret, Principal: adminPrincipal, Policies: map[string]string{"sagemaker-admin": adminPolicy}},
			{AccessKeyID: otherKey, SecretAccessKey: otherSecret, Principal: otherPrincipal},
		},
		Roles: []Role{
			{ARN: fraudRole, TrustPolicy: openTrust, Policies: map[string]string{"team": teamPolicy, "chain": chainPolicy}, MaxSessionDuration: 7200},
			{ARN: marketingRole, TrustPolicy: openTrust, Policies: map[string]string{"team": teamPolicy}},
			{ARN: chainedRole, TrustPolicy: chainedTrust},
			{ARN: riskRole, TrustPolicy: riskTrust, Policies: map[string]string{"team": teamPolicy}},
		},
		Notebooks: []Notebook{
			{Name: "fraud-alice", Tags: map[string]string{"team": "fraud", "owner": "alice"}},
			{Name: "fraud-alice-stopped", Status: "Stopped", Tags: map[string]string{"team": "fraud", "owner": "alice"}},
			{Name: "marketing-bob", Tags: map[string]string{"team": "marketing", "owner": "bob"}},
			{Name: "admin-sandbox", Tags: map[string]string{"team": "platform", "owner": "admin"}},
			{Name: "untagged"},
		},
	}
}

// testEnv is an emulator served by httptest, reached with the real SDK clients.
type testEnv struct {
	emu *Emulator
	url string
}

func newTestEnv(t *testing.T, opts ...Option) *testEnv {
	t.Helper()
	emu, err := New(testSeed(), opts...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	srv := httptest.NewServer(emu.Handler())
	t.Cleanup(srv.Close)
	emu.SetBaseURL(srv.URL)
	return &testEnv{emu: emu, url: srv.URL}
}

func (env *testEnv) config(key, secret, token string) aws.Config {
	return aws.Config{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider(key, secret, token),
		RetryMaxAttempts: 1,
	}
}

func (env *testEnv) sts(key, secret, token string) *sts.Client {
	return sts.NewFromConfig(env.config(key, secret, token), func(o *sts.Options) { o.BaseEndpoint = aws.String(env.url) })
}

func (env *testEnv) sageMaker(key, secret, token string) *sagemaker.Client {
	return sagemaker.NewFromConfig(env.config(key, secret, token), func(o *sagemaker.Options) { o.BaseEndpoint = aws.String(env.url) })
}

func (env *testEnv) brokerSTS() *sts.Client { return env.sts(brokerKey, brokerSecret, "") }

func (env *testEnv) brokerSageMaker() *sagemaker.Client {
	return env.sageMaker(brokerKey, brokerSecret, "")
}

// adminSageMaker is a long-lived key whose policy allows every SageMaker
// action, for tests about SageMaker's behaviour rather than IAM's.
func (env *testEnv) adminSageMaker() *sagemaker.Client {
	return env.sageMaker(adminKey, adminSecret, "")
}

// assume assumes role as the broker with the given session tags and returns
// the credentials.
func (env *testEnv) assume(t *testing.T, role, user string, tags map[string]string) *ststypes.Credentials {
	t.Helper()
	in := &sts.AssumeRoleInput{RoleArn: aws.String(role), RoleSessionName: aws.String(user), SourceIdentity: aws.String(user)}
	for k, v := range tags {
		in.Tags = append(in.Tags, ststypes.Tag{Key: aws.String(k), Value: aws.String(v)})
	}
	out, err := env.brokerSTS().AssumeRole(context.Background(), in)
	if err != nil {
		t.Fatalf("AssumeRole %s: %v", role, err)
	}
	return out.Credentials
}

func (env *testEnv) sessionSageMaker(c *ststypes.Credentials) *sagemaker.Client {
	return env.sageMaker(*c.AccessKeyId, *c.SecretAccessKey, *c.SessionToken)
}

// errorCode returns the AWS error code of err, or "" when err is nil; it
// fails the test when err is not an API error.
func errorCode(t *testing.T, err error) string {
	t.Helper()
	if err == nil {
		return ""
	}
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("error is not a smithy.APIError: %v", err)
	}
	return apiErr.ErrorCode()
}
