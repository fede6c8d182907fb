// Package iampolicy writes the IAM policies each team role needs, from the
// team mapping: the trust policy that lets only the broker assume the role,
// only with that team's tag and a source identity, and the permission policy
// that lets the session presign only notebooks carrying its own team tag.
// The documents are the second line of defence behind the broker's own
// checks, so they are generated rather than hand-written. Pure: no I/O.
package iampolicy
