package awsemu

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/secds/secds/internal/iameval"
)

// session is a set of temporary credentials minted by AssumeRole.
type session struct {
	accessKeyID    string
	secret         string
	token          string
	roleARN        string
	arn            string // arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION
	roleID         string // AROA...:SESSION
	name           string
	sourceIdentity string
	tags           []Tag
	transitiveKeys []string
	policy         string
	// sessionPolicies is the parsed Policy parameter; nil when none was
	// passed, so the role's policies apply unintersected.
	sessionPolicies []*iameval.Policy
	chained         bool
	expires         time.Time
}

// sessionRetention is how long an expired session is remembered, so a client
// still holding it gets ExpiredToken rather than InvalidClientTokenId.
const sessionRetention = 24 * time.Hour

type assumeRoleResponse struct {
	XMLName xml.Name `xml:"https://sts.amazonaws.com/doc/2011-06-15/ AssumeRoleResponse"`
	Result  struct {
		Credentials struct {
			AccessKeyID     string `xml:"AccessKeyId"`
			SecretAccessKey string `xml:"SecretAccessKey"`
			SessionToken    string `xml:"SessionToken"`
			Expiration      string `xml:"Expiration"`
		} `xml:"Credentials"`
		AssumedRoleUser struct {
			AssumedRoleID string `xml:"AssumedRoleId"`
			Arn           string `xml:"Arn"`
		} `xml:"AssumedRoleUser"`
		PackedPolicySize *int   `xml:"PackedPolicySize,omitempty"`
		SourceIdentity   string `xml:"SourceIdentity,omitempty"`
	} `xml:"AssumeRoleResult"`
	Metadata responseMetadata `xml:"ResponseMetadata"`
}

// trustsNobody is the trust policy an unknown role is evaluated with.
var trustsNobody = func() *iameval.Policy {
	p, err := iameval.Parse([]byte(`{"Version":"2012-10-17","Statement":[]}`))
	if err != nil {
		panic(err)
	}
	return p
}()

func unknownRole(arn string) *role {
	return &role{Role: Role{ARN: arn}, trust: trustsNobody}
}

// assumeRole validates the request, applies the role's trust list and the
// duration limits, and mints a session.
func (e *Emulator) assumeRole(who *caller, form url.Values, r *http.Request, requestID string) (*assumeRoleResponse, *apiError) {
	in, aerr := parseAssumeRole(form)
	if aerr != nil {
		return nil, aerr
	}

	e.mu.Lock()
	defer e.mu.Unlock()
	role, known := e.roles[in.roleARN]
	if !known {
		// An unknown role is evaluated as a role whose trust policy admits
		// no one, so its refusal reads exactly like that of a role that
		// does not trust the caller: the error reveals no role's existence.
		role = unknownRole(in.roleARN)
	}
	if aerr := e.authorizeLocked("sts", grantorOf(who), originOf(r), assumeRoleChecks(role, who, in)...); aerr != nil {
		return nil, aerr
	}
	if !known {
		// Unreachable with a trust policy that admits no one; fail closed.
		return nil, accessDenied("sts", who.arn, "sts:AssumeRole", in.roleARN, iameval.Result{})
	}

	parent := who.session
	duration := 3600
	if in.duration != 0 {
		switch {
		case parent != nil && in.duration > chainedMaxPeriod:
			return nil, &apiError{http.StatusBadRequest, "ValidationError",
				"The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining."}
		case in.duration > role.MaxSessionDuration:
			return nil, &apiError{http.StatusBadRequest, "ValidationError",
				"The requested DurationSeconds exceeds the MaxSessionDuration set for this role."}
		}
		duration = in.duration
	}

	tags, transitive, sourceIdentity, aerr := inherit(parent, in)
	if aerr != nil {
		return nil, aerr
	}
	packed := packedPolicySize(in.policy, tags)
	if packed > 100 {
		return nil, &apiError{http.StatusBadRequest, "PackedPolicyTooLarge",
			fmt.Sprintf("Packed size of consolidated session policies exceeds 100%% (%d%%).", packed)}
	}

	now := e.nowLocked()
	e.pruneSessionsLocked(now)
	roleName := in.roleARN[strings.LastIndex(in.roleARN, "/")+1:]
	s := &session{
		accessKeyID:     newSessionAccessKeyID(),
		secret:          newSecretAccessKey(),
		token:           newSessionToken(),
		roleARN:         in.roleARN,
		arn:             fmt.Sprintf("arn:aws:sts::%s:assumed-role/%s/%s", arnAccount(in.roleARN), roleName, in.sessionName),
		roleID:          stableID("AROA", in.roleARN) + ":" + in.sessionName,
		name:            in.sessionName,
		sourceIdentity:  sourceIdentity,
		tags:            tags,
		transitiveKeys:  transitive,
		policy:          in.policy,
		sessionPolicies: in.sessionPolicies,
		chained:         parent != nil,
		// Whole seconds: the wire format has no fraction, and the client's
		// view of expiry must match the emulator's.
		expires: now.Add(time.Duration(duration) * time.Second).UTC().Truncate(time.Second),
	}
	e.sessions[s.accessKeyID] = s

	out := &assumeRoleResponse{}
	out.Result.Credentials.AccessKeyID = s.accessKeyID
	out.Result.Credentials.SecretAccessKey = s.secret
	out.Result.Credentials.SessionToken = s.token
	out.Result.Credentials.Expiration = s.expires.Format(time.RFC3339)
	out.Result.AssumedRoleUser.AssumedRoleID = s.roleID
	out.Result.AssumedRoleUser.Arn = s.arn
	out.Result.SourceIdentity = s.sourceIdentity
	if in.policy != "" || len(tags) > 0 {
		out.Result.PackedPolicySize = &packed
	}
	out.Metadata.RequestID = requestID
	return out, nil
}

