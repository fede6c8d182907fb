package server

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/secds/secds/abac"
	"github.com/secds/secds/internal/api"
	"github.com/secds/secds/internal/audit"
)

// POST /api/v1/admin/posture: every notebook the mapping's teams can
// reach, checked against the teams' require blocks; the live mapping's, or
// those of a mapping the admin proposes (validated first, stored nowhere),
// so the estate can be seen before enforce is turned on.
func (s *Server) apiPosture(c echo.Context) error {
	admin, live := identityOf(c), s.cfg.Mapping
	var req api.PostureRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	st := live.State()
	m, version := st.Mapping, st.Serving.Number
	if req.Mapping != "" {
		proposed, err := abac.Parse("proposed mapping", []byte(req.Mapping))
		if err != nil {
			return err
		}
		m, version = proposed, 0
	}
	est, name, err := s.cfg.Broker.Estate(c.Request().Context(), admin, m)
	if err != nil {
		return err
	}
	res := api.PostureResponse{MappingVersion: version, Notebooks: []api.Notebook{}}
	for _, nb := range est.Notebooks {
		res.Notebooks = append(res.Notebooks, api.Notebook{Team: nb.Team, Name: nb.Name, Status: nb.Status, Compliance: nb.Compliance})
	}
	for _, st := range est.Studios {
		res.Studios = append(res.Studios, api.PostureStudio{Team: st.Team, DomainID: st.DomainID, Compliance: st.Compliance, Problem: st.Problem})
	}
	for _, p := range est.Problems {
		res.Problems = append(res.Problems, api.PostureProblem{Team: p.Team, Message: p.Message})
	}
	s.record(audit.Event{Type: audit.TypeAdmin, Decision: audit.Granted, Code: "posture", Subject: admin.Subject, Username: admin.Username,
		SourceIdentity: name, Path: c.Request().URL.Path, ClientIP: c.RealIP(), RequestID: requestID(c), Via: "api", TokenID: tokenID(c)})
	return c.JSON(http.StatusOK, res)
}
