package awsemu

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
)

func TestAssumeRoleMintsWorkingSession(t *testing.T) {
	start := time.Now()
	env := newTestEnv(t, WithClock(func() time.Time { return start }))
	ctx := context.Background()

	out, err := env.brokerSTS().AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn:           aws.String(fraudRole),
		RoleSessionName:   aws.String("alice"),
		SourceIdentity:    aws.String("alice"),
		DurationSeconds:   aws.Int32(1800),
		Tags:              []ststypes.Tag{{Key: aws.String("team"), Value: aws.String("fraud")}, {Key: aws.String("user"), Value: aws.String("alice")}},
		TransitiveTagKeys: []string{"team"},
		Policy:            aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sagemaker:List*","Resource":"*"}]}`),
	})
	if err != nil {
		t.Fatalf("AssumeRole: %v", err)
	}
	c := out.Credentials
	if !strings.HasPrefix(*c.AccessKeyId, "ASIA") || *c.SecretAccessKey == "" || *c.SessionToken == "" {
		t.Errorf("credentials look wrong: key %q", *c.AccessKeyId)
	}
	if want := start.Add(1800 * time.Second).UTC().Truncate(time.Second); !c.Expiration.Equal(want) {
		t.Errorf("Expiration = %v, want %v", c.Expiration, want)
	}
	if got, want := *out.AssumedRoleUser.Arn, "arn:aws:sts::123456789012:assumed-role/secds-team-fraud/alice"; got != want {
		t.Errorf("AssumedRoleUser.Arn = %q, want %q", got, want)
	}
	if id := *out.AssumedRoleUser.AssumedRoleId; !strings.HasPrefix(id, "AROA") || !strings.HasSuffix(id, ":alice") {
		t.Errorf("AssumedRoleId = %q", id)
	}
	if aws.ToString(out.SourceIdentity) != "alice" || out.PackedPolicySize == nil {
		t.Errorf("SourceIdentity %v, PackedPolicySize %v", aws.ToString(out.SourceIdentity), out.PackedPolicySize)
	}

	info, ok := env.emu.Session(*c.AccessKeyId)
	if !ok {
		t.Fatal("session not remembered")
	}
	wantTags := []Tag{{"team", "fraud"}, {"user", "alice"}}
	if !slices.Equal(info.Tags, wantTags) || info.SourceIdentity != "alice" || info.RoleARN != fraudRole || !slices.Equal(info.TransitiveTagKeys, []string{"team"}) {
		t.Errorf("session = %+v", info)
	}

	who, err := env.sts(*c.AccessKeyId, *c.SecretAccessKey, *c.SessionToken).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatalf("GetCallerIdentity with session: %v", err)
	}
	if *who.Arn != *out.AssumedRoleUser.Arn || *who.Account != "123456789012" || *who.UserId != *out.AssumedRoleUser.AssumedRoleId {
		t.Errorf("GetCallerIdentity = %s %s %s", *who.Arn, *who.Account, *who.UserId)
	}
	if got := env.emu.Calls("AssumeRole"); got != 1 {
		t.Errorf("Calls(AssumeRole) = %d, want 1", got)
	}
}

func TestGetCallerIdentityLongLived(t *testing.T) {
	env := newTestEnv(t)
	out, err := env.brokerSTS().GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatalf("GetCallerIdentity: %v", err)
	}
	if *out.Arn != brokerPrincipal || *out.Account != "123456789012" || !strings.HasPrefix(*out.UserId, "AIDA") {
		t.Errorf("got %s %s %s", *out.Arn, *out.Account, *out.UserId)
	}
}

