package awsemu

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/secds/secds/internal/iameval"
)

// assumeRoleInput is an AssumeRole request after syntactic validation.
type assumeRoleInput struct {
	roleARN        string
	sessionName    string
	duration       int // 0 when absent
	sourceIdentity string
	tags           []Tag
	transitiveKeys []string
	policy         string
	// sessionPolicies is policy parsed; nil without one.
	sessionPolicies []*iameval.Policy
}

// parseAssumeRole reads the Query parameters and checks every documented
// constraint in one pass, reporting all violations together as AWS does.
func parseAssumeRole(form url.Values) (assumeRoleInput, *apiError) {
	var (
		in assumeRoleInput
		v  violations
	)
	in.roleARN = form.Get("RoleArn")
	switch n := len(in.roleARN); {
	case !form.Has("RoleArn"):
		v.add("null", "roleArn", "Member must not be null")
	case n < 20 || n > 2048:
		v.add(quoted(in.roleARN), "roleArn", "Member must have length between 20 and 2048")
	}

	in.sessionName = form.Get("RoleSessionName")
	if !form.Has("RoleSessionName") {
		v.add("null", "roleSessionName", "Member must not be null")
	} else {
		checkIdentifier(&v, "roleSessionName", in.sessionName)
	}

	if form.Has("DurationSeconds") {
		raw := form.Get("DurationSeconds")
		d, err := strconv.Atoi(raw)
		switch {
		case err != nil:
			v.add(quoted(raw), "durationSeconds", "Member must be an integer")
		case d < minSessionPeriod:
			v.add(quoted(raw), "durationSeconds", fmt.Sprintf("Member must have value greater than or equal to %d", minSessionPeriod))
		case d > 43200:
			v.add(quoted(raw), "durationSeconds", "Member must have value less than or equal to 43200")
		}
		in.duration = d
	}

	if form.Has("SourceIdentity") {
		in.sourceIdentity = form.Get("SourceIdentity")
		checkIdentifier(&v, "sourceIdentity", in.sourceIdentity)
		if hasAWSPrefix(in.sourceIdentity) {
			v.add(quoted(in.sourceIdentity), "sourceIdentity", "Member must not start with the reserved prefix 'aws:'")
		}
	}

	in.tags = parseTags(form, &v)
	in.transitiveKeys = memberList(form, "TransitiveTagKeys")
	if len(in.transitiveKeys) > maxSessionTags {
		v.add("'[...]'", "transitiveTagKeys", fmt.Sprintf("Member must have length less than or equal to %d", maxSessionTags))
	}
	for i, k := range in.transitiveKeys {
		if msg := tagKeyProblem(k); msg != "" {
			v.add(quoted(k), fmt.Sprintf("transitiveTagKeys.%d.member", i+1), "Member "+msg)
		} else if _, ok := lookupTag(in.tags, k); !ok {
			v.add(quoted(k), fmt.Sprintf("transitiveTagKeys.%d.member", i+1), "Member must be the key of a tag passed in Tags")
		}
	}

	if form.Has("Policy") {
		in.policy = form.Get("Policy")
		if n := utf8.RuneCountInString(in.policy); n < 1 || n > maxPolicyLen {
			// The policy is not echoed: it can be long and is nobody's business in a log.
			v.add("(policy)", "policy", fmt.Sprintf("Member must have length between 1 and %d", maxPolicyLen))
		}
	}

	if len(v) > 0 {
		return in, &apiError{http.StatusBadRequest, "ValidationError", v.message()}
	}
	if in.policy != "" {
		if !json.Valid([]byte(in.policy)) {
			return in, &apiError{http.StatusBadRequest, "MalformedPolicyDocument", "The policy is not in the valid JSON format."}
		}
		p, err := iameval.Parse([]byte(in.policy))
		if err == nil {
			err = p.CheckIdentity()
		}
		if err != nil {
			return in, &apiError{http.StatusBadRequest, "MalformedPolicyDocument", "Syntax errors in policy: " + err.Error()}
		}
		in.sessionPolicies = []*iameval.Policy{p}
	}
	if dup := duplicateKey(in.tags); dup != "" {
		return in, &apiError{http.StatusBadRequest, "ValidationError", "Duplicate tag keys found. Please note that Tag keys are case insensitive."}
	}
	return in, nil
}

