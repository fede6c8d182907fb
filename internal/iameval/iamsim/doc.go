// Package iamsim runs the independent IAM evaluator
// @cloud-copilot/iam-simulate (Node.js) over a batch of iameval requests,
// so tests can require both evaluators to decide alike. It is used by tests
// only: `make iamsim` installs the npm package into .tools/iamsim, and
// Require skips a test when it is missing (or fails it when
// SECDS_REQUIRE_E2E=1, as under make test).
//
// One node process decides a whole batch (tools/iamsim/simulate.mjs reads
// the cases as JSON on stdin), so thousands of cases cost one start-up.
package iamsim
