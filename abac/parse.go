package abac

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

var (
	teamNameRE     = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}$`)
	notebookNameRE = regexp.MustCompile(`^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$`)
	emailDomainRE  = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)+$`)
	roleARNRE      = regexp.MustCompile(`^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$`)
	tagCharsRE     = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`)
	yamlLineRE     = regexp.MustCompile(`^line (\d+): (.*)$`)
	unknownRE      = regexp.MustCompile(`^field (\S+) not found in type abac\.(\w+)$`)
)

// reservedTags are set by the broker itself on every session.
var reservedTags = map[string]bool{"team": true, "user": true}

// Parse reads and validates a mapping file. file names it in the problems
// reported. On any mistake it returns nil and Problems listing all of them.
func Parse(file string, data []byte) (*Mapping, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, Problems{syntaxProblem(file, err)}
	}
	if root.Kind == 0 {
		return nil, Problems{{File: file, Message: "the mapping is empty"}}
	}
	var m Mapping
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var unknown Problems
	if err := dec.Decode(&m); err != nil {
		ps, onlyUnknown := decodeProblems(file, &root, err)
		if !onlyUnknown {
			return nil, ps
		}
		// An unknown field (a typo, mostly) must not hide the file's other
		// mistakes: decode again ignoring it and validate the rest, so the
		// admin sees every problem in one pass.
		unknown, m = ps, Mapping{}
		if err := yaml.Unmarshal(data, &m); err != nil {
			return nil, append(unknown, Problems{syntaxProblem(file, err)}...)
		}
	}
	v := validator{file: file, root: &root}
	v.mapping(&m)
	if ps := append(unknown, v.problems...); len(ps) > 0 {
		sortByPosition(ps)
		return nil, ps
	}
	m.idx = buildIndex(m.Teams)
	m.refs = computeReferences(&m)
	return &m, nil
}

func syntaxProblem(file string, err error) Problem {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if sm := yamlLineRE.FindStringSubmatch(msg); sm != nil {
		line, _ := strconv.Atoi(sm[1])
		return Problem{File: file, Line: line, Message: "YAML syntax: " + sm[2]}
	}
	return Problem{File: file, Message: "YAML syntax: " + msg}
}

// decodeProblems turns yaml.v3's type errors (which it collects for the whole
// document) into positioned problems, and says whether they are all unknown
// fields (after which the rest of the file can still be validated).
func decodeProblems(file string, root *yaml.Node, err error) (ps Problems, onlyUnknown bool) {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return Problems{syntaxProblem(file, err)}, false
	}
	onlyUnknown = true
	for _, e := range te.Errors {
		p := Problem{File: file, Message: e}
		isUnknown := false
		if sm := yamlLineRE.FindStringSubmatch(e); sm != nil {
			p.Line, _ = strconv.Atoi(sm[1])
			p.Message = sm[2]
			if um := unknownRE.FindStringSubmatch(sm[2]); um != nil {
				p.Message = fmt.Sprintf("unknown field %q in %s", um[1], strings.ToLower(um[2]))
				p.Column = keyColumn(root, p.Line, um[1])
				isUnknown = true
			}
		}
		onlyUnknown = onlyUnknown && isUnknown
		ps = append(ps, p)
	}
	return ps, onlyUnknown
}

// sortByPosition orders problems as they appear in the file; problems of
// the whole file (no line) come first.
func sortByPosition(ps Problems) {
	sort.SliceStable(ps, func(i, j int) bool {
		if ps[i].Line != ps[j].Line {
			return ps[i].Line < ps[j].Line
		}
		return ps[i].Column < ps[j].Column
	})
}

// keyColumn finds the column of a mapping key on a line, for unknown-field
// problems whose yaml.v3 message carries only the line.
func keyColumn(n *yaml.Node, line int, key string) int {
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Line == line && k.Value == key {
				return k.Column
			}
		}
	}
	for _, c := range n.Content {
		if col := keyColumn(c, line, key); col != 0 {
			return col
		}
	}
	return 0
}
