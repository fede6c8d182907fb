package server

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/secds/secds/abac"
	"github.com/secds/secds/internal/api"
	"github.com/secds/secds/internal/mapstore"
)

// rollbackPageData is the rollback's confirmation page: what the mapping
// would become, as a diff from the current version, and the form that
// does it.
type rollbackPageData struct {
	Identity abac.Identity
	CSRF     string
	Current  mapstore.Revision
	Target   mapstore.Entry
	Diff     []diffLine
	Changed  *mapstore.Version // the version a refused, stale rollback was based on
}

// GET /admin/rollback?version=N: ask before rolling back, showing what
// would change. The form it shows carries the current version's ETag, so
// a change made while the admin reads the diff refuses the rollback (412)
// rather than being undone unseen.
func (s *Server) adminPageRollbackConfirm(c echo.Context) error {
	n, err := strconv.ParseInt(c.QueryParam("version"), 10, 64)
	if err != nil || n < 1 {
		return &api.Error{Kind: api.KindBadRequest, Code: api.CodeBadVersion, Message: "Name the version to roll back to; pick one in the admin page's history."}
	}
	return s.rollbackConfirm(c, n, http.StatusOK, nil)
}

// rollbackConfirm shows the confirmation of a rollback to version n;
// changed, on a rollback refused as stale, is the version it was based on.
func (s *Server) rollbackConfirm(c echo.Context, n int64, status int, changed *mapstore.Version) error {
	st, err := s.mappingStore()
	if err != nil {
		return err
	}
	sess, err := s.browserSession(c)
	if err != nil {
		return err
	}
	csrf, err := s.csrfToken(sess)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	cur, err := st.Get(ctx)
	if err != nil {
		return storeError(c, err)
	}
	if n == cur.Number {
		return &api.Error{Kind: api.KindConflict, Code: api.CodeBadVersion, Message: fmt.Sprintf("Version %d is the current version: there is nothing to roll back.", n)}
	}
	target, err := st.At(ctx, n)
	if err != nil {
		return storeError(c, err)
	}
	d := &rollbackPageData{Identity: sess.Identity, CSRF: csrf, Current: cur, Target: target.Entry, Changed: changed}
	if d.Diff, err = textDiff(cur.Content, target.Content, fmt.Sprintf("version %d (current)", cur.Number), fmt.Sprintf("version %d", n)); err != nil {
		return err
	}
	return s.render(c, status, "admin_rollback", d)
}
