package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/pmezard/go-difflib/difflib"

	"github.com/secds/secds/abac"
	"github.com/secds/secds/auth"
	"github.com/secds/secds/internal/api"
	"github.com/secds/secds/internal/mapstore"
)

// pageHistory is how many versions the admin page shows with their diffs;
// the API lists them all.
const pageHistory = 20

// adminPageData is what the admin page shows.
type adminPageData struct {
	Identity abac.Identity
	CSRF     string
	State    mapstore.State
	Current  mapstore.Revision
	Problems []api.MappingProblem // why Latest is not served
	// LatestProblems are Problems with the lines they are about, when the
	// store's current version is the invalid one.
	LatestProblems []problemView
	Stored         bool // false for a fixed mapping: no history, no rollback
	StoreErr       string
	History        []historyRow
	MoreHistory    int
	Message        string
	Form           explainForm
	Explain        *explainView
	ExplainErr     string
	Editor         *editorView // nil when there is nothing to edit
}

type historyRow struct {
	mapstore.Entry
	Serving, Latest bool
	Diff            []diffLine
	DiffErr         string
}

type diffLine struct{ Class, Text string }

// explainForm is the explain form's fields, echoed back into the page.
type explainForm struct {
	Username, Email, Groups, Claims string
	Notebooks                       bool
}

type explainView struct {
	api.ExplainResponse
	Rows []explainRow
}

type explainRow struct {
	Team, Status, Reason, Role, Selector, SessionTags string
	Granted                                           bool
	Rules                                             []string
}

// adminView runs a page handler with the page's data, for the admin the
// guard (audAdminPage) let in.
func (s *Server) adminView(h func(c echo.Context, data *adminPageData) error) echo.HandlerFunc {
	return func(c echo.Context) error {
		sess, err := s.browserSession(c)
		if err != nil {
			return err
		}
		data, err := s.adminData(c, sess, s.cfg.Mapping)
		if err != nil {
			return err
		}
		return h(c, data)
	}
}

// GET /admin.
func (s *Server) adminPage(c echo.Context, data *adminPageData) error {
	if v := c.QueryParam("rolled_back"); v != "" {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			data.Message = fmt.Sprintf("Rolled back: version %d now has the content of an earlier version, and is live.", n)
		}
	}
	if v := c.QueryParam("saved"); v != "" {
		data.Message = savedMessage(data, v)
	}
	return s.render(c, http.StatusOK, "admin", data)
}

func (s *Server) adminData(c echo.Context, sess *auth.Session, live LiveMapping) (*adminPageData, error) {
	csrf, err := s.csrfToken(sess)
	if err != nil {
		return nil, err
	}
	d := &adminPageData{Identity: sess.Identity, CSRF: csrf, State: live.State()}
	d.Problems = mappingProblems(d.State.Problems)
	st := live.Store()
	if st == nil {
		return d, nil
	}
	d.Stored = true
	ctx := c.Request().Context()
	if d.Current, err = st.Get(ctx); err != nil {
		d.StoreErr = err.Error()
		return d, nil
	}
	d.Editor = &editorView{CSRF: csrf, Content: string(d.Current.Content), Base: d.Current.Version}
	if !d.State.Valid() && d.State.Latest.Version == d.Current.Version {
		d.LatestProblems = positioned(d.State.Problems, d.Current.Content, "latest-problem-")
	}
	hist, err := st.History(ctx)
	if err != nil {
		d.StoreErr = err.Error()
		return d, nil
	}
	if len(hist) > pageHistory {
		d.MoreHistory = len(hist) - pageHistory
	}
	// One read per version shown: each diff needs the version before it.
	contents := map[int64][]byte{}
	content := func(n int64) ([]byte, error) {
		if b, ok := contents[n]; ok {
			return b, nil
		}
		r, err := st.At(ctx, n)
		contents[n] = r.Content
		return r.Content, err
	}
	for i, e := range hist[:min(len(hist), pageHistory)] {
		row := historyRow{Entry: e, Serving: e.Number == d.State.Serving.Number, Latest: i == 0}
		if i+1 < len(hist) {
			row.Diff, err = versionDiff(content, hist[i+1].Number, e.Number)
			if err != nil {
				row.DiffErr = err.Error()
			}
		}
		d.History = append(d.History, row)
	}
	return d, nil
}

func versionDiff(content func(int64) ([]byte, error), from, to int64) ([]diffLine, error) {
	a, err := content(from)
	if err != nil {
		return nil, err
	}
	b, err := content(to)
	if err != nil {
		return nil, err
	}
	return textDiff(a, b, fmt.Sprintf("version %d", from), fmt.Sprintf("version %d", to))
}

