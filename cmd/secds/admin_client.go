package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/secds/secds/cmd/secds/cli"
)

// The admin API's JSON shapes (server/admin_mapping.go, admin_explain.go).
type (
	versionInfo struct {
		Version int64     `json:"version"`
		Digest  string    `json:"digest"`
		ETag    string    `json:"etag"`
		Author  string    `json:"author,omitempty"`
		Reason  string    `json:"reason,omitempty"`
		Time    time.Time `json:"time"`
		Size    int       `json:"size"`
	}
	mappingDoc struct {
		versionInfo
		Serving int64  `json:"serving"`
		Content string `json:"content"`
	}
	mappingBody struct {
		Content string `json:"content"`
		IfMatch string `json:"if_match,omitempty"`
		Reason  string `json:"reason,omitempty"`
	}
	mappingProblem struct {
		Line    int    `json:"line,omitempty"`
		Column  int    `json:"column,omitempty"`
		Message string `json:"message"`
	}
	validation struct {
		Valid    bool             `json:"valid"`
		Problems []mappingProblem `json:"problems"`
		Teams    []string         `json:"teams,omitempty"`
	}
	history struct {
		Serving  int64         `json:"serving"`
		Latest   int64         `json:"latest"`
		Valid    bool          `json:"valid"`
		Versions []versionInfo `json:"versions"`
	}
)

// admin calls the admin API as the logged-in user of the selected profile.
type admin struct{ a *cli.App }

func (c admin) mapping(ctx context.Context) (mappingDoc, error) {
	var d mappingDoc
	err := c.a.Do(ctx, http.MethodGet, "/admin/mapping", nil, &d)
	return d, err
}

func (c admin) version(ctx context.Context, n int64) (mappingDoc, error) {
	var d mappingDoc
	err := c.a.Do(ctx, http.MethodGet, "/admin/mapping/history/"+strconv.FormatInt(n, 10), nil, &d)
	return d, err
}

func (c admin) validate(ctx context.Context, content []byte) (validation, error) {
	var v validation
	err := c.a.Do(ctx, http.MethodPost, "/admin/mapping/validate", mappingBody{Content: string(content)}, &v)
	return v, err
}

func (c admin) put(ctx context.Context, content []byte, etag, reason string) (versionInfo, error) {
	var v versionInfo
	err := c.a.Do(ctx, http.MethodPut, "/admin/mapping", mappingBody{Content: string(content), IfMatch: etag, Reason: reason}, &v)
	return v, err
}

func (c admin) history(ctx context.Context) (history, error) {
	var h history
	err := c.a.Do(ctx, http.MethodGet, "/admin/mapping/history", nil, &h)
	return h, err
}

func (c admin) rollback(ctx context.Context, n int64) (versionInfo, error) {
	var v versionInfo
	err := c.a.Do(ctx, http.MethodPost, "/admin/mapping/rollback", map[string]int64{"version": n}, &v)
	return v, err
}

// printProblems writes problems as file:line:col: message, the form editors
// and CI annotate from, against the local file the admin works on.
func printProblems(w io.Writer, file string, ps []mappingProblem) {
	for _, p := range ps {
		fmt.Fprintln(w, p.at(file))
	}
}

func (p mappingProblem) at(file string) string {
	switch {
	case p.Line == 0:
		return fmt.Sprintf("%s: %s", file, p.Message)
	case p.Column == 0:
		return fmt.Sprintf("%s:%d: %s", file, p.Line, p.Message)
	}
	return fmt.Sprintf("%s:%d:%d: %s", file, p.Line, p.Column, p.Message)
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
