// Package audit writes secds's audit trail: one JSON line per login, access
// decision, URL issuance and mapping change, for CloudWatch or Fluent Bit to
// collect. Events never carry a presigned URL, a token or a key.
package audit

import (
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"time"
)

// Event types.
const (
	TypeLogin  = "login"
	TypeLogout = "logout"
	TypeOpen   = "open"
	// TypeMappingChange is a write to the team mapping (an admin's edit or
	// rollback, or a change found on disk), allowed or refused.
	TypeMappingChange = "mapping_change"
	// TypeAdmin is an admin action that changes nothing (explain) or a
	// refused attempt to reach the admin pages or API.
	TypeAdmin = "admin"
	// TypeToken is an admin's revocation of CLI tokens, or the use of a
	// revoked one.
	TypeToken = "token"
	// TypeStart is the broker starting a stopped notebook for an open
	// (the team's start_stopped): once per start, however many asked.
	TypeStart = "notebook_start"
	// TypeStatus is a refused request for a notebook's state (a waiting
	// page or CLI polls it; the answers themselves are not recorded).
	TypeStatus = "notebook_status"
)

// Decisions.
const (
	Granted = "granted"
	Denied  = "denied"
	Failed  = "failed"  // an error that was nobody's decision: AWS down, a bad config
	Choose  = "choose"  // several notebooks fit; the user was shown a chooser
	Waiting = "waiting" // the notebook is starting: no URL yet, the user waits
)

// Event is one line of the audit trail.
type Event struct {
	Time      time.Time `json:"time"`
	Type      string    `json:"type"`
	Decision  string    `json:"decision"`
	Reason    string    `json:"reason,omitempty"`
	Code      string    `json:"code,omitempty"`
	Subject   string    `json:"sub,omitempty"`
	Username  string    `json:"user,omitempty"`
	Email     string    `json:"email,omitempty"`
	Team      string    `json:"team,omitempty"`
	Role      string    `json:"role,omitempty"`
	Notebook  string    `json:"notebook,omitempty"`
	ClientIP  string    `json:"client_ip,omitempty"`
	RequestID string    `json:"request_id,omitempty"`
	Via       string    `json:"via,omitempty"` // browser or api
	// TokenID is the jti of the CLI token that made the request, or that a
	// login issued: with it, everything one token did can be found, and a
	// leaked one traced.
	TokenID string `json:"token_id,omitempty"`
	// Mapping changes: the versions and content digests before and after.
	FromVersion int64  `json:"from_version,omitempty"`
	FromDigest  string `json:"from_digest,omitempty"`
	ToVersion   int64  `json:"to_version,omitempty"`
	ToDigest    string `json:"to_digest,omitempty"`
	// SourceIdentity is the name the broker gave AWS (SourceIdentity and
	// RoleSessionName), to find the calls in CloudTrail.
	SourceIdentity string `json:"source_identity,omitempty"`
	// Path is the admin route a refused or admin request asked for.
	Path string `json:"path,omitempty"`
	// For is whom an admin explained the mapping for.
	For string `json:"for,omitempty"`
	// Unmet lists the team requirements an opened or refused notebook
	// misses (requirement=actual), with Reason "posture".
	Unmet []string `json:"unmet,omitempty"`
	// PostureMode is the mode those requirements were checked in
	// (enforce or warn).
	PostureMode string `json:"posture_mode,omitempty"`
	// Studio is the SageMaker Studio target of an open: domain/profile,
	// and /space when one was asked for.
	Studio string `json:"studio,omitempty"`
}

// Recorder is where events go. Record returns an error when the event could
// not be written, so that callers can fail closed.
type Recorder interface {
	Record(Event) error
}

// Writer records events as JSON lines on an io.Writer (stdout, a file).
type Writer struct {
	mu  sync.Mutex
	w   io.Writer
	now func() time.Time
}

// NewWriter returns a Recorder writing to w. now may be nil.
func NewWriter(w io.Writer, now func() time.Time) *Writer {
	if now == nil {
		now = time.Now
	}
	return &Writer{w: w, now: now}
}

// Record writes e as one line; a zero Time is set to now.
func (a *Writer) Record(e Event) error {
	if e.Time.IsZero() {
		e.Time = a.now().UTC()
	}
	line, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("encode audit event: %w", err)
	}
	line = append(line, '\n')
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, err := a.w.Write(line); err != nil {
		return fmt.Errorf("write audit event: %w", err)
	}
	return nil
}
