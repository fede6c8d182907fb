package awsemu

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
)

// lockedBuffer is a bytes.Buffer safe for the server's goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestLogsHoldNoSecrets(t *testing.T) {
	var logs lockedBuffer
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
