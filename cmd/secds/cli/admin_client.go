package cli

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/secds/secds/internal/api"
)

// admin calls the admin API as the logged-in user of the selected profile.
type admin struct{ a *App }

func (c admin) mapping(ctx context.Context) (api.MappingDoc, error) {
	var d api.MappingDoc
	err := c.a.Do(ctx, http.MethodGet, "/admin/mapping", nil, &d)
	return d, err
}

func (c admin) version(ctx context.Context, n int64) (api.MappingDoc, error) {
	var d api.MappingDoc
	err := c.a.Do(ctx, http.MethodGet, "/admin/mapping/history/"+strconv.FormatInt(n, 10), nil, &d)
	return d, err
}

func (c admin) validate(ctx context.Context, content []byte) (api.ValidateResponse, error) {
	var v api.ValidateResponse
	err := c.a.Do(ctx, http.MethodPost, "/admin/mapping/validate", api.MappingBody{Content: string(content)}, &v)
	return v, err
}

func (c admin) put(ctx context.Context, content []byte, etag, reason string) (api.VersionInfo, error) {
	var v api.VersionInfo
	err := c.a.Do(ctx, http.MethodPut, "/admin/mapping", api.MappingBody{Content: string(content), IfMatch: etag, Reason: reason}, &v)
	return v, err
}

func (c admin) history(ctx context.Context) (api.HistoryResponse, error) {
	var h api.HistoryResponse
	err := c.a.Do(ctx, http.MethodGet, "/admin/mapping/history", nil, &h)
	return h, err
}

func (c admin) rollback(ctx context.Context, n int64) (api.VersionInfo, error) {
	var v api.VersionInfo
	err := c.a.Do(ctx, http.MethodPost, "/admin/mapping/rollback", api.RollbackRequest{Version: n}, &v)
	return v, err
}

// printProblems writes problems as file:line:col: message, the form editors
// and CI annotate from, against the local file the admin works on.
func printProblems(w io.Writer, file string, ps []api.MappingProblem) {
	for _, p := range ps {
		fmt.Fprintln(w, problemAt(p, file))
	}
}

// problemAt is p placed in file rather than in the broker's name for it.
func problemAt(p api.MappingProblem, file string) string {
	switch {
	case p.Line == 0:
		return fmt.Sprintf("%s: %s", file, p.Message)
	case p.Column == 0:
		return fmt.Sprintf("%s:%d: %s", file, p.Line, p.Message)
	}
	return fmt.Sprintf("%s:%d:%d: %s", file, p.Line, p.Column, p.Message)
}
