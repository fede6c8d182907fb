package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"unicode"

	"github.com/labstack/echo/v4"

	"github.com/secds/secds/abac"
	"github.com/secds/secds/internal/api"
	"github.com/secds/secds/internal/mapstore"
)

// infoOf is e as the admin API describes it.
func infoOf(e mapstore.Entry) api.VersionInfo {
	return api.VersionInfo{Version: e.Number, Digest: e.Digest, ETag: e.ETag(), Author: e.Author, Reason: e.Reason, Time: e.Time.UTC(), Size: e.Size, Unverified: e.Unverified}
}

// The admin routes' guard (audAdminAPI, audAdminPage) has let an admin in
// and made sure there is a live mapping; these two helpers are the rest of
// what every mapping handler does.

// serveVersion answers a read of one stored version: read asks the store,
// a refusal becomes its answer (storeError), and the version goes out as
// writeMapping writes it. A fixed mapping has no store to read.
func (s *Server) serveVersion(c echo.Context, read func(context.Context, mapstore.Store) (mapstore.Revision, error)) error {
	st, err := s.mappingStore()
	if err != nil {
		return err
	}
	rev, err := read(c.Request().Context(), st)
	if err != nil {
		return storeError(c, err)
	}
	return writeMapping(c, s.cfg.Mapping, rev)
}

// changeMapping is how every change to the mapping is made (the API's PUT
// and rollback, the admin page's rollback): change applies u to the live
// mapping in the name of the admin the guard let in, via their audience,
// refused when the result would leave them outside the admin groups; a
// refusal becomes its answer (storeError).
func (s *Server) changeMapping(c echo.Context, via string, u mapstore.Update, change func(context.Context, LiveMapping, mapstore.Update) (mapstore.Revision, error)) (mapstore.Revision, error) {
	id, live := identityOf(c), s.cfg.Mapping
	u.Check, u.By = keepsAdmin(id, live.Name()), s.by(c, id, via)
	rev, err := change(c.Request().Context(), live, u)
	if err != nil {
		return mapstore.Revision{}, storeError(c, err)
	}
	return rev, nil
}

// changed answers an API change with the new version and its ETag.
func changed(c echo.Context, rev mapstore.Revision) error {
	c.Response().Header().Set("ETag", rev.ETag())
	return c.JSON(http.StatusOK, infoOf(rev.Entry))
}

// mappingStore returns the live mapping's store, or says it has none.
func (s *Server) mappingStore() (mapstore.Store, error) {
	if st := s.cfg.Mapping.Store(); st != nil {
		return st, nil
	}
	return nil, readOnly(fmt.Errorf("this broker serves a fixed mapping: %w", mapstore.ErrReadOnly))
}

// writeMapping answers with a version: the YAML byte for byte, or the JSON
// document for clients that ask for JSON.
func writeMapping(c echo.Context, live LiveMapping, rev mapstore.Revision) error {
	h := c.Response().Header()
	serving := live.State().Serving.Number
	h.Set("ETag", rev.ETag())
	h.Set(versionHeader, strconv.FormatInt(rev.Number, 10))
	h.Set(servingHeader, strconv.FormatInt(serving, 10))
	if accept := c.Request().Header.Get(echo.HeaderAccept); strings.Contains(accept, echo.MIMEApplicationJSON) && !strings.Contains(accept, "yaml") {
		return c.JSON(http.StatusOK, api.MappingDoc{VersionInfo: infoOf(rev.Entry), Serving: serving, Content: string(rev.Content)})
	}
	return c.Blob(http.StatusOK, mappingType+"; charset=utf-8", rev.Content)
}

// GET /api/v1/admin/mapping: the current YAML, byte for byte, with its ETag.
func (s *Server) apiGetMapping(c echo.Context) error {
	return s.serveVersion(c, func(ctx context.Context, st mapstore.Store) (mapstore.Revision, error) { return st.Get(ctx) })
}

// GET /api/v1/admin/mapping/history/:version: one version's YAML.
func (s *Server) apiMappingVersion(c echo.Context) error {
	if _, err := s.mappingStore(); err != nil {
		return err
	}
	n, err := strconv.ParseInt(c.Param("version"), 10, 64)
	if err != nil || n < 1 {
		return &api.Error{Kind: api.KindBadRequest, Code: api.CodeBadVersion, Message: "A mapping version is a positive number; see the history."}
	}
	return s.serveVersion(c, func(ctx context.Context, st mapstore.Store) (mapstore.Revision, error) { return st.At(ctx, n) })
}

// PUT /api/v1/admin/mapping: replace the mapping. If-Match must carry the
// ETag the change is based on: without it 428, stale 412, invalid 422; in
// every refusal nothing changes.
func (s *Server) apiPutMapping(c echo.Context) error {
	body, err := readMapping(c)
	if err != nil {
		return err
	}
	expected, err := ifMatch(c, body.IfMatch, true)
	if err != nil {
		return err
	}
	rev, err := s.changeMapping(c, "api", mapstore.Update{Content: []byte(body.Content), Expected: expected, Reason: clientReason(c, body.Reason, "edit")},
		func(ctx context.Context, live LiveMapping, u mapstore.Update) (mapstore.Revision, error) {
			return live.Update(ctx, u)
		})
	if err != nil {
		return err
	}
	return changed(c, rev)
}

