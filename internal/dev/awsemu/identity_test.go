package awsemu

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
)

// TestAssumeRoleNamesAndTagsAsStrictAsAWS sends, through the real SDK, the
// usernames that used to be changed to fit, as RoleSessionName,
// SourceIdentity and tags: the emulator refuses with ValidationError exactly
// what AWS refuses, so a broker that stopped checking would fail here first.
func TestAssumeRoleNamesAndTagsAsStrictAsAWS(t *testing.T) {
	env := newTestEnv(t)
	tag := func(k, v string) []ststypes.Tag { return []ststypes.Tag{{Key: aws.String(k), Value: aws.String(v)}} }
	name := func(s string) func(*sts.AssumeRoleInput) {
		return func(in *sts.AssumeRoleInput) { in.RoleSessionName = aws.String(s) }
	}
	source := func(s string) func(*sts.AssumeRoleInput) {
		return func(in *sts.AssumeRoleInput) { in.SourceIdentity = aws.String(s) }
	}
	value := func(v string) func(*sts.AssumeRoleInput) {
		return func(in *sts.AssumeRoleInput) { in.Tags = tag("user", v) }
	}
	key := func(k string) func(*sts.AssumeRoleInput) {
		return func(in *sts.AssumeRoleInput) { in.Tags = tag(k, "v") }
	}
	tests := []struct {
		name   string
		modify func(*sts.AssumeRoleInput)
		want   string // error code, "" to succeed
		detail string // in the message, when it matters
	}{
		{"session name with a trailing space", name("alice "), "ValidationError", `[\w+=,.@-]*`},
		{"session name with a tab and no-break space", name("\u00a0alice\t"), "ValidationError", ""},
		{"session name with !", name("alice!"), "ValidationError", ""},
		{"session name with a zero-width space", name("alice\u200b"), "ValidationError", ""},
		{"session name in Chinese", name("李雷"), "ValidationError", ""},
		{"one Chinese letter breaks length and pattern", name("李"), "ValidationError", "2 validation errors"},
		{"session name 65 characters", name(strings.Repeat("a", 65)), "ValidationError", "length between 2 and 64"},
		{"source identity with a trailing space", source("alice "), "ValidationError", "sourceIdentity"},
		{"source identity in Chinese", source("王芳"), "ValidationError", ""},
		{"source identity one character", source("a"), "ValidationError", "length between 2 and 64"},
		{"source identity aws:", source("aws:alice"), "ValidationError", "aws:"},
		{"source identity AWS:", source("AWS:alice"), "ValidationError", "aws:"},
		{"tag value with a tab", value("\u00a0alice\t"), "ValidationError", "tags.1.member.value"},
		{"tag value with a zero-width space", value("alice\u200b"), "ValidationError", ""},
		{"tag value with a combining accent", value("jose\u0301"), "ValidationError", ""},
		{"tag value with !", value("alice!"), "ValidationError", ""},
		{"tag value 257 characters", value(strings.Repeat("a", 257)), "ValidationError", "at most 256"},
		{"tag value 129 supplementary letters (258 UTF-16 units)", value(strings.Repeat("\U00020000", 129)), "ValidationError", "at most 256"},
		{"tag key empty", key(""), "ValidationError", "tags.1.member.key"},
		{"tag key with a tab", key("user\t"), "ValidationError", ""},
		{"tag key AWS:", key("AWS:user"), "ValidationError", "aws:"},
		{"tag key 129 characters", key(strings.Repeat("k", 129)), "ValidationError", "1-128"},

		{"a derived name", func(in *sts.AssumeRoleInput) {
			in.RoleSessionName, in.SourceIdentity = aws.String("li-lei=abcdefghijklmnopqrst"), aws.String("li-lei=abcdefghijklmnopqrst")
		}, "", ""},
		{"an email as session name", name("alice+x@example.com"), "", ""},
		{"tag value in Chinese", value("李雷"), "", ""},
		{"tag value with a no-break space inside", value("alice\u00a0smith"), "", ""},
		{"tag value with a trailing space", value("alice "), "", ""},
		{"tag value empty", value(""), "", ""},
		{"tag value 256 characters", value(strings.Repeat("a", 256)), "", ""},
		{"tag value 128 supplementary letters", value(strings.Repeat("\U00020000", 128)), "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := &sts.AssumeRoleInput{RoleArn: aws.String(fraudRole), RoleSessionName: aws.String("alice"), SourceIdentity: aws.String("alice")}
			tt.modify(in)
			_, err := env.brokerSTS().AssumeRole(context.Background(), in)
			if got := errorCode(t, err); got != tt.want {
				t.Fatalf("error code = %q, want %q (err %v)", got, tt.want, err)
			}
			if tt.detail != "" && !strings.Contains(err.Error(), tt.detail) {
				t.Errorf("error %v does not say %q", err, tt.detail)
			}
		})
	}
}
