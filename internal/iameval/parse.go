package iameval

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"regexp"
	"strings"
)

// statement is one parsed Statement entry. Actions are lowercased (they
// match case-insensitively); resources and condition values are kept as
// written because policy variables are expanded per request.
type statement struct {
	sid         string
	deny        bool
	actions     []string
	notAction   bool
	resources   []string // nil: no Resource element (a trust policy)
	notResource bool
	principal   *principals // nil: no Principal element
	conditions  []condition
}

// The elements this evaluator knows. Anything else is an error: ignoring an
// element AWS would honour could turn a Deny into nothing.
var (
	policyElements    = map[string]bool{"Version": true, "Id": true, "Statement": true}
	statementElements = map[string]bool{
		"Sid": true, "Effect": true, "Action": true, "NotAction": true,
		"Resource": true, "NotResource": true, "Principal": true, "Condition": true,
	}
)

func parse(doc []byte) (*Policy, error) {
	var top map[string]json.RawMessage
	if err := strictUnmarshal(doc, &top); err != nil {
		return nil, fmt.Errorf("parse policy: %w", err)
	}
	for k := range top {
		if !policyElements[k] {
			return nil, fmt.Errorf("parse policy: unknown element %q", k)
		}
	}
	p := &Policy{raw: bytes.Clone(doc)}
	if v, ok := top["Version"]; ok {
		var version string
		if err := json.Unmarshal(v, &version); err != nil {
			return nil, fmt.Errorf("parse policy: Version must be a string")
		}
		switch version {
		case "2012-10-17":
			p.variables = true
		case "2008-10-17":
		default:
			return nil, fmt.Errorf("parse policy: unknown Version %q (want 2012-10-17 or 2008-10-17)", version)
		}
	}
	// Without a Version AWS reads the document as 2008-10-17: no variables.
	raw, ok := top["Statement"]
	if !ok {
		return nil, errors.New("parse policy: no Statement")
	}
	var list []json.RawMessage
	if bytes.HasPrefix(bytes.TrimSpace(raw), []byte("[")) {
		if err := json.Unmarshal(raw, &list); err != nil {
			return nil, fmt.Errorf("parse policy: Statement: %w", err)
		}
	} else {
		list = []json.RawMessage{raw}
	}
	for i, r := range list {
		st, err := parseStatement(r, p.variables)
		if err != nil {
			return nil, fmt.Errorf("parse policy: statement %d: %w", i, err)
		}
		p.statements = append(p.statements, st)
	}
	return p, nil
}

// strictUnmarshal decodes one JSON document, refusing trailing data and
// duplicate keys (encoding/json would keep the last "Effect" of two, and
// which one AWS reads is not something to guess).
func strictUnmarshal(doc []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(doc))
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("trailing data after the document")
	}
	return checkDuplicateKeys(json.NewDecoder(bytes.NewReader(doc)))
}

// checkDuplicateKeys walks one JSON value and refuses an object with the
// same key twice.
func checkDuplicateKeys(dec *json.Decoder) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch tok {
	case json.Delim('{'):
		seen := map[string]bool{}
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				return err
			}
			key := k.(string)
			if seen[key] {
				return fmt.Errorf("key %q appears twice in one object", key)
			}
			seen[key] = true
			if err := checkDuplicateKeys(dec); err != nil {
				return err
			}
		}
		_, err = dec.Token() // the closing }
		return err
	case json.Delim('['):
		for dec.More() {
			if err := checkDuplicateKeys(dec); err != nil {
				return err
			}
		}
		_, err = dec.Token() // the closing ]
		return err
	}
	return nil
}

