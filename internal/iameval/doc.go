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
// (AWS ARNs, account IDs, "*", Service, Federated), Condition with the
// String*, Arn*, Bool, Null and IpAddress/NotIpAddress operators, the
// ...IfExists suffix and the ForAllValues:/ForAnyValue: set qualifiers;
// policy variables such as ${aws:PrincipalTag/team}, ${aws:username}, ${*},
// ${?}, ${$} and defaults (${aws:PrincipalTag/x, 'none'}). What it does
// not: Numeric and Date operators, NotPrincipal, permission boundaries,
// SCPs.
//
// Where AWS's rules have corners, it follows them (files by job:
// parse.go, condition.go, variables.go, arn.go, principal.go, evaluate.go):
//   - A resource policy naming only the caller's account (123456789012 or
//     its :root ARN) delegates to the account: the identity policies must
//     allow too, also in the same account.
//   - A role's trust policy must always admit the caller (sts:* actions with
//     a Resource policy): an identity Allow alone never assumes a role.
//   - A negated operator and ...IfExists match an absent key; ForAllValues:
//     matches an absent or empty key; ForAnyValue: does not.
//   - A single-valued operator never matches a multivalued key (aws:TagKeys,
//     sts:TransitiveTagKeys, or any key holding several values).
//   - A policy variable whose key is absent (or multivalued) and has no
//     default makes its value match nothing, for negated operators too (and
//     a NotResource statement not apply); a variable's value is literal
//     text, never a wildcard.
//   - Session policies limit every grant, also a resource policy's (AWS lets
//     a grant to the session's own ARN through; this is stricter).
//
// A parsed Policy is never modified, so Evaluate may run concurrently.
package iameval
