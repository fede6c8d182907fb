package broker

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"

	"github.com/secds/secds/abac"
)

// assume returns a session of the team role for one user, reusing a cached
// one made for the same user and grant (see credCache).
func (b *Broker) assume(ctx context.Context, id abac.Identity, g abac.Grant) (aws.Credentials, error) {
	key := credKey(id, g)
	if cr, ok := b.creds.get(key); ok {
		return cr, nil
	}
	cr, err := b.assumeRole(ctx, id, g)
	if err == nil {
		b.creds.put(key, cr)
	}
	return cr, err
}

// assumeRole takes on the team role for one user. RoleSessionName and
// SourceIdentity both carry the user, so CloudTrail names them; the session
// tags carry team and user for the role's ABAC policy.
func (b *Broker) assumeRole(ctx context.Context, id abac.Identity, g abac.Grant) (aws.Credentials, error) {
	name := SessionName(id.Username)
	in := &sts.AssumeRoleInput{
		RoleArn:         aws.String(g.RoleARN),
		RoleSessionName: aws.String(name),
		SourceIdentity:  aws.String(name),
		DurationSeconds: aws.Int32(int32(g.RoleSessionSeconds)),
		Tags:            sessionTags(id, g),
	}
	if len(g.TransitiveTagKeys) > 0 {
		in.TransitiveTagKeys = g.TransitiveTagKeys
	}
	out, err := b.sts.AssumeRole(ctx, in)
	if err != nil {
		return aws.Credentials{}, stsError(g, err)
	}
	c := out.Credentials
	if c == nil || c.AccessKeyId == nil || c.SecretAccessKey == nil || c.SessionToken == nil {
		return aws.Credentials{}, unavailable("aws_bad_response", "AWS STS returned no credentials. Try again in a minute.", fmt.Errorf("assume role %s: empty credentials", g.RoleARN))
	}
	creds := aws.Credentials{
		AccessKeyID:     *c.AccessKeyId,
		SecretAccessKey: *c.SecretAccessKey,
		SessionToken:    *c.SessionToken,
		Source:          "secds:" + g.Team,
	}
	if c.Expiration != nil {
		creds.CanExpire, creds.Expires = true, *c.Expiration
	}
	return creds, nil
}

func sessionTags(id abac.Identity, g abac.Grant) []ststypes.Tag {
	tags := []ststypes.Tag{
		{Key: aws.String("team"), Value: aws.String(g.Team)},
		{Key: aws.String("user"), Value: aws.String(abac.SanitizeTagValue(id.Username))},
	}
	keys := make([]string, 0, len(g.SessionTags))
	for k := range g.SessionTags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		tags = append(tags, ststypes.Tag{Key: aws.String(k), Value: aws.String(g.SessionTags[k])})
	}
	return tags
}

// SessionName turns a username into a RoleSessionName and SourceIdentity:
// 2–64 characters of [\w+=,.@-]; anything else becomes '-'. ':' is not in
// that set, so the result can never start with the reserved "aws:".
func SessionName(username string) string {
	var b strings.Builder
	for _, r := range username {
		if b.Len() == 64 {
			break
		}
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', strings.ContainsRune("_+=,.@-", r):
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	s := b.String()
	if len(s) < 2 {
		s = "u-" + s
	}
	return s
}
