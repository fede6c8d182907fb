package mapstore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Store keeps the versions of one mapping document.
type Store interface {
	// Get returns the current revision.
	Get(ctx context.Context) (Revision, error)
	// Put stores content as the new current revision when the current
	// version is still expected; otherwise it returns a *ConflictError and
	// changes nothing.
	Put(ctx context.Context, content []byte, expected Version, c Change) (Revision, error)
	// History lists every revision, newest first, without content.
	History(ctx context.Context) ([]Entry, error)
	// At returns one revision with its content, or ErrNotFound.
	At(ctx context.Context, number int64) (Revision, error)
	// Watch sends the newest revision each time the current one changes
	// (by Put or by any other writer), until ctx is done. A slow reader
	// skips intermediate revisions: it always gets the latest.
	Watch(ctx context.Context) (<-chan Revision, error)
}

// Version identifies one stored revision: a number that grows with every
// change, and the sha256 of the content.
type Version struct {
	Number int64  `json:"number"`
	Digest string `json:"digest"` // "sha256:<hex>"
}

// Digest returns the content digest used in versions.
func Digest(content []byte) string {
	sum := sha256.Sum256(content)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// ETag is the strong HTTP entity tag of the version.
func (v Version) ETag() string {
	return `"` + strconv.FormatInt(v.Number, 10) + "-" + strings.TrimPrefix(v.Digest, "sha256:") + `"`
}

// ParseETag reads an ETag made by Version.ETag. Weak tags are refused: a
// write precondition needs a strong comparison.
func ParseETag(s string) (Version, error) {
	s = strings.TrimSpace(s)
	if len(s) < 2 || s[0] != '"' || s[len(s)-1] != '"' {
		return Version{}, fmt.Errorf("entity tag %q is not a quoted strong tag", s)
	}
	num, hexDigest, ok := strings.Cut(s[1:len(s)-1], "-")
	n, err := strconv.ParseInt(num, 10, 64)
	if !ok || err != nil || n < 1 || len(hexDigest) != sha256.Size*2 {
		return Version{}, fmt.Errorf("entity tag %q is not a mapping version", s)
	}
	if _, err := hex.DecodeString(hexDigest); err != nil {
		return Version{}, fmt.Errorf("entity tag %q is not a mapping version", s)
	}
	return Version{Number: n, Digest: "sha256:" + hexDigest}, nil
}

func (v Version) String() string {
	d := strings.TrimPrefix(v.Digest, "sha256:")
	if len(d) > 12 {
		d = d[:12]
	}
	return fmt.Sprintf("%d (%s)", v.Number, d)
}

// RollbackReason is the history's reason for a rollback to number.
func RollbackReason(number int64) string { return fmt.Sprintf("rollback to %d", number) }

// Change says who makes a write and why, for the history.
type Change struct {
	Author string // the admin's username, or a note such as "on disk"
	Reason string // "edit", "rollback to 12", ...
}

// Entry is one revision in the history.
type Entry struct {
	Version
	Author string    `json:"author"`
	Reason string    `json:"reason"`
	Time   time.Time `json:"time"`
	Size   int       `json:"size"`
	// Unverified says why a stored record cannot be trusted (it fails its
	// MAC, has none, or cannot be read); empty when it can. Such a version
	// is listed but its content is not served: At returns an
	// *UnverifiedError. Never stored: the store decides it on load.
	Unverified string `json:"-"`
}

// Revision is an entry with its content.
type Revision struct {
	Entry
	Content []byte `json:"-"`
}

// Errors a store returns; test them with errors.Is.
var (
	ErrConflict = errors.New("the mapping changed since the version the write was based on")
	ErrNotFound = errors.New("no such mapping version")
	ErrReadOnly = errors.New("the mapping cannot be written here")
)

// ConflictError is a write based on a stale version.
type ConflictError struct {
	Expected, Current Version
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("%v: based on version %v, current is %v", ErrConflict, e.Expected, e.Current)
}

// Is makes errors.Is(err, ErrConflict) hold.
func (e *ConflictError) Is(target error) bool { return target == ErrConflict }
