package awsemu

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// The patterns and limits below are AWS's documented constraints; the
// emulator enforces them so a broker bug that AWS would reject fails in dev
// and in tests rather than in production.
var (
	sessionNamePattern  = regexp.MustCompile(`^[\w+=,.@-]*$`)
	tagKeyPattern       = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]+$`)
	tagValuePattern     = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`)
	notebookNamePattern = regexp.MustCompile(`^[a-zA-Z0-9](-*[a-zA-Z0-9])*$`)
	nameFilterPattern   = regexp.MustCompile(`^[a-zA-Z0-9-]+$`)
)

const (
	maxSessionTags   = 50
	maxTagKeyLen     = 128
	maxTagValueLen   = 256
	maxNotebookName  = 63
	maxPolicyLen     = 2048
	minSessionPeriod = 900
	chainedMaxPeriod = 3600
)

// violations collects constraint failures and renders them the way AWS's
// frontends do ("2 validation errors detected: Value ... at 'x' failed to
// satisfy constraint: ...; ..."), so error messages in tests look familiar.
type violations []string

func (v *violations) add(value, field, constraint string) {
	*v = append(*v, fmt.Sprintf("Value %s at '%s' failed to satisfy constraint: %s", value, field, constraint))
}

func (v violations) message() string {
	noun := "error"
	if len(v) > 1 {
		noun = "errors"
	}
	return fmt.Sprintf("%d validation %s detected: %s", len(v), noun, strings.Join(v, "; "))
}

// quoted renders a present value for a violation message (a missing one is
// written null, as AWS does).
func quoted(s string) string {
	return "'" + s + "'"
}

// awsLen counts characters as AWS's Java front ends do, in UTF-16 code
// units: a letter outside the Basic Multilingual Plane counts twice. Where AWS
// counts code points instead this is stricter, never laxer, which is the
// emulator's rule: what it takes, AWS takes.
func awsLen(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

func tagKeyProblem(k string) string {
	n := awsLen(k)
	switch {
	case !utf8.ValidString(k):
		return "must be valid UTF-8"
	case n < 1 || n > maxTagKeyLen:
		return fmt.Sprintf("must be 1-%d characters", maxTagKeyLen)
	case !tagKeyPattern.MatchString(k):
		return `must match [\p{L}\p{Z}\p{N}_.:/=+\-@]+`
	}
	return ""
}

func tagValueProblem(v string) string {
	switch {
	case !utf8.ValidString(v):
		return "must be valid UTF-8"
	case awsLen(v) > maxTagValueLen:
		return fmt.Sprintf("must be at most %d characters", maxTagValueLen)
	case !tagValuePattern.MatchString(v):
		return `must match [\p{L}\p{Z}\p{N}_.:/=+\-@]*`
	}
	return ""
}

func notebookNameProblem(name string) string {
	switch {
	case name == "" || len(name) > maxNotebookName:
		return fmt.Sprintf("must be 1-%d characters", maxNotebookName)
	case !notebookNamePattern.MatchString(name):
		return "must match ^[a-zA-Z0-9](-*[a-zA-Z0-9])*$"
	}
	return ""
}

// lookupTag finds a tag by key case-insensitively, as IAM condition keys on
// tags do; values are compared exactly by the callers.
func lookupTag(tags []Tag, key string) (string, bool) {
	for _, t := range tags {
		if strings.EqualFold(t.Key, key) {
			return t.Value, true
		}
	}
	return "", false
}

// Tag is a key/value pair attached to a session or a notebook.
type Tag struct {
	Key   string
	Value string
}
