package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/secds/secds/abac"
	"github.com/secds/secds/internal/api"
	"github.com/secds/secds/internal/mapstore"
)

// The admin page's editor: one form with the YAML in a text area and the
// ETag of the version it started from, and three buttons, each posting the
// form to its own route. Nothing needs a script (the CSP allows none):
// every answer is the admin page again, with the admin's text kept.
//
// Save goes through changeMapping, as the API's PUT does, so an edit made
// here is validated, checked against the version it started from, kept
// from locking its author out, stored and audited exactly like one made
// with secds admin mapping edit.

// editorView is the editor's state on the page.
type editorView struct {
	CSRF    string
	Content string
	Base    mapstore.Version // the version Content started from; Save sends its ETag
	Reason  string
	// Changed is set when the mapping moved on since Base (Validate and
	// Diff say so before a Save is refused).
	Changed *mapstore.Entry

	Checked  bool // Validate ran
	Teams    []string
	Problems []problemView

	Diffed bool // Diff ran
	Diff   []diffLine

	Conflict *conflictView
}

// ETag is what the form's hidden field carries.
func (e *editorView) ETag() string { return e.Base.ETag() }

// problemView is one mistake with the lines it is about.
type problemView struct {
	ID, Where, Message string
	Line, Column       int
	Excerpt            []excerptLine
}

// excerptLine is one numbered line of the admin's text; on the line a
// mistake is about, At is the text from its column to the next space.
type excerptLine struct {
	Number           int
	Hit              bool
	Before, At, Rest string
}

// conflictView explains a stale save: someone else's version came in
// between, and what it changed.
type conflictView struct {
	Based   int64
	Current mapstore.Entry
	Diff    []diffLine
	DiffErr string
}

// Since is how many versions were saved after the admin's.
func (c *conflictView) Since() int64 { return c.Current.Number - c.Based }

// editorForm is what the editor's form posts.
type editorForm struct {
	content []byte
	base    mapstore.Version
	reason  string
}

// readEditorForm reads the editor's fields. A browser sends a text area's
// lines ending in CRLF whatever the admin typed; the mapping is stored as
// the file would be, with LF.
func readEditorForm(c echo.Context) (editorForm, error) {
	content := strings.ReplaceAll(c.FormValue("content"), "\r\n", "\n")
	if len(content) > maxMappingBytes {
		return editorForm{}, &api.Error{Kind: api.KindTooLarge, Code: api.CodeMappingTooLarge,
			Message: fmt.Sprintf("A mapping is at most %d KiB.", maxMappingBytes>>10)}
	}
	base, err := mapstore.ParseETag(c.FormValue("etag"))
	if err != nil {
		return editorForm{}, &api.Error{Kind: api.KindBadRequest, Code: api.CodeBadVersion, Err: err,
			Message: "The editor's form names no version to start from; reload the admin page (copy your text first)."}
	}
	return editorForm{content: []byte(content), base: base, reason: c.FormValue("reason")}, nil
}

// editorFrom puts the posted form back into the page, in place of the
// current version's text.
func editorFrom(data *adminPageData, f editorForm) *editorView {
	ed := &editorView{CSRF: data.CSRF, Content: string(f.content), Base: f.base, Reason: f.reason}
	if data.Current.Number != 0 && data.Current.Version != f.base {
		cur := data.Current.Entry
		ed.Changed = &cur
	}
	data.Editor = ed
	return ed
}

// POST /admin/validate: check the text as a save would, store nothing.
func (s *Server) adminPageValidate(c echo.Context, data *adminPageData) error {
	f, err := readEditorForm(c)
	if err != nil {
		return err
	}
	if _, err := s.mappingStore(); err != nil {
		return err
	}
	ed := editorFrom(data, f)
	live := s.cfg.Mapping
	m, err := live.Parse(f.content)
	var ps abac.Problems
	switch {
	case errors.As(err, &ps):
	case err != nil:
		return err
	default:
		ps = keepsAdmin(data.Identity, live.Name())(m)
		ed.Teams = teamNamesOf(m)
	}
	ed.Checked, ed.Problems = true, positioned(ps, f.content, "problem-")
	return s.render(c, http.StatusOK, "admin", data)
}

// POST /admin/diff: the text against the current version.
func (s *Server) adminPageDiff(c echo.Context, data *adminPageData) error {
	f, err := readEditorForm(c)
	if err != nil {
		return err
	}
	if _, err := s.mappingStore(); err != nil {
		return err
	}
	ed := editorFrom(data, f)
	if data.StoreErr != "" {
		return s.render(c, http.StatusOK, "admin", data)
	}
	if ed.Diff, err = textDiff(data.Current.Content, f.content, fmt.Sprintf("version %d (current)", data.Current.Number), "your text"); err != nil {
		return err
	}
	ed.Diffed = true
	return s.render(c, http.StatusOK, "admin", data)
}

