package broker

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"
	"github.com/aws/smithy-go"

	"github.com/secds/secds/abac"
	"github.com/secds/secds/internal/api"
)

// studioSession is one person's team session at work on a Studio domain.
type studioSession struct {
	b         *Broker
	m         *abac.Mapping
	id        abac.Identity
	g         abac.Grant
	creds     aws.Credentials
	domainARN string
	// facts is what the domain's description says about its posture.
	facts abac.DomainFacts
}

// domain checks that the domain exists and signs in with IAM:
// CreatePresignedDomainUrl works for no other mode.
func (s *studioSession) domain(ctx context.Context) error {
	if s.cachedDomain() {
		return nil
	}
	st := s.g.Studio
	out, err := s.b.studio.DescribeDomain(ctx, &sagemaker.DescribeDomainInput{DomainId: aws.String(st.DomainID)}, as(s.creds))
	if err != nil {
		if code(err) == "ResourceNotFound" {
			return &api.Error{Kind: api.KindNotFound, Code: api.CodeStudioDomainNotFound, Err: err,
				Message: fmt.Sprintf("Team %s's SageMaker Studio domain %s does not exist in the team role's account and region. An admin must correct studio.domain_id of team %s in the team mapping; tell %s.", s.g.Team, st.DomainID, s.g.Team, SupportContact(s.m))}
		}
		return s.awsError("DescribeDomain", err)
	}
	if out.AuthMode != smtypes.AuthModeIam {
		return &api.Error{Kind: api.KindConflict, Code: api.CodeStudioNotIAM,
			Message: fmt.Sprintf("Team %s's SageMaker Studio domain %s signs users in with %s, and secds can open only domains in IAM authentication mode (CreatePresignedDomainUrl). An admin must point studio.domain_id of team %s at an IAM-mode domain, or remove its studio setting and have its users sign in through IAM Identity Center; tell %s.", s.g.Team, st.DomainID, authModeName(out.AuthMode), s.g.Team, SupportContact(s.m))}
	}
	s.domainARN = aws.ToString(out.DomainArn)
	s.facts = abac.DomainFacts{AppNetworkAccessType: string(out.AppNetworkAccessType), KMSKeyID: aws.ToString(out.KmsKeyId)}
	if !strings.Contains(s.domainARN, ":domain/") {
		return unavailable(api.CodeAWSBadResponse, "SageMaker described the Studio domain without its ARN. Try again in a minute.", fmt.Errorf("describe domain %s: arn %q", st.DomainID, s.domainARN))
	}
	s.keepDomain()
	return nil
}

func authModeName(m smtypes.AuthMode) string {
	if m == smtypes.AuthModeSso {
		return "IAM Identity Center (SSO)"
	}
	return string(m)
}

// arn is a Studio resource's ARN in the domain's account and region:
// kind "user-profile" or "space".
func (s *studioSession) arn(kind, name string) string {
	prefix, _, _ := strings.Cut(s.domainARN, ":domain/")
	return prefix + ":" + kind + "/" + s.g.Studio.DomainID + "/" + name
}

