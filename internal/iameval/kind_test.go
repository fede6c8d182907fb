package iameval

import (
	"strings"
	"testing"
)

// A policy of the wrong kind is refused where it is stored, as IAM refuses
// it, rather than evaluated with an element silently ignored.
func TestPolicyKinds(t *testing.T) {
	tests := []struct {
		name, doc           string
		identityErr, resErr string
	}{
		{"identity policy", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`,
			"", "needs a Principal"},
		{"trust policy", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}`,
			"has no Principal element", ""},
		{"identity statement naming a principal", `{"Version":"2012-10-17","Statement":[{"Sid":"Odd","Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`,
			"statement 1 (Odd): an identity policy has no Principal", ""},
		{"trust Deny without a principal", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"},{"Effect":"Deny","Action":"sts:AssumeRole"}]}`,
			"has no Principal", "statement 2: a resource policy needs a Principal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse([]byte(tt.doc))
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range []struct {
				err  error
				want string
			}{{p.CheckIdentity(), tt.identityErr}, {p.CheckResource(), tt.resErr}} {
				switch {
				case c.want == "" && c.err != nil:
					t.Errorf("unexpected error: %v", c.err)
				case c.want != "" && (c.err == nil || !strings.Contains(c.err.Error(), c.want)):
					t.Errorf("error %v, want %q", c.err, c.want)
				}
			}
		})
	}
}
