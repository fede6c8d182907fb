package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

func TestRunRefusesBadInput(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"public address", []string{"--listen", "0.0.0.0:4566", "--seed", "../../configs/awsemu.example.yaml"}, "non-loopback"},
		{"missing seed", []string{"--listen", "127.0.0.1:0", "--seed", "nope.yaml"}, "read seed"},
		{"stray argument", []string{"serve"}, "unexpected arguments"},
		{"broker principal without a mapping", []string{"--listen", "127.0.0.1:0", "--seed", "../../configs/awsemu.example.yaml", "--broker-principal", "arn:aws:iam::123456789012:user/x"}, "needs --mapping"},
		{"missing mapping", []string{"--listen", "127.0.0.1:0", "--seed", "../../configs/awsemu.example.yaml", "--mapping", "nope.yaml"}, "nope.yaml"},
		{"broker principal not in the seed", []string{"--listen", "127.0.0.1:0", "--seed", "../../configs/awsemu.example.yaml", "--mapping", "../../configs/dev/teams.yaml", "--broker-principal", "arn:aws:iam::123456789012:user/x"}, "no seed credential"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			err := run(context.Background(), tt.args, &out, &errOut)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("run = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestRunServesUntilCancelled(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	var out, errOut bytes.Buffer
	if err := run(ctx, []string{"--listen", "127.0.0.1:0", "--seed", "../../configs/awsemu.example.yaml", "--mapping", "../../configs/dev/teams.yaml"}, &out, &errOut); err != nil {
		t.Fatalf("run: %v", err)
	}
	for _, want := range []string{"export AWS_ENDPOINT_URL_STS=http://127.0.0.1:", "export AWS_ENDPOINT_URL_SAGEMAKER=http://127.0.0.1:", "stopped"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}
