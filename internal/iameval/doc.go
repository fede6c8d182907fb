// Package iameval decides IAM requests the way AWS documents it, over the
// real JSON policy documents: explicit Deny wins, then an Allow must match
// (in the identity policies, intersected with any session policies, and/or
// the resource's policy, by AWS's same-account and cross-account rules).
//
// It is the second wall's judge in the AWS emulator (internal/dev/awsemu)
// and in `secds admin iam --check`, so it is kept small, fails closed (an
// element or operator it does not know is a parse error, never ignored) and
// is cross-checked against an independent evaluator
// (@cloud-copilot/iam-simulate) in its tests.
//
// What it knows: Effect, Action/NotAction, Resource/NotResource, Principal
// (AWS ARNs, account IDs, "*"), Condition with the String*, Arn*, Bool,
// Null and IpAddress/NotIpAddress operators, the ...IfExists suffix and the
// ForAllValues:/ForAnyValue: set qualifiers; policy variables such as
// ${aws:PrincipalTag/team}, ${aws:username}, ${*}, ${?}, ${$} and defaults
// (${aws:PrincipalTag/x, 'none'}). What it does not: Numeric and Date
// operators, NotPrincipal, permission boundaries, SCPs.
package iameval