// assumeRoleChecks are the actions an AssumeRole request needs, as AWS
// evaluates them against the caller's policies and the role's trust policy:
// sts:AssumeRole always, sts:TagSession when tags are passed and
// sts:SetSourceIdentity when a source identity is set (passed, or carried
// over from the calling session in a role chain).
func assumeRoleChecks(r *role, who *caller, in assumeRoleInput) []check {
	ctx := map[string][]string{"sts:RoleSessionName": {in.sessionName}}
	if len(in.tags) > 0 {
		keys := make([]string, 0, len(in.tags))
		for _, t := range in.tags {
			ctx["aws:RequestTag/"+t.Key] = []string{t.Value}
			keys = append(keys, t.Key)
		}
		ctx["aws:TagKeys"] = keys
	}
	if len(in.transitiveKeys) > 0 {
		ctx["sts:TransitiveTagKeys"] = slices.Clone(in.transitiveKeys)
	}
	source := in.sourceIdentity
	if source == "" && who.session != nil {
		source = who.session.sourceIdentity
	}
	if source != "" {
		ctx["sts:SourceIdentity"] = []string{source}
	}
	checks := []check{{action: "sts:AssumeRole", resource: r.ARN, context: ctx, trust: r.trust}}
	if len(in.tags) > 0 {
		checks = append(checks, check{action: "sts:TagSession", resource: r.ARN, context: ctx, trust: r.trust})
	}
	if source != "" {
		checks = append(checks, check{action: "sts:SetSourceIdentity", resource: r.ARN, context: ctx, trust: r.trust})
	}
	return checks
}

// inherit applies role chaining: the parent's transitive tags carry over and
// cannot be overridden, and a source identity, once set, cannot change.
func inherit(parent *session, in assumeRoleInput) ([]Tag, []string, string, *apiError) {
	tags := slices.Clone(in.tags)
	transitive := slices.Clone(in.transitiveKeys)
	if parent == nil {
		return tags, transitive, in.sourceIdentity, nil
	}
	for _, k := range parent.transitiveKeys {
		v, _ := lookupTag(parent.tags, k)
		if _, clash := lookupTag(in.tags, k); clash {
			return nil, nil, "", &apiError{http.StatusBadRequest, "ValidationError",
				fmt.Sprintf("Session tag %q is a transitive tag of the calling session and cannot be overridden.", k)}
		}
		tags = append(tags, Tag{Key: k, Value: v})
		transitive = append(transitive, k)
	}
	if len(tags) > maxSessionTags {
		return nil, nil, "", &apiError{http.StatusBadRequest, "ValidationError",
			fmt.Sprintf("The session would have more than %d tags including transitive tags.", maxSessionTags)}
	}
	source := in.sourceIdentity
	if parent.sourceIdentity != "" {
		if source != "" && source != parent.sourceIdentity {
			return nil, nil, "", &apiError{http.StatusForbidden, "AccessDenied",
				"SourceIdentity cannot be changed in a role chain once it is set."}
		}
		source = parent.sourceIdentity
	}
	return tags, transitive, source, nil
}

// packedPolicySize approximates STS's PackedPolicySize: the percentage of the
// packed limit that the inline policy and session tags use.
func packedPolicySize(policy string, tags []Tag) int {
	n := len(policy)
	for _, t := range tags {
		n += len(t.Key) + len(t.Value)
	}
	const packedLimit = 8192
	return (n*100 + packedLimit - 1) / packedLimit
}

// pruneSessionsLocked forgets sessions long expired, at most once per
// pruneEvery of the emulator's clock.
func (e *Emulator) pruneSessionsLocked(now time.Time) {
	if !sweepDue(&e.sessionsPrunedAt, now) {
		return
	}
	for id, s := range e.sessions {
		if now.Sub(s.expires) > sessionRetention {
			delete(e.sessions, id)
		}
	}
}

// SessionInfo describes a session minted by AssumeRole, for tests that
// check what the broker asked for. It holds no secret.
type SessionInfo struct {
	AccessKeyID       string
	RoleARN           string
	AssumedRoleARN    string
	SessionName       string
	SourceIdentity    string
	Tags              []Tag
	TransitiveTagKeys []string
	Policy            string
	Chained           bool
	Expiration        time.Time
}

// Session returns the session that owns a temporary access key ID.
func (e *Emulator) Session(accessKeyID string) (SessionInfo, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	s, ok := e.sessions[accessKeyID]
	if !ok {
		return SessionInfo{}, false
	}
	return SessionInfo{
		AccessKeyID:       s.accessKeyID,
		RoleARN:           s.roleARN,
		AssumedRoleARN:    s.arn,
		SessionName:       s.name,
		SourceIdentity:    s.sourceIdentity,
		Tags:              slices.Clone(s.tags),
		TransitiveTagKeys: slices.Clone(s.transitiveKeys),
		Policy:            s.policy,
		Chained:           s.chained,
		Expiration:        s.expires,
	}, true
}
