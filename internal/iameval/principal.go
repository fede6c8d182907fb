package iameval

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// principals is a parsed Principal element.
type principals struct {
	any                 bool // "*" or {"AWS": "*"}
	accounts            []string
	arns                []string // users, roles, assumed-role sessions
	services, federated []string
}

var (
	accountID    = regexp.MustCompile(`^[0-9]{12}$`)
	rootARN      = regexp.MustCompile(`^arn:aws[a-z-]*:iam::[0-9]{12}:root$`)
	principalARN = regexp.MustCompile(`^arn:aws[a-z-]*:(iam::[0-9]{12}:(root|user/.+|role/.+)|sts::[0-9]{12}:assumed-role/.+/.+)$`)
)

func parsePrincipal(raw json.RawMessage) (*principals, error) {
	var star string
	if err := json.Unmarshal(raw, &star); err == nil {
		if star != "*" {
			return nil, fmt.Errorf("%q: a string Principal must be \"*\"", star)
		}
		return &principals{any: true}, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || len(m) == 0 {
		return nil, errors.New(`want "*" or an object of AWS, Service or Federated`)
	}
	p := &principals{}
	for kind, v := range m {
		list, err := stringList(v)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", kind, err)
		}
		switch kind {
		case "AWS":
			for _, s := range list {
				switch {
				case s == "*":
					p.any = true
				case accountID.MatchString(s):
					p.accounts = append(p.accounts, s)
				case principalARN.MatchString(s) && !strings.ContainsAny(s, "*?"):
					// AWS allows no wildcard inside a principal ARN.
					if rootARN.MatchString(s) {
						// The account's root ARN names the whole account.
						p.accounts = append(p.accounts, arnAccount(s))
					} else {
						p.arns = append(p.arns, s)
					}
				default:
					return nil, fmt.Errorf("AWS principal %q is not \"*\", an account ID or a user, role or assumed-role ARN", s)
				}
			}
		case "Service":
			for _, s := range list {
				if strings.ContainsAny(s, "*?") {
					return nil, fmt.Errorf("Service principal %q has a wildcard", s)
				}
			}
			p.services = append(p.services, list...)
		case "Federated":
			for _, s := range list {
				if strings.ContainsAny(s, "*?") {
					return nil, fmt.Errorf("Federated principal %q has a wildcard", s)
				}
			}
			p.federated = append(p.federated, list...)
		default:
			return nil, fmt.Errorf("unknown principal type %q (want AWS, Service or Federated)", kind)
		}
	}
	return p, nil
}

// principalMatch says how a Principal element names the caller: directly
// (the caller, its role, a service, or everyone), or only through its
// account, which delegates the decision to the account's identity policies.
type principalMatch int

const (
	noMatch principalMatch = iota
	accountMatch
	directMatch
)

func (p *principals) match(req Request, account string) principalMatch {
	if p == nil {
		// A resource policy statement without Principal names nobody.
		return noMatch
	}
	if p.any {
		return directMatch
	}
	for _, a := range p.arns {
		if a == req.Principal || (req.Role != "" && a == req.Role) {
			return directMatch
		}
	}
	for _, s := range p.services {
		if s == req.Principal {
			return directMatch
		}
	}
	for _, f := range p.federated {
		if f == req.Principal {
			return directMatch
		}
	}
	for _, a := range p.accounts {
		if account != "" && a == account {
			return accountMatch
		}
	}
	return noMatch
}
