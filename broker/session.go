package broker

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"

	"github.com/secds/secds/abac"
	"github.com/secds/secds/broker/awsname"
	"github.com/secds/secds/internal/api"
)

// assume returns a session of the team role for one user, reusing a cached
// one made for the same user, name and grant (see credCache). name is the
// RoleSessionName and SourceIdentity: the user's own, or an admin's when an
// admin explains the mapping for the user.
func (b *Broker) assume(ctx context.Context, id abac.Identity, name string, g abac.Grant, policy string) (aws.Credentials, error) {
	key := credKey(id, name, g, policy)
	if cr, ok := b.creds.get(key); ok {
		return cr, nil
	}
	// Two tabs (or a page and the CLI) opening at once make one session.
	// The call is detached from the first caller's cancellation (a closed
	// tab) but keeps its deadline.
	v, err, _ := b.creds.flight.Do(key, func() (any, error) {
		actx, cancel := context.WithoutCancel(ctx), func() {}
		if dl, ok := ctx.Deadline(); ok {
			actx, cancel = context.WithDeadline(actx, dl)
		}
		defer cancel()
		cr, err := b.assumeRole(actx, id, name, g, policy)
		if err == nil {
			b.creds.put(key, cr)
		}
		return cr, err
	})
	if err != nil {
		return aws.Credentials{}, err
	}
	return v.(aws.Credentials), nil
}

// assumeRole takes on the team role for one user. RoleSessionName and
// SourceIdentity both carry name, so CloudTrail names the person who asked;
// the session tags carry team and user for the role's ABAC policy.
func (b *Broker) assumeRole(ctx context.Context, id abac.Identity, name string, g abac.Grant, policy string) (aws.Credentials, error) {
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
	if policy != "" {
		in.Policy = aws.String(policy)
	}
	out, err := b.sts.AssumeRole(ctx, in)
	if err != nil {
		return aws.Credentials{}, stsError(g, err)
	}
	c := out.Credentials
	if c == nil || c.AccessKeyId == nil || c.SecretAccessKey == nil || c.SessionToken == nil {
		return aws.Credentials{}, unavailable(api.CodeAWSBadResponse, "AWS STS returned no credentials. Try again in a minute.", fmt.Errorf("assume role %s: empty credentials", g.RoleARN))
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

// sessionTags are awsname.SessionTags in the SDK's type.
func sessionTags(id abac.Identity, g abac.Grant) []ststypes.Tag {
	var tags []ststypes.Tag
	for _, t := range awsname.SessionTags(id, g) {
		tags = append(tags, ststypes.Tag{Key: aws.String(t.Key), Value: aws.String(t.Value)})
	}
	return tags
}