// POST /admin/save: store the text as a new version if the mapping is
// still at the version the admin started from. On success, the page again
// (303, so a reload does not post twice); a refusal keeps the admin's text:
// 422 with the mistakes, 412 with the change that came in between.
func (s *Server) adminPageSave(c echo.Context) error {
	f, err := readEditorForm(c)
	if err != nil {
		return err
	}
	rev, err := s.changeMapping(c, "browser", mapstore.Update{Content: f.content, Expected: f.base, Reason: clientReason(c, f.reason, "edit")},
		func(ctx context.Context, live LiveMapping, u mapstore.Update) (mapstore.Revision, error) {
			return live.Update(ctx, u)
		})
	var ps abac.Problems
	var ce *mapstore.ConflictError
	switch {
	case err == nil:
		return c.Redirect(http.StatusSeeOther, adminPagePath+"?saved="+strconv.FormatInt(rev.Number, 10)+"#editor")
	case errors.As(err, &ps):
		return s.adminView(func(c echo.Context, data *adminPageData) error {
			ed := editorFrom(data, f)
			ed.Checked, ed.Problems = true, positioned(ps, f.content, "problem-")
			return s.render(c, http.StatusUnprocessableEntity, "admin", data)
		})(c)
	case errors.As(err, &ce):
		return s.adminView(func(c echo.Context, data *adminPageData) error {
			return s.staleSave(c, data, f, ce)
		})(c)
	}
	return err
}

// staleSave answers a save based on a version that is no longer current:
// what came in between and who made it, the admin's text kept, and the form
// now based on the current version, so that a second Save, made knowing the
// other change, replaces it.
func (s *Server) staleSave(c echo.Context, data *adminPageData, f editorForm, ce *mapstore.ConflictError) error {
	ed := editorFrom(data, f)
	if data.StoreErr != "" {
		// The current version cannot be read: the form stays on the
		// admin's base, and a second Save is refused again.
		data.Message = fmt.Sprintf("Not saved: the mapping changed since version %d, which you started from, and the store cannot be read now to show the change. Nothing was changed; your text is kept below.", ce.Expected.Number)
		return s.render(c, http.StatusPreconditionFailed, "admin", data)
	}
	ed.Changed, ed.Base = nil, data.Current.Version
	cv := &conflictView{Based: ce.Expected.Number, Current: data.Current.Entry}
	ctx := c.Request().Context()
	content := func(n int64) ([]byte, error) {
		if n == data.Current.Number {
			return data.Current.Content, nil
		}
		r, err := s.cfg.Mapping.Store().At(ctx, n)
		return r.Content, err
	}
	var err error
	if cv.Diff, err = versionDiff(content, ce.Expected.Number, data.Current.Number); err != nil {
		cv.DiffErr = err.Error()
	}
	ed.Conflict = cv
	return s.render(c, http.StatusPreconditionFailed, "admin", data)
}

// savedMessage is the notice after a save: the version, if the history has
// it, with who saved it (a link cannot make the page claim a save that did
// not happen).
func savedMessage(data *adminPageData, v string) string {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return ""
	}
	for _, h := range data.History {
		if h.Number == n {
			who := ""
			if h.Author != "" {
				who = " by " + h.Author
			}
			// The newest stored version, not the one this replica serves:
			// after a save made on another replica, this one takes up to
			// a poll interval to reload.
			state := "it is live"
			if !h.Latest {
				state = "a newer version has been saved since"
			}
			return fmt.Sprintf("Saved as version %d%s; %s.", n, who, state)
		}
	}
	return ""
}

// excerptContext is how many lines either side of a mistake are quoted.
const excerptContext = 1

// positioned is ps with the lines of content each is about; their
// elements' ids are idPrefix and the problem's index.
func positioned(ps abac.Problems, content []byte, idPrefix string) []problemView {
	lines := strings.Split(strings.TrimSuffix(string(content), "\n"), "\n")
	out := make([]problemView, len(ps))
	for i, p := range ps {
		v := problemView{ID: idPrefix + strconv.Itoa(i), Where: where(p), Message: p.Message, Line: p.Line, Column: p.Column}
		if p.Line >= 1 && p.Line <= len(lines) {
			for n := max(1, p.Line-excerptContext); n <= min(len(lines), p.Line+excerptContext); n++ {
				l := excerptLine{Number: n, Before: lines[n-1]}
				if n == p.Line {
					l.Hit = true
					l.Before, l.At, l.Rest = splitAt(lines[n-1], p.Column)
				}
				v.Excerpt = append(v.Excerpt, l)
			}
		}
		out[i] = v
	}
	return out
}

// where is a problem's position, file:line:col, as far as it is known.
func where(p abac.Problem) string {
	switch {
	case p.Line == 0:
		return p.File
	case p.Column == 0:
		return fmt.Sprintf("%s:%d", p.File, p.Line)
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Column)
}

// splitAt cuts line at column (counted in characters from 1): the text
// before it, the word that starts there, and the rest.
func splitAt(line string, column int) (before, at, rest string) {
	r := []rune(line)
	if column < 1 || column > len(r) {
		return line, "", ""
	}
	start := column - 1
	end := start
	for end < len(r) && r[end] != ' ' && r[end] != '\t' {
		end++
	}
	if end == start {
		end++
	}
	return string(r[:start]), string(r[start:end]), string(r[end:])
}
