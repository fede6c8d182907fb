// Package iamcheck proves the second wall: for a team mapping it builds a
// matrix of identities × notebooks, asks the broker's decision (the mapping's
// grants, as broker.Open applies them) and IAM's decision (internal/iameval
// over the policies internal/iampolicy generates, for every team session the
// broker could ask AWS for on that person's behalf) for each pair, and
// reports every pair where IAM would allow what the broker refuses.
//
// Some refusals are the broker's alone by design, and the report names them
// rather than hiding them: team membership (IAM never sees groups or claims:
// the trust policy admits the broker, which picks the team), a username the
// broker refuses to name to AWS, and any part of a grant the generated
// policies cannot express (a notebook tag whose value comes from a claim no
// session tag carries, templated notebook names). Any other pair where IAM
// is looser is a hole in the second wall, and any pair where IAM is stricter
// is an open that would fail; both fail the check.
//
// `secds admin iam --check` runs it offline on any mapping, and its tests run
// it on the example and dev mappings and cross-check every IAM decision
// against an independent evaluator.
package iamcheck
