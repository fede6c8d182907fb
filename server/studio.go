package server

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/secds/secds/abac"
	"github.com/secds/secds/broker"
	"github.com/secds/secds/internal/api"
)

// studioAsked reports whether /open asks for SageMaker Studio:
// studio=1 (or true, yes, on).
func studioAsked(c echo.Context) bool {
	switch strings.ToLower(c.QueryParam("studio")) {
	case "1", "true", "yes", "on":
		return true
	}
	return false
}

// openStudio is /open?studio=1[&team=T][&space=S]: straight into the team's
// SageMaker Studio.
func (s *Server) openStudio(c echo.Context, id abac.Identity) error {
	req := broker.StudioRequest{Team: c.QueryParam("team"), Space: c.QueryParam("space"), RequestMeta: s.meta(c, "browser")}
	res, err := s.cfg.Broker.OpenStudio(c.Request().Context(), id, req)
	if err != nil {
		return err
	}
	// A bearer credential, as a notebook's URL: only in Location.
	c.Response().Header().Set("Referrer-Policy", "no-referrer")
	return c.Redirect(http.StatusFound, res.URL)
}

// apiOpenStudio is POST /api/v1/open with "studio": true.
func (s *Server) apiOpenStudio(c echo.Context, id abac.Identity, req api.OpenRequest) error {
	if req.Notebook != "" {
		return &api.Error{Kind: api.KindBadRequest, Code: api.CodeBadRequest,
			Message: "Ask for a notebook or for Studio, not both: leave out notebook, or studio and space."}
	}
	res, err := s.cfg.Broker.OpenStudio(c.Request().Context(), id, broker.StudioRequest{Team: req.Team, Space: req.Space, RequestMeta: s.meta(c, "api")})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, api.OpenResponse{URL: res.URL, ExpiresAt: res.ExpiresAt.UTC(), Team: res.Team, Studio: res.Studio})
}