// checkIdentifier applies the constraint shared by RoleSessionName and
// SourceIdentity: 2-64 characters of [\w+=,.@-], \w being ASCII as in Java.
// Length and pattern are separate violations, as in AWS: "李" breaks both.
func checkIdentifier(v *violations, field, s string) {
	if n := awsLen(s); n < 2 || n > 64 {
		v.add(quoted(s), field, "Member must have length between 2 and 64")
	}
	if !sessionNamePattern.MatchString(s) {
		v.add(quoted(s), field, `Member must satisfy regular expression pattern: [\w+=,.@-]*`)
	}
}

func hasAWSPrefix(s string) bool {
	return len(s) >= 4 && strings.EqualFold(s[:4], "aws:")
}

// parseTags reads Tags.member.N.Key / Tags.member.N.Value in index order.
func parseTags(form url.Values, v *violations) []Tag {
	type entry struct {
		tag            Tag
		hasKey, hasVal bool
	}
	byIndex := map[int]*entry{}
	for name := range form {
		rest, ok := strings.CutPrefix(name, "Tags.member.")
		if !ok {
			continue
		}
		idx, field, ok := strings.Cut(rest, ".")
		n, err := strconv.Atoi(idx)
		if !ok || err != nil || n < 1 {
			v.add(quoted(name), "tags", "Member must be addressed as Tags.member.N.Key or Tags.member.N.Value")
			continue
		}
		en := byIndex[n]
		if en == nil {
			en = &entry{}
			byIndex[n] = en
		}
		switch field {
		case "Key":
			en.tag.Key, en.hasKey = form.Get(name), true
		case "Value":
			en.tag.Value, en.hasVal = form.Get(name), true
		default:
			v.add(quoted(name), "tags", "Member must be addressed as Tags.member.N.Key or Tags.member.N.Value")
		}
	}
	indexes := make([]int, 0, len(byIndex))
	for n := range byIndex {
		indexes = append(indexes, n)
	}
	sort.Ints(indexes)
	if len(indexes) > maxSessionTags {
		v.add("'[...]'", "tags", fmt.Sprintf("Member must have length less than or equal to %d", maxSessionTags))
	}
	tags := make([]Tag, 0, len(indexes))
	for i, n := range indexes {
		en := byIndex[n]
		at := fmt.Sprintf("tags.%d.member", i+1)
		switch {
		case !en.hasKey:
			v.add("null", at+".key", "Member must not be null")
		case tagKeyProblem(en.tag.Key) != "":
			v.add(quoted(en.tag.Key), at+".key", "Member "+tagKeyProblem(en.tag.Key))
		case hasAWSPrefix(en.tag.Key):
			v.add(quoted(en.tag.Key), at+".key", "Member must not start with the reserved prefix 'aws:'")
		}
		if !en.hasVal {
			v.add("null", at+".value", "Member must not be null")
		} else if msg := tagValueProblem(en.tag.Value); msg != "" {
			v.add(quoted(en.tag.Value), at+".value", "Member "+msg)
		}
		tags = append(tags, en.tag)
	}
	return tags
}

// memberList reads a Query list (Name.member.1, Name.member.2, ...) in order.
func memberList(form url.Values, name string) []string {
	var out []string
	for i := 1; ; i++ {
		key := fmt.Sprintf("%s.member.%d", name, i)
		if !form.Has(key) {
			return out
		}
		out = append(out, form.Get(key))
	}
}

// duplicateKey returns a tag key that appears twice, ignoring case, as
// AWS treats session tag keys.
func duplicateKey(tags []Tag) string {
	seen := map[string]bool{}
	for _, t := range tags {
		k := strings.ToLower(t.Key)
		if seen[k] {
			return t.Key
		}
		seen[k] = true
	}
	return ""
}
