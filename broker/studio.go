package broker

import (
	"context"
	"fmt"
	"regexp"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"

	"github.com/secds/secds/abac"
	"github.com/secds/secds/internal/api"
	"github.com/secds/secds/internal/audit"
)

// StudioAPI is the part of SageMaker the broker uses for Studio;
// *sagemaker.Client satisfies it. Like SageMakerAPI, every call carries the
// team session's credentials.
type StudioAPI interface {
	DescribeDomain(ctx context.Context, in *sagemaker.DescribeDomainInput, optFns ...func(*sagemaker.Options)) (*sagemaker.DescribeDomainOutput, error)
	ListUserProfiles(ctx context.Context, in *sagemaker.ListUserProfilesInput, optFns ...func(*sagemaker.Options)) (*sagemaker.ListUserProfilesOutput, error)
	ListSpaces(ctx context.Context, in *sagemaker.ListSpacesInput, optFns ...func(*sagemaker.Options)) (*sagemaker.ListSpacesOutput, error)
	ListTags(ctx context.Context, in *sagemaker.ListTagsInput, optFns ...func(*sagemaker.Options)) (*sagemaker.ListTagsOutput, error)
	CreateUserProfile(ctx context.Context, in *sagemaker.CreateUserProfileInput, optFns ...func(*sagemaker.Options)) (*sagemaker.CreateUserProfileOutput, error)
	CreatePresignedDomainUrl(ctx context.Context, in *sagemaker.CreatePresignedDomainUrlInput, optFns ...func(*sagemaker.Options)) (*sagemaker.CreatePresignedDomainUrlOutput, error)
}

// StudioURLLifetime is the ExpiresInSeconds the broker asks for: short,
// since the browser is redirected at once (AWS allows 5 to 300 seconds).
const StudioURLLifetime = 60 * time.Second

var studioNameRE = regexp.MustCompile(`^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$`)

// StudioRequest asks for one team's SageMaker Studio. Team may be empty when
// only one of the person's teams has Studio; Space is the space to open,
// else the mapping's, else none (Studio's home).
type StudioRequest struct {
	Team  string
	Space string
	RequestMeta
}

// StudioOpened says what an open of Studio reached.
type StudioOpened = api.StudioOpened

// Studio is one Studio target of an identity, as lists show it.
type Studio = api.Studio

// auditStudioSpaceNotAllowed is what the audit trail records for a space
// that exists but is not the person's; they are told CodeStudioSpaceNotFound.
const auditStudioSpaceNotAllowed = "studio_space_not_allowed"