// profile finds the person's user profile and checks it carries team and
// owner tags for them; a missing one is created when the team allows it
// and create is set.
func (s *studioSession) profile(ctx context.Context, create bool) error {
	if s.cachedProfile() {
		return nil
	}
	st := s.g.Studio
	found, err := s.profileExists(ctx)
	if err != nil {
		return err
	}
	if !found {
		if !create || !st.CreateUserProfile {
			return &api.Error{Kind: api.KindNotFound, Code: api.CodeNoStudioProfile,
				Message: fmt.Sprintf("You have no SageMaker Studio user profile yet (%s in domain %s). Studio user profiles of team %s are created by the platform team: ask %s to create it, tagged team=%s and owner=%s.%s", st.UserProfile, st.DomainID, s.g.Team, SupportContact(s.m), s.g.Team, s.id.Username, contactNote(s.m))}
		}
		if err := s.createProfile(ctx); err != nil {
			return err
		}
		s.keepProfile()
		return nil
	}
	tags, err := s.tags(ctx, s.arn("user-profile", st.UserProfile))
	if err != nil {
		return err
	}
	if tags["team"] != s.g.Team || tags["owner"] != s.id.Username {
		return &api.Error{Kind: api.KindForbidden, Code: api.CodeStudioProfileNotYours,
			Message: fmt.Sprintf("The SageMaker Studio user profile %s in domain %s is not tagged for you: it must carry team=%s and owner=%s (it has %s). Ask %s to tag it, or to change the team's user_profile setting.", st.UserProfile, st.DomainID, s.g.Team, s.id.Username, formatTags(pick(tags, "team", "owner")), SupportContact(s.m))}
	}
	s.keepProfile()
	return nil
}

func pick(tags map[string]string, keys ...string) map[string]string {
	out := map[string]string{}
	for _, k := range keys {
		if v, ok := tags[k]; ok {
			out[k] = v
		}
	}
	return out
}

// profileExists looks for the profile by its exact name.
func (s *studioSession) profileExists(ctx context.Context) (bool, error) {
	st := s.g.Studio
	in := &sagemaker.ListUserProfilesInput{DomainIdEquals: aws.String(st.DomainID), UserProfileNameContains: aws.String(st.UserProfile), MaxResults: aws.Int32(100)}
	for {
		out, err := s.b.studio.ListUserProfiles(ctx, in, as(s.creds))
		if err != nil {
			return false, s.awsError("ListUserProfiles", err)
		}
		for _, p := range out.UserProfiles {
			if aws.ToString(p.UserProfileName) == st.UserProfile {
				return true, nil
			}
		}
		if aws.ToString(out.NextToken) == "" {
			return false, nil
		}
		in.NextToken = out.NextToken
	}
}

// createProfile creates the person's user profile, tagged team and owner.
// A profile created meanwhile (two tabs at once) is checked like any other.
func (s *studioSession) createProfile(ctx context.Context) error {
	st := s.g.Studio
	_, err := s.b.studio.CreateUserProfile(ctx, &sagemaker.CreateUserProfileInput{
		DomainId:        aws.String(st.DomainID),
		UserProfileName: aws.String(st.UserProfile),
		Tags: []smtypes.Tag{
			{Key: aws.String("team"), Value: aws.String(s.g.Team)},
			{Key: aws.String("owner"), Value: aws.String(s.id.Username)},
		},
	}, as(s.creds))
	if code(err) == "ResourceInUse" {
		return s.profile(ctx, false)
	}
	if err != nil {
		return s.awsError("CreateUserProfile", err)
	}
	return nil
}

// space checks that the named space is the team's (its team tag) and, when
// private, the person's profile's.
func (s *studioSession) space(ctx context.Context, name string) error {
	// All of them, not only the one named: a refusal lists the person's.
	spaces, err := s.spaces(ctx)
	if err != nil {
		return err
	}
	for _, sp := range spaces {
		if sp.name == name {
			if sp.yours {
				return nil
			}
			return s.notYourSpace(name, spaces, true)
		}
	}
	return s.notYourSpace(name, spaces, false)
}

// notYourSpace refuses a space alike whether it exists or not, so nobody
// learns other teams' space names; the audit trail tells which.
func (s *studioSession) notYourSpace(name string, spaces []studioSpace, exists bool) error {
	var yours []string
	for _, sp := range spaces {
		if sp.yours {
			yours = append(yours, sp.name)
		}
	}
	msg := fmt.Sprintf("You have no SageMaker Studio space named %s in team %s's domain. ", name, s.g.Team)
	if len(yours) > 0 {
		msg += "Yours: " + strings.Join(yours, ", ") + "."
	} else {
		msg += "Open Studio without a space, or ask " + SupportContact(s.m) + " for one tagged team=" + s.g.Team + "."
	}
	e := &disguised{refusal: &api.Error{Kind: api.KindNotFound, Code: api.CodeStudioSpaceNotFound, Message: msg},
		auditCode: string(api.CodeStudioSpaceNotFound), reason: "no space of that name exists"}
	if exists {
		e.auditCode = auditStudioSpaceNotAllowed
		e.reason = fmt.Sprintf("space %s exists but is not tagged team=%s or is private to another user profile", name, s.g.Team)
	}
	return e
}