func parseStatement(raw json.RawMessage, vars bool) (statement, error) {
	var st statement
	var el map[string]json.RawMessage
	if err := json.Unmarshal(raw, &el); err != nil || el == nil {
		return st, errors.New("a statement must be a JSON object")
	}
	for k := range el {
		if k == "NotPrincipal" {
			return st, errors.New("NotPrincipal is not supported")
		}
		if !statementElements[k] {
			return st, fmt.Errorf("unknown element %q", k)
		}
	}
	if v, ok := el["Sid"]; ok {
		if err := json.Unmarshal(v, &st.sid); err != nil {
			return st, errors.New("Sid must be a string")
		}
	}
	var effect string
	if err := json.Unmarshal(el["Effect"], &effect); err != nil {
		return st, errors.New("Effect must be \"Allow\" or \"Deny\"")
	}
	switch effect {
	case "Allow":
	case "Deny":
		st.deny = true
	default:
		return st, fmt.Errorf("unknown Effect %q (want Allow or Deny)", effect)
	}

	actions, notActions := el["Action"], el["NotAction"]
	switch {
	case actions != nil && notActions != nil:
		return st, errors.New("both Action and NotAction")
	case actions == nil && notActions == nil:
		return st, errors.New("no Action or NotAction")
	case notActions != nil:
		st.notAction, actions = true, notActions
	}
	list, err := stringList(actions)
	if err != nil {
		return st, fmt.Errorf("Action: %w", err)
	}
	for _, a := range list {
		if a != "*" && !validAction.MatchString(a) {
			return st, fmt.Errorf("Action %q is not service:action", a)
		}
		st.actions = append(st.actions, strings.ToLower(a))
	}

	resources, notResources := el["Resource"], el["NotResource"]
	if resources != nil && notResources != nil {
		return st, errors.New("both Resource and NotResource")
	}
	if notResources != nil {
		st.notResource, resources = true, notResources
	}
	if resources != nil {
		if st.resources, err = stringList(resources); err != nil {
			return st, fmt.Errorf("Resource: %w", err)
		}
		for _, r := range st.resources {
			if err := checkVariables(r, vars); err != nil {
				return st, fmt.Errorf("Resource %q: %w", r, err)
			}
			if r != "*" && (len(splitPattern(r, vars)) != 6 || !strings.HasPrefix(r, "arn:")) {
				return st, fmt.Errorf("Resource %q is neither \"*\" nor an ARN", r)
			}
		}
	}

	if v, ok := el["Principal"]; ok {
		if st.principal, err = parsePrincipal(v); err != nil {
			return st, fmt.Errorf("Principal: %w", err)
		}
	}
	if v, ok := el["Condition"]; ok {
		if st.conditions, err = parseConditions(v, vars); err != nil {
			return st, fmt.Errorf("Condition: %w", err)
		}
	}
	return st, nil
}

var validAction = regexp.MustCompile(`^[A-Za-z0-9-]+:[A-Za-z0-9*?]*$`)

// stringList reads a string or a non-empty list of strings.
func stringList(raw json.RawMessage) ([]string, error) {
	var one string
	if err := json.Unmarshal(raw, &one); err == nil {
		if one == "" {
			return nil, errors.New("empty string")
		}
		return []string{one}, nil
	}
	var list []string
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, errors.New("want a string or a list of strings")
	}
	if len(list) == 0 {
		return nil, errors.New("empty list")
	}
	for _, s := range list {
		if s == "" {
			return nil, errors.New("empty string")
		}
	}
	return list, nil
}

// scalarList reads condition values: a string, boolean or number, or a
// non-empty list of them, each turned into its string form as AWS does.
func scalarList(raw json.RawMessage) ([]string, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	items, isList := v.([]any)
	if !isList {
		items = []any{v}
	}
	if len(items) == 0 {
		return nil, errors.New("empty list of values")
	}
	out := make([]string, 0, len(items))
	for _, it := range items {
		switch x := it.(type) {
		case string:
			out = append(out, x)
		case bool:
			out = append(out, fmt.Sprint(x))
		case json.Number:
			out = append(out, x.String())
		default:
			return nil, errors.New("a value must be a string, boolean or number")
		}
	}
	return out, nil
}

// parsePrefix reads an IpAddress value: a CIDR or a single address.
func parsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return p, err
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}
