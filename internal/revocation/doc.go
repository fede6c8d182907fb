// Package revocation keeps the CLI token revocations admins make, where
// every broker replica sees them: a cutoff time per key (a subject or a
// username) before which tokens are refused. The file store serves replicas
// that share the mapping's state directory; a shared database (DynamoDB) can
// take its place behind the same two methods.
package revocation
