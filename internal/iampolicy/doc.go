// Package iampolicy writes, from the team mapping, the IAM policies that make
// AWS a second wall behind the broker's own checks:
//
//   - each team role's trust policy admits only the broker's principal, only
//     with that team's session tags (the team written literally, a user tag,
//     no other keys) and a source identity, as broker/session.go sends them;
//   - each team role's permission policy lets the session list notebooks and
//     read their tags, and describe and presign only the notebooks the team's
//     grant allows: the team and literal selector values written literally,
//     per-user values through the session's principal tags, with one explicit
//     deny per tag so no other policy on the role can widen it;
//   - the broker principal's identity policy allows exactly the team roles
//     and, given its shared-state table (Options.StateTable), exactly
//     DynamoDBActions on that one table;
//   - optionally, calls are pinned to the broker's network and presigned URLs
//     to the users' network (see Options).
//
// What IAM cannot check (team membership, a selector on a claim no session
// tag carries) is named in TeamPolicies.BrokerOnly and Policies.Notes. Pure:
// no I/O.
package iampolicy
