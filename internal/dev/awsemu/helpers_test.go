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
	otherKey        = "AKIAEXAMPLEOTHER001"
	otherSecret     = "example-other-secret-not-real-00000000000"
	otherPrincipal  = "arn:aws:iam::123456789012:user/someone-else"
	fraudRole       = "arn:aws:iam::123456789012:role/secds-team-fraud"
	marketingRole   = "arn:aws:iam::123456789012:role/secds-team-marketing"
	chainedRole     = "arn:aws:iam::123456789012:role/secds-chained"
)

func testSeed() Seed {
	return Seed{
		Credentials: []Credential{
			{AccessKeyID: brokerKey, SecretAccessKey: brokerSecret, Principal: brokerPrincipal},
			{AccessKeyID: otherKey, SecretAccessKey: otherSecret, Principal: otherPrincipal},
		},
		Roles: []Role{
			{ARN: fraudRole, TrustedPrincipals: []string{brokerPrincipal}, MaxSessionDuration: 7200},
			{ARN: marketingRole, TrustedPrincipals: []string{brokerPrincipal}},
			{ARN: chainedRole, TrustedPrincipals: []string{fraudRole}},
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
