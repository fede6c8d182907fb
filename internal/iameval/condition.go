package iameval

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"sort"
	"strings"
)

// base is a condition operator without its negation, set qualifier and
// IfExists suffix.
type base int

const (
	opStringEquals base = iota
	opStringEqualsIgnoreCase
	opStringLike
	opArnLike // ArnEquals and ArnLike behave the same in AWS
	opBool
	opIPAddress
	opNull
)

var operators = map[string]struct {
	base    base
	negated bool
}{
	"StringEquals":              {opStringEquals, false},
	"StringNotEquals":           {opStringEquals, true},
	"StringEqualsIgnoreCase":    {opStringEqualsIgnoreCase, false},
	"StringNotEqualsIgnoreCase": {opStringEqualsIgnoreCase, true},
	"StringLike":                {opStringLike, false},
	"StringNotLike":             {opStringLike, true},
	"ArnEquals":                 {opArnLike, false},
	"ArnNotEquals":              {opArnLike, true},
	"ArnLike":                   {opArnLike, false},
	"ArnNotLike":                {opArnLike, true},
	"Bool":                      {opBool, false},
	"IpAddress":                 {opIPAddress, false},
	"NotIpAddress":              {opIPAddress, true},
	"Null":                      {opNull, false},
}

type qualifier int

const (
	single qualifier = iota
	forAllValues
	forAnyValue
)

// condition is one key under one operator: its values are ORed (for a
// negated operator: none may match).
type condition struct {
	operator string // as written, for messages
	base     base
	negated  bool
	ifExists bool
	set      qualifier
	key      string
	values   []string
	prefixes []netip.Prefix // IpAddress, NotIpAddress
}

