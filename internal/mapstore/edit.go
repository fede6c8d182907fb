package mapstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/secds/secds/abac"
	"github.com/secds/secds/internal/audit"
)

// Update is one admin's write of the whole mapping.
type Update struct {
	Content  []byte
	Expected Version // the version the admin edited; a stale one is refused
	Reason   string  // for the history: "edit", "rollback to 12"
	// Check, when set, is a policy beyond validity (an admin may not lock
	// themselves out); its problems refuse the update like mistakes do.
	Check func(*abac.Mapping) abac.Problems
	By
}

// By is who asks for a change and from where, for the history and the audit
// trail.
type By struct {
	Subject, Username, ClientIP, RequestID, Via string
	TokenID                                     string // the CLI token's jti, when one made the request
}

// Update validates the content and stores it as a new version if the store is
// still at u.Expected, then serves it at once. It returns abac.Problems for
// invalid content, a *ConflictError for a stale version and ErrReadOnly when
// the mapping cannot be written here; in each case nothing changes. Every
// attempt is audited.
func (l *Live) Update(ctx context.Context, u Update) (rev Revision, err error) {
	ev := audit.Event{Type: audit.TypeMappingChange, Subject: u.Subject, Username: u.Username, ClientIP: u.ClientIP,
		RequestID: u.RequestID, Via: u.Via, TokenID: u.TokenID, Reason: u.Reason, FromVersion: u.Expected.Number, FromDigest: u.Expected.Digest}
	defer func() { l.record(ev, err) }()
	if l.store == nil {
		return Revision{}, fmt.Errorf("update mapping: %w: this broker serves a fixed mapping", ErrReadOnly)
	}
	m, err := l.Parse(u.Content)
	if err != nil {
		return Revision{}, err
	}
	if u.Check != nil {
		if ps := u.Check(m); len(ps) > 0 {
			return Revision{}, ps
		}
	}
	rev, err = l.store.Put(ctx, u.Content, u.Expected, Change{Author: u.Username, Reason: u.Reason})
	if err != nil {
		return Revision{}, fmt.Errorf("update mapping: %w", err)
	}
	ev.ToVersion, ev.ToDigest = rev.Number, rev.Digest
	l.apply(rev, m)
	return rev, nil
}

// Rollback stores the content of version number, byte for byte, as a new
// version through Update (so it is validated and audited): the history keeps
// what it undoes. u gives who and the expected version; a zero Expected rolls
// back whatever is current.
func (l *Live) Rollback(ctx context.Context, number int64, u Update) (Revision, error) {
	if l.store == nil {
		return Revision{}, fmt.Errorf("rollback: %w: this broker serves a fixed mapping", ErrReadOnly)
	}
	old, err := l.store.At(ctx, number)
	if errors.Is(err, ErrUnverified) {
		// An attempt to bring back a record the broker does not trust is
		// worth a line in the trail: it may be how a tampered history is
		// found.
		l.write(audit.Event{Type: audit.TypeMappingChange, Decision: audit.Denied, Code: "mapping_version_unverified",
			Subject: u.Subject, Username: u.Username, ClientIP: u.ClientIP, RequestID: u.RequestID, Via: u.Via,
			Reason: RollbackReason(number) + ": " + err.Error(), ToVersion: number})
	}
	if err != nil {
		return Revision{}, fmt.Errorf("rollback: %w", err)
	}
	if u.Expected == (Version{}) {
		cur, err := l.store.Get(ctx)
		if err != nil {
			return Revision{}, fmt.Errorf("rollback: %w", err)
		}
		u.Expected = cur.Version
	}
	u.Content, u.Reason = old.Content, RollbackReason(number)
	return l.Update(ctx, u)
}

// record writes the audit event of a change attempt. A failed audit write
// cannot undo a change already stored, so it is logged loudly instead.
func (l *Live) record(ev audit.Event, err error) {
	var ps abac.Problems
	var ce *ConflictError
	switch {
	case err == nil:
		ev.Decision = audit.Granted
	case errors.As(err, &ps) && len(ps) > 0:
		ev.Decision, ev.Code, ev.Reason = audit.Denied, "mapping_invalid", fmt.Sprintf("%s: %d problems, first %s", ev.Reason, len(ps), ps[0])
	case errors.As(err, &ce):
		ev.Decision, ev.Code = audit.Denied, "version_conflict"
		ev.ToVersion, ev.ToDigest = ce.Current.Number, ce.Current.Digest
	case errors.Is(err, ErrReadOnly):
		ev.Decision, ev.Code = audit.Denied, "mapping_read_only"
	case errors.Is(err, ErrImportUnsupported):
		ev.Decision, ev.Code = audit.Denied, "import_unsupported"
	case errors.As(err, new(*ImportRefusedError)):
		ev.Decision, ev.Code = audit.Denied, "mapping_history_unverified"
	default:
		ev.Decision, ev.Code = audit.Failed, "mapping_store_failed"
	}
	l.write(ev)
}

// recordUnverified audits each history record that fails its MAC, at start:
// someone changed the history outside the broker. Records with no MAC at
// all (written before records were signed) are only logged, by the store.
func (l *Live) recordUnverified(ctx context.Context) {
	hist, err := l.store.History(ctx)
	if err != nil {
		return
	}
	for _, e := range hist {
		if e.Unverified == "" || e.Unverified == UnverifiedUnsigned {
			continue
		}
		l.write(audit.Event{Type: audit.TypeMappingChange, Decision: audit.Denied, Code: "mapping_history_unverified", Via: "file",
			Reason: fmt.Sprintf("history record of version %d refused: %s", e.Number, e.Unverified), ToVersion: e.Number, ToDigest: e.Digest})
	}
}

// recordDiskChange audits a version nobody wrote through the broker.
func (l *Live) recordDiskChange(from, to Entry, ps abac.Problems) {
	ev := audit.Event{Type: audit.TypeMappingChange, Decision: audit.Granted, Via: "file", Reason: ReasonOnDisk,
		FromVersion: from.Number, FromDigest: from.Digest, ToVersion: to.Number, ToDigest: to.Digest}
	if len(ps) > 0 {
		ev.Decision, ev.Code = audit.Denied, "mapping_invalid"
		ev.Reason = fmt.Sprintf("%s: not served, %d problems, first %s", ReasonOnDisk, len(ps), ps[0])
	}
	l.write(ev)
}

func (l *Live) write(ev audit.Event) {
	if l.audit == nil {
		return
	}
	if err := l.audit.Record(ev); err != nil {
		l.log.Error("AUDIT WRITE FAILED for a mapping change", "to_version", ev.ToVersion, "decision", ev.Decision, "err", err)
	}
}
