package awsemu

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
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
	// pruneEvery spaces the sweeps of the token and session maps: a sweep
	// reads every entry kept (links for an hour, sessions for a day), so
	// one per call made a busy emulator (a benchmark) quadratic. Expiry is
	// checked at use, not by the sweep.
	pruneEvery = time.Second
)

// presignedURL is what a sign-in link's token stands for. It carries the
// presigner's authorization: every use of the link is authorized again with
// the presigner's policies, as AWS does.
type presignedURL struct {
	notebook        string // canonical notebook name
	grantor         grantor
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
	if aerr := e.authorizeLocked("sagemaker", grantorOf(who), originOf(r), e.notebookCheck(presignAction, name, nb)); aerr != nil {
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
		grantor:         grantorOf(who),
		sessionDuration: time.Duration(duration) * time.Second,
		expires:         now.Add(presignedURLLifetime),
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

// presignAction is authorized for the presign call and again for every
// request made with the URL or its page session.
const presignAction = "sagemaker:CreatePresignedNotebookInstanceUrl"

// prunePresignedLocked forgets links long expired and page sessions
// expired, at most once per pruneEvery of the emulator's clock (and again
// whenever that clock goes back).
func (e *Emulator) prunePresignedLocked(now time.Time) {
	if !sweepDue(&e.prunedAt, now) {
		return
	}
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

// sweepDue reports whether a sweep last made at *last is due at now: a
// pruneEvery later, or the clock went back. If so, it records now.
func sweepDue(last *time.Time, now time.Time) bool {
	if since := now.Sub(*last); !last.IsZero() && since >= 0 && since < pruneEvery {
		return false
	}
	*last = now
	return true
}
