package awsemu

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

const (
	// presignedURLLifetime is how long a presigned notebook URL can be
	// used, fixed at five minutes by AWS.
	presignedURLLifetime = 5 * time.Minute
	minNotebookSession   = 1800
	maxNotebookSession   = 43200
	// presignedRetention bounds the token map: a token this long past
	// expiry is forgotten (and then reads as invalid rather than expired).
	presignedRetention = time.Hour
)

// presignedURL is what a sign-in link's token stands for.
type presignedURL struct {
	notebook        string // canonical notebook name
	principal       string // ARN of the caller that presigned it
	sourceIdentity  string
	tags            []Tag
	sessionDuration time.Duration
	expires         time.Time
	used            bool
}

type presignInput struct {
	NotebookInstanceName               *string
	SessionExpirationDurationInSeconds *int
}

func (e *Emulator) createPresignedNotebookInstanceURL(who *caller, body []byte, r *http.Request) (any, *apiError) {
	var in presignInput
	if aerr := decodeInput(body, &in); aerr != nil {
		return nil, aerr
	}
	var v violations
	checkNotebookName(&v, in.NotebookInstanceName)
	duration := maxNotebookSession
	if in.SessionExpirationDurationInSeconds != nil {
		duration = *in.SessionExpirationDurationInSeconds
		field, raw := "sessionExpirationDurationInSeconds", quoted(strconv.Itoa(duration))
		switch {
		case duration < minNotebookSession:
			v.add(raw, field, fmt.Sprintf("Member must have value greater than or equal to %d", minNotebookSession))
		case duration > maxNotebookSession:
			v.add(raw, field, fmt.Sprintf("Member must have value less than or equal to %d", maxNotebookSession))
		}
	}
	if len(v) > 0 {
		return nil, validationException(v.message())
	}
	name := *in.NotebookInstanceName

	e.mu.Lock()
	defer e.mu.Unlock()
	nb := e.lookupNotebookLocked(name)
	if aerr := e.authorizePresignLocked(who, name, nb); aerr != nil {
		return nil, aerr
	}
	if nb == nil {
		return nil, recordNotFound
	}
	if nb.Status != "InService" {
		return nil, validationException(fmt.Sprintf("Status (%s) not in ([InService]). Unable to create presigned URL for %s.", nb.Status, nb.arn))
	}

	now := e.nowLocked()
	e.prunePresignedLocked(now)
	p := &presignedURL{
		notebook:        nb.Name,
		principal:       who.arn,
		sessionDuration: time.Duration(duration) * time.Second,
		expires:         now.Add(presignedURLLifetime),
	}
	if who.session != nil {
		p.sourceIdentity = who.session.sourceIdentity
		p.tags = slices.Clone(who.session.tags)
	}
	token := newAuthToken()
	e.presigned[tokenKey(token)] = p

	base := e.baseURL
	if base == "" {
		base = "http://" + r.Host
	}
	u := base + "/notebooks/" + url.PathEscape(nb.Name) + "?" + url.Values{"authToken": {token}}.Encode()
	return struct {
		AuthorizedURL string `json:"AuthorizedUrl"`
	}{u}, nil
}

// authorizePresignLocked applies the team role's identity policy: a role
// session may presign only notebooks whose team tag equals its own team
// session tag (sagemaker:ResourceTag/team == aws:PrincipalTag/team). Long-lived
// seed credentials model an administrator and are not restricted. As in IAM,
// a missing tag on either side (or a missing notebook) never matches, so a
// session cannot probe for notebook names outside its team.
func (e *Emulator) authorizePresignLocked(who *caller, name string, nb *notebook) *apiError {
	if who.session == nil {
		return nil
	}
	resource := fmt.Sprintf("arn:aws:sagemaker:%s:%s:notebook-instance/%s", e.region, e.accountID, strings.ToLower(name))
	if nb != nil {
		resource = nb.arn
		team, ok := lookupTag(who.session.tags, "team")
		nbTeam, nbOK := lookupTag(nb.tags, "team")
		if ok && nbOK && team != "" && team == nbTeam {
			return nil
		}
	}
	const action = "sagemaker:CreatePresignedNotebookInstanceUrl"
	return &apiError{http.StatusBadRequest, "AccessDeniedException", fmt.Sprintf(
		"User: %s is not authorized to perform: %s on resource: %s because no identity-based policy allows the %s action",
		who.arn, action, resource, action)}
}

func (e *Emulator) prunePresignedLocked(now time.Time) {
	for k, p := range e.presigned {
		if now.Sub(p.expires) > presignedRetention {
			delete(e.presigned, k)
		}
	}
	for k, s := range e.pageSessions {
		if now.After(s.expires) {
			delete(e.pageSessions, k)
		}
	}
}
