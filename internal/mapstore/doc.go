// Package mapstore keeps the team mapping: every version of its YAML text,
// who wrote it and when, and the live, validated mapping the broker serves.
//
// A Store is content-agnostic and versioned (a number that only grows plus
// a sha256 digest); writes carry the version they were based on, so two
// admins editing at once cannot lose each other's change. The file backend
// is the default; package conformance holds the tests every backend passes.
// Live turns a store into the mapping the broker reads: it parses each new
// version and swaps it in only when it is valid.
package mapstore
