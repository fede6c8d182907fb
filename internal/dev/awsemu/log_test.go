package awsemu

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"

	"github.com/secds/secds/internal/testutil"
)

func TestLogsHoldNoSecrets(t *testing.T) {
	var logs testutil.Buffer
	env := newTestEnv(t, WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	c := env.assume(t, fraudRole, "alice", map[string]string{"team": "fraud"})
	out, err := env.sessionSageMaker(c).CreatePresignedNotebookInstanceUrl(context.Background(),
		&sagemaker.CreatePresignedNotebookInstanceUrlInput{NotebookInstanceName: aws.String("fraud-alice")})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 { // once accepted, once refused
		resp, err := http.Get(*out.AuthorizedUrl)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	_, _ = env.sageMaker(brokerKey, "wrong-secret-0000000000", "").ListNotebookInstances(context.Background(), &sagemaker.ListNotebookInstancesInput{})

	got := logs.String()
	if !strings.Contains(got, "op=CreatePresignedNotebookInstanceUrl") || !strings.Contains(got, "already used") {
		t.Fatalf("expected request lines in the log:\n%s", got)
	}
	for name, secret := range map[string]string{
		"broker secret":  brokerSecret,
		"session key ID": *c.AccessKeyId,
		"session secret": *c.SecretAccessKey,
		"session token":  *c.SessionToken,
		"auth token":     mustQuery(t, *out.AuthorizedUrl, "authToken"),
	} {
		if strings.Contains(got, secret) {
			t.Errorf("log contains the %s", name)
		}
	}
}