// ifMatch reads the If-Match precondition. "*" does not name a version, so
// it counts as missing: a blind overwrite is what the header exists to stop.
func ifMatch(c echo.Context, fromBody string, required bool) (mapstore.Version, error) {
	h := strings.TrimSpace(c.Request().Header.Get("If-Match"))
	if h == "" {
		h = strings.TrimSpace(fromBody)
	}
	if h == "" || h == "*" {
		if !required {
			return mapstore.Version{}, nil
		}
		return mapstore.Version{}, &api.Error{Kind: api.KindPreconditionRequired, Code: api.CodeIfMatchRequired,
			Message: "Send If-Match with the ETag from GET " + adminMapping + ", so that a change made meanwhile is not overwritten."}
	}
	v, err := mapstore.ParseETag(h)
	if err != nil {
		return mapstore.Version{}, &api.Error{Kind: api.KindPreconditionFailed, Code: api.CodeVersionConflict, Err: err,
			Message: "If-Match does not name a mapping version; use the ETag from GET " + adminMapping + "."}
	}
	return v, nil
}

// readMapping reads a mapping sent as raw YAML or, with Content-Type
// application/json, as an api.MappingBody.
func readMapping(c echo.Context) (api.MappingBody, error) {
	b, err := io.ReadAll(io.LimitReader(c.Request().Body, 2*maxMappingBytes+1))
	if err != nil {
		return api.MappingBody{}, fmt.Errorf("read mapping body: %w", err)
	}
	body := api.MappingBody{Content: string(b)}
	if strings.HasPrefix(c.Request().Header.Get(echo.HeaderContentType), echo.MIMEApplicationJSON) {
		body = api.MappingBody{}
		if err := json.Unmarshal(b, &body); err != nil {
			return api.MappingBody{}, &api.Error{Kind: api.KindBadRequest, Code: api.CodeBadRequest, Err: err,
				Message: `A JSON mapping body is {"content": "<the YAML>", "if_match": "<ETag>"}; or send the YAML itself as application/yaml.`}
		}
	}
	if len(body.Content) > maxMappingBytes {
		return api.MappingBody{}, &api.Error{Kind: api.KindTooLarge, Code: api.CodeMappingTooLarge,
			Message: fmt.Sprintf("A mapping is at most %d KiB.", maxMappingBytes>>10)}
	}
	return body, nil
}

// clientReason is why the client says it writes (the X-Secds-Reason header,
// else fromBody) made safe for the history: printable, one line, at most 200
// characters, after def.
func clientReason(c echo.Context, fromBody, def string) string {
	r := c.Request().Header.Get(reasonHeader)
	if r == "" {
		r = fromBody
	}
	r = strings.Map(func(r rune) rune {
		if !unicode.IsPrint(r) {
			return -1
		}
		return r
	}, r)
	r = strings.TrimSpace(r)
	if rs := []rune(r); len(rs) > 200 {
		r = string(rs[:200])
	}
	if r == "" {
		return def
	}
	return def + ": " + r
}

// POST /api/v1/admin/mapping/validate: check a mapping without storing it.
// The check ran, so the answer is 200 whatever it found.
func (s *Server) apiValidateMapping(c echo.Context) error {
	id, live := identityOf(c), s.cfg.Mapping
	body, err := readMapping(c)
	if err != nil {
		return err
	}
	res := api.ValidateResponse{Problems: []api.MappingProblem{}}
	m, err := live.Parse([]byte(body.Content))
	var ps abac.Problems
	switch {
	case errors.As(err, &ps):
	case err != nil:
		return err
	default:
		ps = keepsAdmin(id, live.Name())(m)
		res.Teams = teamNamesOf(m)
	}
	res.Valid = len(ps) == 0
	res.Problems = append(res.Problems, mappingProblems(ps)...)
	return c.JSON(http.StatusOK, res)
}

func (s *Server) apiMappingHistory(c echo.Context) error {
	st, err := s.mappingStore()
	if err != nil {
		return err
	}
	hist, err := st.History(c.Request().Context())
	if err != nil {
		return storeError(c, err)
	}
	state := s.cfg.Mapping.State()
	res := api.HistoryResponse{Serving: state.Serving.Number, Latest: state.Latest.Number, Valid: state.Valid(), Versions: make([]api.VersionInfo, len(hist))}
	for i, e := range hist {
		res.Versions[i] = infoOf(e)
	}
	return c.JSON(http.StatusOK, res)
}

// POST /api/v1/admin/mapping/rollback: store an old version's content as a
// new version. If-Match is optional here: the request names exactly what it
// wants, but a client that read the mapping first may guard against a change
// made since.
func (s *Server) apiRollbackMapping(c echo.Context) error {
	var req api.RollbackRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if req.Version < 1 {
		return &api.Error{Kind: api.KindBadRequest, Code: api.CodeBadVersion, Message: `Name the version to roll back to: {"version": N}; see the history.`}
	}
	expected, err := ifMatch(c, req.IfMatch, false)
	if err != nil {
		return err
	}
	rev, err := s.changeMapping(c, "api", mapstore.Update{Expected: expected}, rollbackTo(req.Version))
	if err != nil {
		return err
	}
	return changed(c, rev)
}

// rollbackTo is changeMapping's change for a rollback to version n.
func rollbackTo(n int64) func(context.Context, LiveMapping, mapstore.Update) (mapstore.Revision, error) {
	return func(ctx context.Context, live LiveMapping, u mapstore.Update) (mapstore.Revision, error) {
		return live.Rollback(ctx, n, u)
	}
}
