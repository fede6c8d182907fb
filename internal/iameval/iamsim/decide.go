package iamsim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"strings"

	"github.com/secds/secds/internal/iameval"
)

// Case is one request with the documents that apply to it.
type Case struct {
	Request  iameval.Request
	Policies iameval.Policies
}

// input is one case as simulate.mjs reads it.
type input struct {
	Principal        string              `json:"principal"`
	Action           string              `json:"action"`
	Resource         string              `json:"resource"`
	ResourceAccount  string              `json:"resourceAccount"`
	Context          map[string][]string `json:"context"`
	IdentityPolicies []json.RawMessage   `json:"identityPolicies"`
	SessionPolicy    json.RawMessage     `json:"sessionPolicy,omitempty"`
	ResourcePolicy   json.RawMessage     `json:"resourcePolicy,omitempty"`
}

type output struct {
	Decision string `json:"decision"`
	Error    string `json:"error"`
}

// Decide asks iam-simulate for the decision of every case, in one node
// process. A case iam-simulate refuses, or whose context keys it would
// silently drop for the action, is an error (all such cases are named in
// the one error returned): the comparison would be moot.
func (t Tool) Decide(ctx context.Context, cases []Case) ([]iameval.Decision, error) {
	in := make([]input, len(cases))
	var errs []error
	for i, c := range cases {
		var err error
		if in[i], err = toInput(c); err != nil {
			errs = append(errs, fmt.Errorf("iam-simulate case %d: %w", i, err))
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	body, err := json.Marshal(in)
	if err != nil {
		return nil, fmt.Errorf("encode iam-simulate cases: %w", err)
	}
	cmd := exec.CommandContext(ctx, t.Node, t.Script, t.Dir)
	cmd.Stdin = bytes.NewReader(body)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("run iam-simulate (%s %s): %w: %s", t.Node, t.Script, err, strings.TrimSpace(stderr.String()))
	}
	var out []output
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		return nil, fmt.Errorf("read iam-simulate's answer: %w", err)
	}
	if len(out) != len(cases) {
		return nil, fmt.Errorf("iam-simulate answered %d of %d cases", len(out), len(cases))
	}
	decisions := make([]iameval.Decision, len(out))
	for i, o := range out {
		switch {
		case o.Error != "":
			errs = append(errs, fmt.Errorf("iam-simulate case %d (%s on %s): %s", i, cases[i].Request.Action, cases[i].Request.Resource, o.Error))
		case o.Decision == "Allow":
			decisions[i] = iameval.Allow
		case o.Decision == "ExplicitDeny":
			decisions[i] = iameval.ExplicitDeny
		case o.Decision == "ImplicitDeny":
			decisions[i] = iameval.ImplicitDeny
		default:
			errs = append(errs, fmt.Errorf("iam-simulate case %d: unknown decision %q", i, o.Decision))
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return decisions, nil
}

func toInput(c Case) (input, error) {
	in := input{
		Principal:        c.Request.Principal,
		Action:           c.Request.Action,
		Resource:         c.Request.Resource,
		ResourceAccount:  c.Policies.ResourceAccount,
		Context:          map[string][]string{},
		IdentityPolicies: []json.RawMessage{},
	}
	if in.ResourceAccount == "" {
		// iameval reads an empty ResourceAccount as the caller's account.
		in.ResourceAccount = c.Policies.PrincipalAccount
	}
	for k, v := range c.Request.Context {
		in.Context[k] = v
	}
	for _, p := range c.Policies.Identity {
		in.IdentityPolicies = append(in.IdentityPolicies, p.JSON())
	}
	if c.Policies.Session != nil {
		merged, err := mergePolicies(c.Policies.Session)
		if err != nil {
			return in, fmt.Errorf("session policies: %w", err)
		}
		in.SessionPolicy = merged
	}
	if c.Policies.Resource != nil {
		in.ResourcePolicy = c.Policies.Resource.JSON()
	}
	return in, nil
}

// mergePolicies joins session policies into the one iam-simulate takes:
// their statements in one document allow and deny exactly what the set
// does. An empty set (which allows nothing) has no such document.
func mergePolicies(ps []*iameval.Policy) (json.RawMessage, error) {
	if len(ps) == 0 {
		return nil, fmt.Errorf("an empty set of session policies cannot be given to iam-simulate")
	}
	if len(ps) == 1 {
		return ps[0].JSON(), nil
	}
	var version string
	var statements []json.RawMessage
	for i, p := range ps {
		var doc struct {
			Version   string          `json:"Version"`
			Statement json.RawMessage `json:"Statement"`
		}
		if err := json.Unmarshal(p.JSON(), &doc); err != nil {
			return nil, fmt.Errorf("policy %d: %w", i, err)
		}
		if i > 0 && doc.Version != version {
			return nil, fmt.Errorf("policies of versions %q and %q cannot be merged", version, doc.Version)
		}
		version = doc.Version
		var list []json.RawMessage
		if err := json.Unmarshal(doc.Statement, &list); err != nil {
			list = []json.RawMessage{doc.Statement}
		}
		statements = append(statements, list...)
	}
	return json.Marshal(map[string]any{"Version": version, "Statement": statements})
}
