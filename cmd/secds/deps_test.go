package main

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"
)

// TestTheCLILinksNoAWSService: the laptop CLI talks to the broker only. Its
// IAM commands generate and check policies from pure packages
// (internal/iampolicy, internal/iamcheck, broker/awsname), so it links no
// AWS service client, and not the broker's DynamoDB store; each would add
// megabytes to every laptop's binary for nothing.
func TestTheCLILinksNoAWSService(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to list the CLI's packages: %v", err)
	}
	for _, tags := range []string{"", "release"} {
		cmd := exec.Command(goTool, "list", "-deps", "-tags", tags, "-f", "{{.ImportPath}}", "github.com/secds/secds/cmd/secds")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("go list: %v\n%s", err, stderr.String())
		}
		pkgs := strings.Fields(string(out))
		if len(pkgs) < 20 {
			t.Fatalf("go list -deps gave only %d packages: %v", len(pkgs), pkgs)
		}
		for _, p := range pkgs {
			if strings.HasPrefix(p, "github.com/aws/aws-sdk-go-v2/service/") || p == "github.com/secds/secds/internal/dynamostore" {
				t.Errorf("tags %q: the CLI links %s", tags, p)
			}
		}
	}
}
