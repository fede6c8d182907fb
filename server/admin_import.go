package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/secds/secds/internal/api"
	"github.com/secds/secds/internal/mapstore"
)

// maxImportRequest bounds a history import: a DynamoDB transaction holds 4
// MB of versions, and JSON escaping adds to it.
const maxImportRequest = 12 << 20

// POST /api/v1/admin/mapping/import: take in another store's history (the
// file store's history directory, as secds admin mapping import sends it)
// as new versions on top of the current one, all or nothing, without
// changing what is served. If-Match is required.
func (s *Server) apiImportMapping(c echo.Context) error {
	c.Request().Body = http.MaxBytesReader(c.Response(), c.Request().Body, maxImportRequest)
	var req api.ImportRequest
	if err := json.NewDecoder(c.Request().Body).Decode(&req); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return &api.Error{Kind: api.KindTooLarge, Code: api.CodeMappingTooLarge, Err: err,
				Message: fmt.Sprintf("An import is at most %d MiB; import the newest versions only (secds admin mapping import --newest N).", maxImportRequest>>20)}
		}
		return &api.Error{Kind: api.KindBadRequest, Code: api.CodeBadRequest, Err: err,
			Message: `An import is {"if_match": "<ETag>", "versions": [{"version": 1, "digest": "sha256:...", "author": "...", "reason": "...", "time": "...", "size": N, "mac": "v1:...", "content": "<the YAML>"}, ...]}; secds admin mapping import DIR sends one.`}
	}
	expected, err := ifMatch(c, req.IfMatch, true)
	if err != nil {
		return err
	}
	in := mapstore.ImportInput{Expected: expected, SkipUnverified: req.SkipUnverified}
	for _, v := range req.Versions {
		in.Records = append(in.Records, mapstore.ImportRecord{
			Entry: mapstore.Entry{Version: mapstore.Version{Number: v.Version, Digest: v.Digest}, Author: v.Author, Reason: v.Reason, Time: v.Time, Size: v.Size},
			MAC:   v.MAC, Content: []byte(v.Content),
		})
	}
	res, err := s.cfg.Mapping.Import(c.Request().Context(), in, s.by(c, identityOf(c), "api"))
	var refused *mapstore.ImportRefusedError
	switch {
	case errors.Is(err, mapstore.ErrImportUnsupported):
		return &api.Error{Kind: api.KindConflict, Code: api.CodeImportUnsupported, Err: err,
			Message: "This broker keeps the mapping in a file, whose history is its own directory: there is nothing to import into. Import into a broker on the shared store (mapping_store: dynamodb, see docs/dynamodb.md)."}
	case errors.As(err, &refused):
		return &api.Error{Kind: api.KindConflict, Code: api.CodeImportUnverified, Err: err,
			Message: refused.Error() + ". They were changed outside the broker, written before records were signed, or signed with session keys this broker does not have. Nothing was written; import with --skip-unverified to leave them out."}
	case err != nil && (errors.Is(err, mapstore.ErrConflict) || errors.Is(err, mapstore.ErrReadOnly)):
		return storeError(c, err)
	case errors.Is(err, mapstore.ErrImportInput):
		return &api.Error{Kind: api.KindBadRequest, Code: api.CodeImportFailed, Err: err, Message: "Nothing was imported: " + err.Error() + "."}
	case err != nil:
		return err
	}
	out := api.ImportResponse{VersionInfo: infoOf(res.Head.Entry), Imported: []api.ImportedVersion{}}
	for _, v := range res.Imported {
		out.Imported = append(out.Imported, api.ImportedVersion{From: v.From, To: v.To})
	}
	for _, v := range res.Skipped {
		out.Skipped = append(out.Skipped, api.SkippedVersion{Version: v.Number, Why: v.Why})
	}
	c.Response().Header().Set("ETag", res.Head.ETag())
	return c.JSON(http.StatusOK, out)
}