type studioSpace struct {
	name  string
	yours bool
}

// spaces lists the domain's spaces and says which the person may open: shared ones tagged with the team,
// and private ones of their own profile tagged with the team. A private
// space of another profile is not even read.
func (s *studioSession) spaces(ctx context.Context) ([]studioSpace, error) {
	if spaces, ok := s.cachedSpaces(); ok {
		return spaces, nil
	}
	in := &sagemaker.ListSpacesInput{DomainIdEquals: aws.String(s.g.Studio.DomainID), MaxResults: aws.Int32(100)}
	var out []studioSpace
	for {
		page, err := s.b.studio.ListSpaces(ctx, in, as(s.creds))
		if err != nil {
			return nil, s.awsError("ListSpaces", err)
		}
		for _, sp := range page.Spaces {
			name := aws.ToString(sp.SpaceName)
			private := sp.SpaceSharingSettingsSummary != nil && sp.SpaceSharingSettingsSummary.SharingType == smtypes.SharingTypePrivate
			owner := ""
			if sp.OwnershipSettingsSummary != nil {
				owner = aws.ToString(sp.OwnershipSettingsSummary.OwnerUserProfileName)
			}
			if private && owner != s.g.Studio.UserProfile {
				out = append(out, studioSpace{name: name})
				continue
			}
			tags, err := s.tags(ctx, s.arn("space", name))
			if err != nil {
				return nil, err
			}
			out = append(out, studioSpace{name: name, yours: tags["team"] == s.g.Team})
		}
		if aws.ToString(page.NextToken) == "" {
			s.keepSpaces(out)
			return out, nil
		}
		in.NextToken = page.NextToken
	}
}

// tags reads a Studio resource's tags.
func (s *studioSession) tags(ctx context.Context, arn string) (map[string]string, error) {
	tags := map[string]string{}
	in := &sagemaker.ListTagsInput{ResourceArn: aws.String(arn), MaxResults: aws.Int32(100)}
	for {
		out, err := s.b.studio.ListTags(ctx, in, as(s.creds))
		if err != nil {
			return nil, s.awsError("ListTags", err)
		}
		for _, t := range out.Tags {
			tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
		}
		if aws.ToString(out.NextToken) == "" {
			return tags, nil
		}
		in.NextToken = out.NextToken
	}
}

// awsError words a failed Studio call.
func (s *studioSession) awsError(op string, err error) error {
	st := s.g.Studio
	what := studioLabel(st.DomainID, st.UserProfile, "")
	if e := commonAWSError(op+" "+what, err); e != nil {
		return e
	}
	switch code(err) {
	case "AccessDeniedException", "AccessDenied":
		return &api.Error{Kind: api.KindForbidden, Code: api.CodeAWSDenied, Err: fmt.Errorf("%s %s: %w", op, what, err),
			Message: fmt.Sprintf("AWS refused team %s access to SageMaker Studio (user profile %s in domain %s). The profile must be tagged team=%s and owner=%s, and the team role's policy must allow sagemaker:%s (secds admin iam prints it); tell %s.", s.g.Team, st.UserProfile, st.DomainID, s.g.Team, s.id.Username, op, SupportContact(s.m))}
	}
	return unavailable(api.CodeAWSError, "SageMaker failed while opening Studio. Try again in a minute.", fmt.Errorf("%s %s: %w", op, what, err))
}

func code(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}
