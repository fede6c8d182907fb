// Package abac holds the team mapping: its schema, its validation and its
// evaluation from an identity's claims to the grants (team, role, session
// tags, notebook selector) that identity may use. It is pure: no I/O, no AWS
// types, nothing of ours imported. Deny is the default: an identity that
// matches no team gets no grant.
package abac