func parseConditions(raw json.RawMessage, vars bool) ([]condition, error) {
	var blocks map[string]map[string]json.RawMessage
	if err := json.Unmarshal(raw, &blocks); err != nil {
		return nil, errors.New("want an object of operator → {key: values}")
	}
	var out []condition
	for _, opName := range sortedKeys(blocks) {
		proto, err := parseOperator(opName)
		if err != nil {
			return nil, err
		}
		keys := blocks[opName]
		if len(keys) == 0 {
			return nil, fmt.Errorf("%s: no condition key", opName)
		}
		seen := map[string]bool{}
		for _, key := range sortedKeys(keys) {
			if seen[strings.ToLower(key)] {
				// Keys are case-insensitive: two spellings of one key
				// would be one AWS reads in an order we cannot know.
				return nil, fmt.Errorf("%s: key %q appears twice", opName, key)
			}
			seen[strings.ToLower(key)] = true
			if !strings.Contains(key, ":") {
				return nil, fmt.Errorf("%s: condition key %q has no service prefix", opName, key)
			}
			values, err := scalarList(keys[key])
			if err != nil {
				return nil, fmt.Errorf("%s: %s: %w", opName, key, err)
			}
			c := proto
			c.key, c.values = key, values
			if err := c.check(vars); err != nil {
				return nil, fmt.Errorf("%s: %s: %w", opName, key, err)
			}
			out = append(out, c)
		}
	}
	return out, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// parseOperator reads [ForAllValues:|ForAnyValue:]Operator[IfExists].
func parseOperator(name string) (condition, error) {
	c := condition{operator: name}
	rest := name
	if r, ok := strings.CutPrefix(rest, "ForAllValues:"); ok {
		c.set, rest = forAllValues, r
	} else if r, ok := strings.CutPrefix(rest, "ForAnyValue:"); ok {
		c.set, rest = forAnyValue, r
	}
	if r, ok := strings.CutSuffix(rest, "IfExists"); ok {
		c.ifExists, rest = true, r
	}
	op, ok := operators[rest]
	if !ok {
		if strings.HasPrefix(rest, "Numeric") || strings.HasPrefix(rest, "Date") || rest == "BinaryEquals" {
			return c, fmt.Errorf("operator %q is not supported by this evaluator", name)
		}
		return c, fmt.Errorf("unknown operator %q", name)
	}
	c.base, c.negated = op.base, op.negated
	if c.base == opNull && (c.ifExists || c.set != single) {
		return c, fmt.Errorf("operator %q: Null takes no IfExists or set qualifier", name)
	}
	return c, nil
}

// check validates the values for the operator.
func (c *condition) check(vars bool) error {
	for _, v := range c.values {
		switch c.base {
		case opNull:
			if !strings.EqualFold(v, "true") && !strings.EqualFold(v, "false") {
				return fmt.Errorf("Null takes \"true\" or \"false\", not %q", v)
			}
		case opBool:
			if !strings.EqualFold(v, "true") && !strings.EqualFold(v, "false") {
				return fmt.Errorf("Bool takes \"true\" or \"false\", not %q", v)
			}
		case opIPAddress:
			p, err := parsePrefix(v)
			if err != nil {
				return fmt.Errorf("%q is not an IP address or CIDR", v)
			}
			c.prefixes = append(c.prefixes, p)
		default:
			if err := checkVariables(v, vars); err != nil {
				return fmt.Errorf("%q: %w", v, err)
			}
		}
	}
	return nil
}

// eval decides the condition on the request's keys, by AWS's rules for
// absent keys, IfExists, set qualifiers and negated operators.
func (c *condition) eval(ctx reqContext, vars bool) bool {
	vals, present := ctx.values(c.key)
	if c.base == opNull {
		goal := "true"
		if present {
			goal = "false"
		}
		for _, v := range c.values {
			if strings.EqualFold(v, goal) {
				return true
			}
		}
		return false
	}
	switch c.set {
	case forAllValues:
		// Vacuously true on an absent or empty key: the reason a
		// ForAllValues Allow usually needs a Null check beside it.
		for _, v := range vals {
			if !c.matchValue(v, ctx, vars) {
				return false
			}
		}
		return true
	case forAnyValue:
		if !present {
			return c.ifExists
		}
		for _, v := range vals {
			if c.matchValue(v, ctx, vars) {
				return true
			}
		}
		return false
	}
	if !present {
		// AWS: a negated operator matches an absent key, as does IfExists.
		return c.ifExists || c.negated
	}
	if len(vals) != 1 || multivalued[strings.ToLower(c.key)] {
		// A multivalued key needs ForAllValues: or ForAnyValue:.
		return false
	}
	return c.matchValue(vals[0], ctx, vars)
}

// matchValue tests one context value against the policy values: some must
// match, or for a negated operator none. A value whose policy variable has
// no value counts as not satisfying the test either way, as in AWS.
func (c *condition) matchValue(v string, ctx reqContext, vars bool) bool {
	if c.base == opIPAddress {
		addr, err := netip.ParseAddr(v)
		if err != nil {
			return false
		}
		addr = addr.Unmap()
		for _, p := range c.prefixes {
			if p.Contains(addr) {
				return !c.negated
			}
		}
		return c.negated
	}
	for _, pv := range c.values {
		m, ok := c.matchOne(v, pv, ctx, vars)
		if !ok {
			if c.negated {
				return false
			}
			continue
		}
		if m {
			return !c.negated
		}
	}
	return c.negated
}

// matchOne is the positive form of the operator on one policy value; ok is
// false when the value's policy variable has no value.
func (c *condition) matchOne(v, pv string, ctx reqContext, vars bool) (match, ok bool) {
	switch c.base {
	case opArnLike:
		return matchARN(pv, v, vars, ctx)
	case opStringLike:
		toks, ok := expand(pv, vars, true, ctx)
		return ok && glob(toks, v, false), ok
	}
	toks, ok := expand(pv, vars, false, ctx)
	if !ok {
		return false, false
	}
	want := make([]rune, len(toks))
	for i, t := range toks {
		want[i] = t.r
	}
	switch c.base {
	case opStringEqualsIgnoreCase, opBool:
		return strings.EqualFold(string(want), v), true
	}
	return string(want) == v, true
}
