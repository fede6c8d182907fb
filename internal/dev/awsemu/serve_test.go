package awsemu

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

func TestCheckLoopback(t *testing.T) {
	tests := []struct {
		addr string
		ok   bool
	}{
		{"127.0.0.1:4566", true},
		{"127.0.0.2:0", true},
		{"[::1]:4566", true},
		{"localhost:4566", true},
		{":4566", false},
		{"0.0.0.0:4566", false},
		{"[::]:4566", false},
		{"192.168.1.10:4566", false},
		{"example.com:4566", false},
		{"127.0.0.1", false},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			if err := CheckLoopback(tt.addr); (err == nil) != tt.ok {
				t.Errorf("CheckLoopback(%q) = %v, want ok=%v", tt.addr, err, tt.ok)
			}
		})
	}
}

func TestServe(t *testing.T) {
	emu, err := New(testSeed())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if _, err := Serve(ctx, emu, "0.0.0.0:0"); err == nil {
		t.Fatal("Serve accepted a non-loopback address")
	}
	base, err := Serve(ctx, emu, "127.0.0.1:0")
	if err != nil {
		t.Fatalf("Serve: %v", err)
	}

	env := &testEnv{emu: emu, url: base}
	if _, err := env.brokerSTS().GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatalf("GetCallerIdentity via Serve: %v", err)
	}
	// The presigned URL must point at the served base URL, not at a guess.
	sm := env.sessionSageMaker(env.assume(t, fraudRole, "alice", map[string]string{"team": "fraud"}))
	out, err := sm.CreatePresignedNotebookInstanceUrl(ctx, &sagemaker.CreatePresignedNotebookInstanceUrlInput{NotebookInstanceName: aws.String("fraud-alice")})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(*out.AuthorizedUrl)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("sign-in link status %d", resp.StatusCode)
	}

	cancel()
	deadline := time.Now().Add(5 * time.Second)
	for {
		resp, err := http.Get(base + "/notebooks/fraud-alice")
		if err != nil {
			break // shut down
		}
		resp.Body.Close()
		if time.Now().After(deadline) {
			t.Fatal("server still answering after ctx was cancelled")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
