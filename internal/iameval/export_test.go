package iameval

import (
	"strings"
	"testing"
)

// CrossCase is one table case as the cross-check (package iameval_test,
// which may import iamsim) sees it.
type CrossCase struct {
	Name     string
	Request  Request
	Policies Policies
	Want     Decision
}

// CrossCases are the condition and evaluation tables, each with an action
// and resource for which iam-simulate knows every context key the case
// uses (it drops keys an action does not have, which would make the
// comparison moot).
func CrossCases(t testing.TB) []CrossCase {
	var out []CrossCase
	for _, c := range conditionCases {
		action, resource := actionFor(c.cond + strings.Join(keys(c.ctx), " "))
		want := ImplicitDeny
		if c.want {
			want = Allow
		}
		out = append(out, CrossCase{
			Name:     "condition/" + c.name,
			Request:  Request{Principal: user, Action: action, Resource: resource, Context: c.ctx},
			Policies: Policies{Identity: []*Policy{mustParse(t, allowWhen(c.cond))}, PrincipalAccount: acct, ResourceAccount: acct},
			Want:     want,
		})
	}
	for _, c := range evalCases {
		out = append(out, CrossCase{Name: "evaluate/" + c.name, Request: c.req, Policies: c.policies(t), Want: c.want})
	}
	return out
}

// actionFor picks a real action whose condition keys include those named.
func actionFor(text string) (action, resource string) {
	l := strings.ToLower(text)
	switch {
	case strings.Contains(l, "sagemaker:"):
		return presign, notebook
	case strings.Contains(l, "sts:") || strings.Contains(l, "aws:requesttag") || strings.Contains(l, "aws:tagkeys"):
		return "sts:AssumeRole", teamRole
	}
	return "s3:GetObject", "arn:aws:s3:::b/k"
}

func keys(m map[string][]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
