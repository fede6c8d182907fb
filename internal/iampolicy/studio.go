package iampolicy

import (
	"fmt"

	"github.com/secds/secds/abac"
)

// SageMaker Studio actions the broker calls with a team session.
const (
	actDescribeDomain = "sagemaker:DescribeDomain"
	actListProfiles   = "sagemaker:ListUserProfiles"
	actListSpaces     = "sagemaker:ListSpaces"
	actPresignDomain  = "sagemaker:CreatePresignedDomainUrl"
	actCreateProfile  = "sagemaker:CreateUserProfile"
	// actAddTags: SageMaker also authorizes the tags given to a create
	// call as sagemaker:AddTags on the new resource.
	actAddTags = "sagemaker:AddTags"
)

// NoteStudio explains what a team's Studio permission covers.
const NoteStudio = "Studio: a team with a studio setting may describe its domain, list the domain's user profiles and spaces (neither list has a resource type), read their tags, and presign only a user profile tagged with the team (team=<name>, written literally) and the person (owner=${aws:PrincipalTag/user}). IAM authorizes CreatePresignedDomainUrl on the user profile only: which space is opened is checked by the broker (the space's team tag) and by SageMaker (a private space opens only for its owner's profile)"

// studioStatements are the Allows and Denies a team's Studio setting
// needs, nil without one. They are added to the team's permission policy.
func studioStatements(t *abac.Team, partition, account string, opts Options) []Statement {
	if t.Studio == nil {
		return nil
	}
	d := t.Studio.DomainID
	arn := func(kind, rest string) string {
		return fmt.Sprintf("arn:%s:sagemaker:*:%s:%s/%s", partition, account, kind, rest)
	}
	profiles, spaces := arn("user-profile", d+"/*"), arn("space", d+"/*")
	// A profile named by the username exactly is the session's user tag, so
	// IAM can hold the person to their own profile by name too.
	own := profiles
	if text, literal := abac.CanonicalValue(t.Studio.UserProfile); !literal && text == usernameTemplate {
		own = arn("user-profile", d+"/"+principalTag("user"))
	}
	broker := opts.brokerSources()

	reads := []Statement{
		{Sid: "DescribeStudioDomain", Effect: "Allow", Action: []string{actDescribeDomain}, Resource: []string{arn("domain", d)}},
		{Sid: "ListStudioProfilesAndSpaces", Effect: "Allow", Action: []string{actListProfiles, actListSpaces}, Resource: []string{"*"}},
		{Sid: "ReadStudioTags", Effect: "Allow", Action: []string{actListTags}, Resource: []string{profiles, spaces}},
	}
	if t.Studio.CreateUserProfile {
		// Only with the team and owner tags, and no other: the new profile is
		// then the person's, and no one else's profile can be re-tagged
		// (AddTags only where no team tag is yet).
		create := Statement{Sid: "CreateOwnStudioProfile", Effect: "Allow", Action: []string{actCreateProfile, actAddTags}, Resource: []string{own}}
		create.with("StringEquals", "aws:RequestTag/team", t.Name)
		create.with("StringEquals", "aws:RequestTag/owner", principalTag("user"))
		create.with("ForAllValues:StringEquals", "aws:TagKeys", []string{"team", "owner"})
		create.with("Null", resourceTag("team"), "true")
		reads = append(reads, create)
	}
	if len(broker) > 0 {
		for i := range reads {
			pinTo(&reads[i], broker[0])
		}
	}

	presign := func(sid string) Statement {
		s := Statement{Sid: sid, Effect: "Allow", Action: []string{actPresignDomain}, Resource: []string{own}}
		s.with("StringEquals", resourceTag("team"), t.Name)
		s.with("StringEquals", resourceTag("owner"), principalTag("user"))
		return s
	}
	users := opts.userSources()
	out := reads
	if len(broker) == 0 || len(users) == 0 {
		out = append(out, presign("PresignOwnStudioProfile"))
	} else {
		s := presign("PresignStudioFromBrokerNetwork")
		pinTo(&s, broker[0])
		out = append(out, s)
		for _, src := range users {
			s := presign("PresignStudioFromUserAddresses")
			if src.key == keySourceVpce {
				s.Sid = "PresignStudioFromUserEndpoints"
			}
			pinTo(&s, src)
			out = append(out, s)
		}
	}

	allProfiles := arn("user-profile", "*")
	otherTeam := Statement{Sid: "DenyOtherTeamsStudioProfiles", Effect: "Deny", Action: []string{actPresignDomain}, Resource: []string{allProfiles}}
	otherTeam.with("StringNotEquals", resourceTag("team"), t.Name)
	otherOwner := Statement{Sid: "DenyOthersStudioProfiles", Effect: "Deny", Action: []string{actPresignDomain}, Resource: []string{allProfiles}}
	otherOwner.with("StringNotEquals", resourceTag("owner"), principalTag("user"))
	// A policy variable with no value matches nothing, the negated
	// condition above included: refuse a session without the user tag.
	noUser := Statement{Sid: "DenyStudioWithoutUserSessionTag", Effect: "Deny", Action: []string{actPresignDomain}, Resource: []string{allProfiles}}
	if t.Studio.CreateUserProfile {
		noUser.Action = append(noUser.Action, actCreateProfile, actAddTags)
	}
	noUser.with("Null", "aws:PrincipalTag/user", "true")
	out = append(out, otherTeam, otherOwner, noUser)
	if len(broker) > 0 {
		s := Statement{Sid: "DenyStudioReadsOutsideBrokerNetwork", Effect: "Deny",
			Action: []string{actDescribeDomain, actListProfiles, actListSpaces}, Resource: []string{"*"}}
		if t.Studio.CreateUserProfile {
			s.Action = append(s.Action, actCreateProfile, actAddTags)
		}
		denyOutside(&s, broker)
		out = append(out, s)
		if len(users) > 0 {
			s := Statement{Sid: "DenyStudioPresignOutsideNetworks", Effect: "Deny", Action: []string{actPresignDomain}, Resource: []string{"*"}}
			denyOutside(&s, append(broker, users...))
			out = append(out, s)
		}
	}
	return out
}
