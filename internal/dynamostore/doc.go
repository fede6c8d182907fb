// Package dynamostore keeps the broker's shared state in one DynamoDB
// table, so every replica serves the same team mapping and honours the same
// spent CLI login codes and token revocations:
//
//   - Mapping is a mapstore.Store: each version is an item, and a head item
//     names the current one. A write is one transaction that adds version
//     N+1 and moves the head only if it still names N, so a stale write
//     changes nothing and returns a *mapstore.ConflictError. Every version
//     carries a MAC made with the broker's session keys: an item written
//     behind the broker's back is listed but never served. Replicas notice
//     a new head by a consistent read of the head item every poll interval.
//   - Codes spends a CLI login code with a conditional put, so a code
//     redeemed on one replica is refused on all.
//   - Revocations keeps token revocation cutoffs, re-read by every replica
//     each poll interval.
//
// The table has a string partition key "pk" and a string sort key "sk",
// and Time to Live on the attribute "expires_at" (docs/dynamodb.md shows how
// to create it); iampolicy.DynamoDBActions lists every DynamoDB action the
// package calls, for the broker's IAM policy.
package dynamostore
