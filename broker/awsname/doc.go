// Package awsname is how the broker names a person to AWS: the
// RoleSessionName and SourceIdentity CloudTrail shows (PrincipalName) and
// the session tags the team role's policies compare notebooks with
// (SessionTags). It holds no AWS client, so `secds admin iam --check`
// evaluates IAM on exactly what the broker sends without linking the SDK.
package awsname
