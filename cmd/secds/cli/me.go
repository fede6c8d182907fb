package cli

import (
	"context"
	"net/http"

	"github.com/secds/secds/internal/api"
)

func (a *App) me(ctx context.Context, mayLogin bool) (*api.MeResponse, error) {
	var m api.MeResponse
	if err := a.do(ctx, http.MethodGet, "/me", nil, &m, mayLogin); err != nil {
		return nil, err
	}
	return &m, nil
}

// problemExitCode is the exit code of a listing refusal.
func problemExitCode(p *api.Problem) int {
	return (&APIError{Status: p.Status}).ExitCode()
}
