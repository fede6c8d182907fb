package mapstore

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/secds/secds/internal/audit"
)

// ImportRecord is one version of another store's history as that store
// keeps it: the file store's record (its Entry and MAC) and its content.
type ImportRecord struct {
	Entry
	MAC     string
	Content []byte
}

// ImportInput is a history to take in.
type ImportInput struct {
	Records  []ImportRecord
	Expected Version // the current version the import is based on
	// SkipUnverified leaves out records that do not authenticate, instead
	// of refusing the whole import.
	SkipUnverified bool
	Author         string // who imports, for the version that keeps the served mapping
}

// ImportResult says what an import did.
type ImportResult struct {
	Imported []ImportedVersion
	Skipped  []SkippedVersion
	// Head is the current version after the import. Its content is what
	// was served before it: an import adds history, it changes nothing
	// that is served.
	Head Revision
}

// ImportedVersion maps a record's number to the version it became.
type ImportedVersion struct{ From, To int64 }

// SkippedVersion is a record left out, and why.
type SkippedVersion struct {
	Number int64
	Why    string
}

// Importer is a store that takes in another store's history in one write:
// every record as a new version on top of the current one (each keeping its
// author, time and reason), then the current content again when the newest
// record is not it, all or nothing, only if the current version is still
// the expected one. The shared store implements it.
type Importer interface {
	Import(ctx context.Context, in ImportInput) (ImportResult, error)
}

// ErrImportUnsupported is a store that cannot import (the file store: its
// history is its own directory).
var ErrImportUnsupported = errors.New("this mapping store cannot import a history")

// ErrImportInput is a history that cannot be imported as sent (a version
// twice, nothing to import, too large for one write); its message says
// what to do.
var ErrImportInput = errors.New("the history cannot be imported")

// ImportRefusedError lists the records that do not authenticate, when the
// import was not told to skip them.
type ImportRefusedError struct{ Unverified []SkippedVersion }

func (e *ImportRefusedError) Error() string {
	parts := make([]string, len(e.Unverified))
	for i, s := range e.Unverified {
		parts[i] = fmt.Sprintf("version %d: %s", s.Number, s.Why)
	}
	return "import refused, nothing was written: these history records do not authenticate with this broker's session keys: " + strings.Join(parts, "; ")
}

// ImportedReason is the reason an imported version carries: where it came
// from, then its own.
func ImportedReason(from int64, reason string) string {
	return fmt.Sprintf("imported version %d: %s", from, reason)
}

// Import takes in another store's history (see Importer) and audits the
// attempt. What is served does not change.
func (l *Live) Import(ctx context.Context, in ImportInput, by By) (res ImportResult, err error) {
	ev := audit.Event{Type: audit.TypeMappingChange, Subject: by.Subject, Username: by.Username, ClientIP: by.ClientIP,
		RequestID: by.RequestID, Via: by.Via, TokenID: by.TokenID, FromVersion: in.Expected.Number, FromDigest: in.Expected.Digest,
		Reason: fmt.Sprintf("import of %d history records", len(in.Records))}
	defer func() { l.record(ev, err) }()
	im, ok := l.store.(Importer)
	if l.store == nil || !ok {
		return ImportResult{}, ErrImportUnsupported
	}
	in.Author = by.Username
	res, err = im.Import(ctx, in)
	if err != nil {
		return ImportResult{}, fmt.Errorf("import mapping history: %w", err)
	}
	ev.ToVersion, ev.ToDigest = res.Head.Number, res.Head.Digest
	ev.Reason = fmt.Sprintf("import of %d history records as versions %d-%d, %d skipped", len(res.Imported), in.Expected.Number+1, res.Head.Number, len(res.Skipped))
	l.apply(res.Head, nil)
	return res, nil
}