// OpenStudio decides whether id may open its team's SageMaker Studio and,
// if so, returns a presigned domain URL for its user profile (and space).
// Every call writes one audit event, as Open does.
func (b *Broker) OpenStudio(ctx context.Context, id abac.Identity, req StudioRequest) (res OpenResult, err error) {
	ev := audit.Event{Type: audit.TypeOpen, Subject: id.Subject, Username: id.Username, Email: id.Email,
		Team: req.Team, ClientIP: req.ClientIP, RequestID: req.RequestID, Via: req.Via, TokenID: req.TokenID}
	defer func() {
		switch {
		case err != nil:
			ev.Decision = audit.Failed
			ev.Code, ev.Reason = auditOf(err)
			switch e := api.As(err); {
			case e.Code == api.CodeChooseStudio:
				ev.Decision = audit.Choose // a question to the person, as with notebooks
			case e.Kind == api.KindForbidden || e.Kind == api.KindNotFound || e.Kind == api.KindBadRequest:
				ev.Decision = audit.Denied
			}
		default:
			ev.Decision = audit.Granted
		}
		if aerr := b.audit.Record(ev); aerr != nil && err == nil {
			res, err = OpenResult{}, unavailable(api.CodeAuditUnavailable, "The audit log cannot be written, so Studio cannot be opened right now. Tell the platform team.", aerr)
		}
	}()

	if req.Space != "" && !studioNameRE.MatchString(req.Space) {
		return OpenResult{}, &api.Error{Kind: api.KindBadRequest, Code: api.CodeBadStudioName,
			Message: "A Studio space name is 1–63 letters, digits and hyphens; check the name you gave."}
	}
	m, name, grants, err := b.who(id, req.Team, &ev)
	if err != nil {
		return OpenResult{}, err
	}
	g, err := studioGrant(m, grants)
	if err != nil {
		return OpenResult{}, err
	}
	if b.studio == nil {
		return OpenResult{}, errNoStudioClient
	}
	st := g.Studio
	space := req.Space
	if space == "" {
		space = st.Space
	}
	ev.Team, ev.Role, ev.Studio = g.Team, g.RoleARN, studioLabel(st.DomainID, st.UserProfile, space)
	policy, err := b.pinPolicy(req.ClientIP)
	if err != nil {
		return OpenResult{}, err
	}
	ctx, release, err := b.acquire(ctx)
	if err != nil {
		return OpenResult{}, err
	}
	defer release()
	creds, err := b.assume(ctx, id, name, g, policy)
	if err != nil {
		return OpenResult{}, err
	}
	sess := studioSession{b: b, m: m, id: id, g: g, creds: creds}
	if err := sess.domain(ctx); err != nil {
		return OpenResult{}, err
	}
	if err := b.checkDomainPosture(m, g, sess.facts, &ev); err != nil {
		return OpenResult{}, err
	}
	if err := sess.profile(ctx, true); err != nil {
		return OpenResult{}, err
	}
	if space != "" {
		if err := sess.space(ctx, space); err != nil {
			return OpenResult{}, err
		}
	}
	in := &sagemaker.CreatePresignedDomainUrlInput{
		DomainId:                           aws.String(st.DomainID),
		UserProfileName:                    aws.String(st.UserProfile),
		ExpiresInSeconds:                   aws.Int32(int32(StudioURLLifetime / time.Second)),
		SessionExpirationDurationInSeconds: aws.Int32(int32(g.NotebookSessionSeconds)),
	}
	if space != "" {
		in.SpaceName = aws.String(space)
	}
	if st.LandingURI != "" {
		in.LandingUri = aws.String(st.LandingURI)
	}
	out, err := b.studio.CreatePresignedDomainUrl(ctx, in, as(creds))
	if err != nil {
		return OpenResult{}, sess.awsError("CreatePresignedDomainUrl", err)
	}
	if aws.ToString(out.AuthorizedUrl) == "" {
		return OpenResult{}, unavailable(api.CodeAWSBadResponse, "SageMaker returned no URL. Try again in a minute.", fmt.Errorf("presign studio %s: empty url", ev.Studio))
	}
	return OpenResult{URL: *out.AuthorizedUrl, ExpiresAt: b.now().Add(StudioURLLifetime), Team: g.Team,
		Studio: &StudioOpened{DomainID: st.DomainID, UserProfile: st.UserProfile, Space: space}}, nil
}

var errNoStudioClient = &api.Error{Kind: api.KindNotConfigured, Code: api.CodeNoStudio,
	Message: "This broker is not set up to open SageMaker Studio. Tell the platform team."}

// studioGrant picks the one grant with a Studio target.
func studioGrant(m *abac.Mapping, grants []abac.Grant) (abac.Grant, error) {
	var with []abac.Grant
	for _, g := range grants {
		if g.Studio != nil {
			with = append(with, g)
		}
	}
	switch len(with) {
	case 0:
		return abac.Grant{}, &api.Error{Kind: api.KindNotFound, Code: api.CodeNoStudio,
			Message: fmt.Sprintf("Your team %s has no SageMaker Studio domain in secds; open a notebook instance instead, or ask %s to add a studio setting to your team.%s", teamNames(grants), SupportContact(m), contactNote(m))}
	case 1:
		return with[0], nil
	}
	return abac.Grant{}, &api.Error{Kind: api.KindConflict, Code: api.CodeChooseStudio,
		Message: fmt.Sprintf("Several of your teams have SageMaker Studio (%s): say which, for example secds open --studio --team %s, or choose on the start page.", teamNames(with), with[0].Team)}
}

func studioLabel(domain, profile, space string) string {
	s := domain + "/" + profile
	if space != "" {
		s += "/" + space
	}
	return s
}
