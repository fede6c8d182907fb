package dynamostore

import (
	"bytes"
	"context"
	"fmt"
	"slices"

	"github.com/secds/secds/internal/mapstore"
)

// A transaction holds at most 100 items and 4 MB: an import is one, so it
// is all or nothing and no replica ever serves a version in between.
const (
	maxImportItems = 100
	maxImportBytes = 3 << 20 // room for keys and attributes under 4 MB
)

// ReasonKeptAfterImport is the reason of the version that puts the served
// content back on top of an imported history.
const ReasonKeptAfterImport = "kept after import: the mapping served before it"

var _ mapstore.Importer = (*Mapping)(nil)

// Import implements mapstore.Importer. Records must authenticate with this
// broker's session keys (the file store signs its records with the same
// ones), and their content must match their digest.
func (m *Mapping) Import(ctx context.Context, in mapstore.ImportInput) (mapstore.ImportResult, error) {
	cur, err := m.Get(ctx)
	if err != nil {
		return mapstore.ImportResult{}, err
	}
	if cur.Version != in.Expected {
		return mapstore.ImportResult{}, &mapstore.ConflictError{Expected: in.Expected, Current: cur.Version}
	}
	if cur.Unverified != "" {
		return mapstore.ImportResult{}, fmt.Errorf("%w: the current version %d does not authenticate (%s): put a mapping in place with an edit first", mapstore.ErrImportInput, cur.Number, cur.Unverified)
	}
	recs := slices.Clone(in.Records)
	slices.SortFunc(recs, func(a, b mapstore.ImportRecord) int { return int(a.Number - b.Number) })
	var res mapstore.ImportResult
	var revs []mapstore.Revision
	size := 0
	for i, r := range recs {
		if i > 0 && r.Number == recs[i-1].Number {
			return mapstore.ImportResult{}, fmt.Errorf("%w: it has version %d twice", mapstore.ErrImportInput, r.Number)
		}
		why := m.checkRecord(r)
		if why != "" {
			res.Skipped = append(res.Skipped, mapstore.SkippedVersion{Number: r.Number, Why: why})
			continue
		}
		next := mapstore.Version{Number: in.Expected.Number + int64(len(revs)) + 1, Digest: r.Digest}
		revs = append(revs, mapstore.Revision{Entry: mapstore.Entry{
			Version: next, Author: r.Author, Reason: mapstore.ImportedReason(r.Number, r.Reason), Time: r.Time.UTC(), Size: len(r.Content),
		}, Content: bytes.Clone(r.Content)})
		res.Imported = append(res.Imported, mapstore.ImportedVersion{From: r.Number, To: next.Number})
		size += len(r.Content)
	}
	if len(res.Skipped) > 0 && !in.SkipUnverified {
		return mapstore.ImportResult{}, &mapstore.ImportRefusedError{Unverified: res.Skipped}
	}
	if len(revs) == 0 {
		return mapstore.ImportResult{}, fmt.Errorf("%w: it has no record to import", mapstore.ErrImportInput)
	}
	if revs[len(revs)-1].Digest != cur.Digest {
		revs = append(revs, mapstore.Revision{Entry: mapstore.Entry{
			Version: mapstore.Version{Number: in.Expected.Number + int64(len(revs)) + 1, Digest: cur.Digest},
			Author:  in.Author, Reason: ReasonKeptAfterImport, Time: m.opts.Now().UTC(), Size: len(cur.Content),
		}, Content: cur.Content})
		size += len(cur.Content)
	}
	if len(revs)+1 > maxImportItems || size > maxImportBytes {
		return mapstore.ImportResult{}, fmt.Errorf("%w: it is %d versions and %d KiB; one import writes at most %d versions and %d KiB (a DynamoDB transaction): import the newest versions only (secds admin mapping import --newest N)", mapstore.ErrImportInput,
			len(revs), size>>10, maxImportItems-2, maxImportBytes>>10)
	}
	if err := m.commit(ctx, in.Expected, revs); err != nil {
		return mapstore.ImportResult{}, err
	}
	res.Head = revs[len(revs)-1]
	res.Head.Content = bytes.Clone(res.Head.Content)
	m.notify(res.Head)
	return res, nil
}

// checkRecord says why a record cannot be imported; "" when it can.
func (m *Mapping) checkRecord(r mapstore.ImportRecord) string {
	switch {
	case r.Number < 1:
		return "it has no version number"
	case r.Content == nil:
		return "its content is missing"
	case mapstore.Digest(r.Content) != r.Digest || len(r.Content) != r.Size:
		return "its content does not match its digest"
	}
	e := r.Entry
	e.Unverified = ""
	why, _ := m.mac.Verify(e, r.MAC)
	return why
}
