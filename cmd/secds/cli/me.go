package cli

import (
	"context"
	"net/http"
	"time"
)

// notebook is one notebook the broker lists or offers.
type notebook struct {
	Team   string `json:"team"`
	Name   string `json:"name"`
	Status string `json:"status"`
}

// problem is a refusal the broker reports inside GET /api/v1/me.
type problem struct {
	Status  int    `json:"status"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// me is GET /api/v1/me.
type me struct {
	Identity struct {
		Subject  string   `json:"sub"`
		Username string   `json:"username"`
		Email    string   `json:"email,omitempty"`
		Groups   []string `json:"groups"`
	} `json:"identity"`
	Teams          []string   `json:"teams"`
	Notebooks      []notebook `json:"notebooks"`
	Admin          bool       `json:"admin"`
	Problem        *problem   `json:"problem,omitempty"`
	TokenExpiresAt time.Time  `json:"token_expires_at,omitzero"`
}

func (a *App) me(ctx context.Context, mayLogin bool) (*me, error) {
	var m me
	if err := a.do(ctx, http.MethodGet, "/me", nil, &m, mayLogin); err != nil {
		return nil, err
	}
	return &m, nil
}

// problemExit is the exit code of a listing refusal.
func (p *problem) exitCode() int {
	return (&APIError{Status: p.Status}).ExitCode()
}
