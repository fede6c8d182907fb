package server

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/secds/secds/abac"
	"github.com/secds/secds/internal/api"
	"github.com/secds/secds/internal/audit"
	"github.com/secds/secds/internal/mapstore"
)

// Admin API paths, stable once shipped: the CLI calls them.
const (
	adminPagePath   = "/admin"
	adminAPI        = "/api/v1/admin"
	adminMapping    = adminAPI + "/mapping"
	mappingType     = "application/yaml"
	maxMappingBytes = 512 << 10
	// reasonHeader lets a client say why it writes, for the history.
	reasonHeader = "X-Secds-Reason"
	// versionHeader and servingHeader say which version a body is and which
	// one the broker serves (older, when the newest is invalid).
	versionHeader = "X-Secds-Mapping-Version"
	servingHeader = "X-Secds-Mapping-Serving"
)

// requireAdmin refuses, with an audit event, anyone outside the live
// mapping's admin groups. The admin routes' handlers rely on it for a
// mapping (s.cfg.Mapping is not nil).
func (s *Server) requireAdmin(c echo.Context, id abac.Identity, via string) error {
	live := s.cfg.Mapping
	if live == nil {
		return &api.Error{Kind: api.KindUnavailable, Code: api.CodeAdminUnavailable,
			Message: "This broker was started without a mapping store, so it has no admin pages."}
	}
	if !live.Mapping().IsAdmin(id) {
		s.record(audit.Event{Type: audit.TypeAdmin, Decision: audit.Denied, Code: string(api.CodeNotAdmin), Subject: id.Subject, Username: id.Username,
			Email: id.Email, Path: c.Request().Method + " " + c.Request().URL.Path, ClientIP: c.RealIP(), RequestID: requestID(c), Via: via, TokenID: tokenID(c)})
		return &api.Error{Kind: api.KindForbidden, Code: api.CodeNotAdmin,
			Message: "Only secds admins (members of the team mapping's admin groups) may use the admin pages and API."}
	}
	return nil
}

// by is who asks for a mapping change, for its history and audit event.
func (s *Server) by(c echo.Context, id abac.Identity, via string) mapstore.By {
	return mapstore.By{Subject: id.Subject, Username: id.Username, ClientIP: c.RealIP(), RequestID: requestID(c), Via: via, TokenID: tokenID(c)}
}

// keepsAdmin refuses a mapping that would leave the admin writing it outside
// the admin groups: they could not undo it through the broker.
func keepsAdmin(id abac.Identity, file string) func(*abac.Mapping) abac.Problems {
	return func(m *abac.Mapping) abac.Problems {
		if m.IsAdmin(id) {
			return nil
		}
		return abac.Problems{{File: file, Message: fmt.Sprintf("with this mapping %s is no longer in admin_groups %v and could not undo it through the broker; keep one of their groups (%s) there, or make the change in the file itself",
			id.Username, m.AdminGroups, strings.Join(id.Groups, ", "))}}
	}
}

// storeError turns a mapping store's refusal into what the caller sees.
// Invalid content (abac.Problems) goes to the error handler as it is.
func storeError(c echo.Context, err error) error {
	var ce *mapstore.ConflictError
	switch {
	case errors.As(err, &ce):
		c.Response().Header().Set("ETag", ce.Current.ETag())
		return &api.Error{Kind: api.KindPreconditionFailed, Code: api.CodeVersionConflict, Err: err,
			Message: fmt.Sprintf("The mapping changed since you read it: your change is based on version %d, and it is now version %d. Nothing was changed; get it again, re-apply your change and retry.", ce.Expected.Number, ce.Current.Number)}
	case errors.Is(err, mapstore.ErrReadOnly):
		return readOnly(err)
	case errors.Is(err, mapstore.ErrUnverified):
		return &api.Error{Kind: api.KindConflict, Code: api.CodeVersionUnverified, Err: err,
			Message: "That version's history record is not authenticated (changed outside the broker, written before records were signed, or signed with a session key no longer configured), so it cannot be read or rolled back to. Roll back to an authenticated version, or put the content you want in place as a new edit."}
	case errors.Is(err, mapstore.ErrNotFound):
		return &api.Error{Kind: api.KindNotFound, Code: api.CodeVersionNotFound, Err: err, Message: "There is no such mapping version; see the history."}
	}
	return err
}

func readOnly(err error) error {
	return &api.Error{Kind: api.KindConflict, Code: api.CodeMappingReadOnly, Err: err,
		Message: "The mapping cannot be changed through this broker: it is read-only here (a ConfigMap, a read-only volume, or a fixed mapping). Change it where it comes from; the broker picks the change up."}
}

// mappingProblems is ps as the API reports them.
func mappingProblems(ps abac.Problems) []api.MappingProblem {
	out := make([]api.MappingProblem, len(ps))
	for i, p := range ps {
		out[i] = api.MappingProblem{File: p.File, Line: p.Line, Column: p.Column, Message: p.Message, Text: p.String()}
	}
	return out
}

// invalidMapping is the error handler's answer to a write whose content has
// mistakes: 422 and every mistake with its position.
func invalidMapping(ps abac.Problems) problem {
	return problem{Status: http.StatusUnprocessableEntity, Code: api.CodeMappingInvalid, Title: "The mapping has mistakes",
		Message:  fmt.Sprintf("The mapping has %s; nothing was changed. First: %s", plural(len(ps), "mistake"), ps[0]),
		Problems: mappingProblems(ps)}
}

// teamNamesOf lists a mapping's teams in order.
func teamNamesOf(m *abac.Mapping) []string {
	names := make([]string, 0, len(m.Teams))
	for _, t := range m.Teams {
		names = append(names, t.Name)
	}
	return names
}

// degraded reports a readiness problem the broker serves through, such as an
// invalid mapping on disk while the last good one stays live: /readyz shows
// it but stays 200, so a load balancer does not drop every replica at once
// over one bad edit.
func degraded(err error) bool {
	var d interface{ Degraded() bool }
	return errors.As(err, &d) && d.Degraded()
}