// textDiff is the unified diff from a to b, a line at a time for the page
// to colour; nil when they are the same.
func textDiff(a, b []byte, from, to string) ([]diffLine, error) {
	text, err := difflib.GetUnifiedDiffString(difflib.UnifiedDiff{
		A: difflib.SplitLines(string(a)), B: difflib.SplitLines(string(b)),
		FromFile: from, ToFile: to, Context: 3,
	})
	if err != nil {
		return nil, fmt.Errorf("diff %s..%s: %w", from, to, err)
	}
	var lines []diffLine
	for _, l := range strings.SplitAfter(text, "\n") {
		if l == "" {
			continue
		}
		class := "ctx"
		switch {
		case strings.HasPrefix(l, "+++"), strings.HasPrefix(l, "---"):
			class = "file"
		case strings.HasPrefix(l, "@@"):
			class = "hunk"
		case strings.HasPrefix(l, "+"):
			class = "add"
		case strings.HasPrefix(l, "-"):
			class = "del"
		}
		lines = append(lines, diffLine{Class: class, Text: l})
	}
	return lines, nil
}

// POST /admin/explain: the explain form.
func (s *Server) adminPageExplain(c echo.Context, data *adminPageData) error {
	f := explainForm{Username: c.FormValue("username"), Email: c.FormValue("email"), Groups: c.FormValue("groups"), Claims: c.FormValue("claims"), Notebooks: c.FormValue("notebooks") != ""}
	data.Form = f
	req := api.ExplainRequest{Username: f.Username, Email: f.Email, Groups: splitList(f.Groups), Notebooks: f.Notebooks}
	if strings.TrimSpace(f.Claims) != "" {
		if err := json.Unmarshal([]byte(f.Claims), &req.Claims); err != nil {
			data.ExplainErr = "The claims must be a JSON object, such as {\"department\": \"fraud\"}: " + err.Error()
			return s.render(c, http.StatusOK, "admin", data)
		}
	}
	id, err := explainIdentity(req, s.cfg.Claims)
	if err != nil {
		data.ExplainErr = toProblem(err).Message
		return s.render(c, http.StatusOK, "admin", data)
	}
	res := s.explain(c, s.cfg.Mapping, data.Identity, id, req.Notebooks, "browser")
	data.Explain = &explainView{ExplainResponse: res, Rows: explainRows(res.Teams)}
	return s.render(c, http.StatusOK, "admin", data)
}

// splitList reads a list typed by hand: commas, spaces or new lines.
func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\r' || r == '\t' })
}

func explainRows(teams []abac.TeamExplanation) []explainRow {
	rows := make([]explainRow, 0, len(teams))
	for _, t := range teams {
		r := explainRow{Team: t.Team, Reason: t.Reason, Granted: t.Granted, Status: "no"}
		switch {
		case t.Granted:
			r.Status = "granted"
		case t.Matched:
			r.Status = "matched, not granted"
		}
		if g := t.Grant; g != nil {
			r.Role, r.Selector, r.SessionTags = g.RoleARN, formatTags(g.NotebookTags), formatTags(g.SessionTags)
			if len(g.NotebookNames) > 0 {
				r.Selector += "; names " + strings.Join(g.NotebookNames, ", ")
			}
		}
		for _, rule := range t.Rules {
			r.Rules = append(r.Rules, describeRule("match", rule))
		}
		for _, rule := range t.Excludes {
			r.Rules = append(r.Rules, describeRule("exclude", rule))
		}
		rows = append(rows, r)
	}
	return rows
}

func describeRule(kind string, r abac.RuleExplanation) string {
	parts := make([]string, 0, len(r.Conditions))
	for _, c := range r.Conditions {
		mark := "✗"
		if c.Matched {
			mark = "✓"
		}
		p := mark + " " + c.Condition
		if c.Detail != "" {
			p += " (" + c.Detail + ")"
		}
		parts = append(parts, p)
	}
	verdict := "does not hold"
	if r.Matched {
		verdict = "holds"
	}
	return fmt.Sprintf("%s rule %d %s: %s", kind, r.Index+1, verdict, strings.Join(parts, "; "))
}

func formatTags(tags map[string]string) string {
	keys := slices.Sorted(maps.Keys(tags))
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + tags[k]
	}
	return strings.Join(parts, ", ")
}

// POST /admin/rollback: roll back from the history table. The form carries
// the ETag the page showed, so a page left open while someone else changed
// the mapping cannot undo their change unseen.
func (s *Server) adminPageRollback(c echo.Context) error {
	n, err := strconv.ParseInt(c.FormValue("version"), 10, 64)
	if err != nil || n < 1 {
		return &api.Error{Kind: api.KindBadRequest, Code: api.CodeBadVersion, Message: "The rollback form names no version."}
	}
	expected, err := mapstore.ParseETag(c.FormValue("etag"))
	if err != nil {
		return &api.Error{Kind: api.KindBadRequest, Code: api.CodeBadVersion, Message: "The rollback form names no current version; reload the admin page."}
	}
	rev, err := s.changeMapping(c, "browser", mapstore.Update{Expected: expected}, rollbackTo(n))
	var ce *mapstore.ConflictError
	if errors.As(err, &ce) {
		// Ask again, with what the rollback would change now.
		return s.rollbackConfirm(c, n, http.StatusPreconditionFailed, &ce.Expected)
	}
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/admin?rolled_back="+strconv.FormatInt(rev.Number, 10)+"#history")
}