func TestAssumeRoleValidation(t *testing.T) {
	env := newTestEnv(t)
	manyTags := make([]ststypes.Tag, 51)
	for i := range manyTags {
		manyTags[i] = ststypes.Tag{Key: aws.String(fmt.Sprintf("k%d", i)), Value: aws.String("v")}
	}
	tag := func(k, v string) []ststypes.Tag { return []ststypes.Tag{{Key: aws.String(k), Value: aws.String(v)}} }

	tests := []struct {
		name   string
		modify func(*sts.AssumeRoleInput)
		want   string
	}{
		{"session name too long", func(in *sts.AssumeRoleInput) { in.RoleSessionName = aws.String(strings.Repeat("a", 65)) }, "ValidationError"},
		{"session name too short", func(in *sts.AssumeRoleInput) { in.RoleSessionName = aws.String("a") }, "ValidationError"},
		{"session name bad chars", func(in *sts.AssumeRoleInput) { in.RoleSessionName = aws.String("alice smith") }, "ValidationError"},
		{"duration 899", func(in *sts.AssumeRoleInput) { in.DurationSeconds = aws.Int32(899) }, "ValidationError"},
		{"duration above role max", func(in *sts.AssumeRoleInput) { in.DurationSeconds = aws.Int32(7201) }, "ValidationError"},
		{"51 tags", func(in *sts.AssumeRoleInput) { in.Tags = manyTags }, "ValidationError"},
		{"aws: tag key", func(in *sts.AssumeRoleInput) { in.Tags = tag("aws:team", "fraud") }, "ValidationError"},
		{"tag key too long", func(in *sts.AssumeRoleInput) { in.Tags = tag(strings.Repeat("k", 129), "v") }, "ValidationError"},
		{"tag value too long", func(in *sts.AssumeRoleInput) { in.Tags = tag("team", strings.Repeat("v", 257)) }, "ValidationError"},
		{"tag value bad chars", func(in *sts.AssumeRoleInput) { in.Tags = tag("team", "fraud;drop") }, "ValidationError"},
		{"duplicate keys ignoring case", func(in *sts.AssumeRoleInput) {
			in.Tags = append(tag("team", "fraud"), tag("Team", "marketing")...)
		}, "ValidationError"},
		{"transitive key not in tags", func(in *sts.AssumeRoleInput) { in.TransitiveTagKeys = []string{"team"} }, "ValidationError"},
		{"source identity aws: prefix", func(in *sts.AssumeRoleInput) { in.SourceIdentity = aws.String("aws:x") }, "ValidationError"},
		{"source identity bad chars", func(in *sts.AssumeRoleInput) { in.SourceIdentity = aws.String("alice/smith") }, "ValidationError"},
		{"policy not JSON", func(in *sts.AssumeRoleInput) { in.Policy = aws.String("{not json") }, "MalformedPolicyDocument"},
		{"valid", func(in *sts.AssumeRoleInput) { in.Tags = tag("team", "fraud"); in.DurationSeconds = aws.Int32(7200) }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := &sts.AssumeRoleInput{RoleArn: aws.String(fraudRole), RoleSessionName: aws.String("alice")}
			tt.modify(in)
			_, err := env.brokerSTS().AssumeRole(context.Background(), in)
			if got := errorCode(t, err); got != tt.want {
				t.Errorf("error code = %q, want %q (err %v)", got, tt.want, err)
			}
		})
	}
}

func TestAssumeRoleAccessDenied(t *testing.T) {
	env := newTestEnv(t)
	tests := []struct {
		name        string
		client      *sts.Client
		role        string
		wantMessage string
	}{
		{"untrusted principal", env.sts(otherKey, otherSecret, ""), fraudRole,
			"User: " + otherPrincipal + " is not authorized to perform: sts:AssumeRole on resource: " + fraudRole},
		{"unknown role", env.brokerSTS(), "arn:aws:iam::123456789012:role/nope",
			"User: " + brokerPrincipal + " is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::123456789012:role/nope"},
		{"role trusted only by a role", env.brokerSTS(), chainedRole, "is not authorized"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.client.AssumeRole(context.Background(), &sts.AssumeRoleInput{RoleArn: aws.String(tt.role), RoleSessionName: aws.String("alice")})
			if got := errorCode(t, err); got != "AccessDenied" {
				t.Fatalf("error code = %q, want AccessDenied", got)
			}
			if !strings.Contains(err.Error(), tt.wantMessage) {
				t.Errorf("message %q does not contain %q", err.Error(), tt.wantMessage)
			}
		})
	}
}

func TestAssumeRoleChaining(t *testing.T) {
	env := newTestEnv(t)
	ctx := context.Background()
	out, err := env.brokerSTS().AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn:           aws.String(fraudRole),
		RoleSessionName:   aws.String("alice"),
		SourceIdentity:    aws.String("alice"),
		Tags:              []ststypes.Tag{{Key: aws.String("team"), Value: aws.String("fraud")}, {Key: aws.String("user"), Value: aws.String("alice")}},
		TransitiveTagKeys: []string{"team"},
	})
	if err != nil {
		t.Fatalf("AssumeRole: %v", err)
	}
	c := out.Credentials
	chained := env.sts(*c.AccessKeyId, *c.SecretAccessKey, *c.SessionToken)

	tests := []struct {
		name string
		in   sts.AssumeRoleInput
		want string
	}{
		{"over one hour", sts.AssumeRoleInput{DurationSeconds: aws.Int32(3601)}, "ValidationError"},
		{"override transitive tag", sts.AssumeRoleInput{Tags: []ststypes.Tag{{Key: aws.String("TEAM"), Value: aws.String("marketing")}}}, "ValidationError"},
		{"change source identity", sts.AssumeRoleInput{SourceIdentity: aws.String("mallory")}, "AccessDenied"},
		{"ok", sts.AssumeRoleInput{DurationSeconds: aws.Int32(3600)}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in
			in.RoleArn, in.RoleSessionName = aws.String(chainedRole), aws.String("alice-chained")
			out, err := chained.AssumeRole(ctx, &in)
			if got := errorCode(t, err); got != tt.want {
				t.Fatalf("error code = %q, want %q (err %v)", got, tt.want, err)
			}
			if err != nil {
				return
			}
			info, _ := env.emu.Session(*out.Credentials.AccessKeyId)
			if !info.Chained || info.SourceIdentity != "alice" || !slices.Equal(info.Tags, []Tag{{"team", "fraud"}}) {
				t.Errorf("chained session = %+v, want transitive team tag and source identity inherited", info)
			}
		})
	}
}
