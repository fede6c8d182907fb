// Package awsemu is a loopback stand-in for the two AWS services secds calls:
// STS (AssumeRole, GetCallerIdentity) and SageMaker notebook instances and
// Studio domains.
//
// The dev stack and the end-to-end tests point the real aws-sdk-go-v2 clients
// at it through BaseEndpoint, so it speaks the real wire protocols (STS Query
// with XML responses, SageMaker JSON 1.1) and returns errors in the shapes the
// SDK parses into smithy.APIError. It is deliberately as strict as AWS where
// secds relies on AWS to defend it: every request must carry a valid SigV4
// signature, session credentials expire, and AssumeRole enforces the
// documented parameter ranges.
//
// Every call is authorized by evaluating IAM policy documents with
// internal/iameval before it acts (iam.go), from a request context built as
// AWS builds it:
//   - AssumeRole needs sts:AssumeRole, plus sts:TagSession when tags are
//     passed and sts:SetSourceIdentity when a source identity is set; each
//     must be allowed by the caller's identity policies and by the role's
//     trust policy (required of every role), with aws:RequestTag/*,
//     aws:TagKeys, sts:TransitiveTagKeys, sts:SourceIdentity and
//     sts:RoleSessionName. AWS's rule decides first (across accounts both
//     policies must allow; a trust policy naming the caller's account hands
//     the decision to the caller's identity policies); then, stricter than
//     AWS in one account, the caller's identity policy must allow too, even
//     when the trust policy names the caller. An unknown role is refused
//     exactly as one whose trust policy admits no one.
//   - The SageMaker calls are allowed by the caller's identity policies: a
//     long-lived key's principal's, or a session's role's permission
//     policies intersected with the session policy passed to AssumeRole,
//     with aws:PrincipalTag/* (session tags), aws:ResourceTag/* and
//     sagemaker:ResourceTag/* (the notebook's tags). A missing notebook is
//     authorized against its would-be ARN with no tags, so a denied caller
//     cannot learn that it exists.
//   - Every request carries where it comes from: aws:SourceIp, the TCP
//     peer's address, or through EndpointHandler (a VPC interface
//     endpoint) aws:SourceVpce and no aws:SourceIp.
//
// The emulator is one account (Seed.AccountID): roles of other accounts can
// be assumed, but every notebook lives in the emulator's account, so a
// session of another account's role is refused by SageMaker, as AWS refuses
// a notebook of another account (SageMaker has no resource policies).
//
// A refusal is AWS's: AccessDenied (403) from STS, AccessDeniedException
// (400) from SageMaker, naming the principal, action and resource and why.
// A role's policies are looked up at each request, so a change (PutRole,
// SetRolePolicies, SetPrincipalPolicies) reaches sessions already issued.
//
// Presigned URLs open a stand-in notebook page, are single-use and expire
// after five minutes, as AWS's do. Each carries the presigner's
// authorization: the page evaluates sagemaker:CreatePresignedNotebookInstanceUrl
// on the notebook again, with the presigner's current policies and the
// request's own origin, for every request made with the URL or its page
// session cookie, as AWS does for each HTTP request and WebSocket frame.
//
// SageMaker Studio (studio.go): domains with their AuthMode, user profiles
// and spaces (private to a profile, or shared) with tags; DescribeDomain,
// ListUserProfiles, ListSpaces, ListTags on them, CreateUserProfile (its
// tags authorized as aws:RequestTag/* and aws:TagKeys, and as
// sagemaker:AddTags too) and CreatePresignedDomainUrl with AWS's ranges
// (ExpiresInSeconds 5-300, SessionExpirationDurationInSeconds
// 1800-43200), for IAM-mode domains only, authorized on the user profile
// as AWS does; a private space opens only for its owner's profile. Its URL
// opens a stand-in Studio page once, before it expires, and leaves a
// session cookie, each request re-authorized as with a notebook URL.
//
// It keeps everything in memory and must only ever listen on loopback.
package awsemu
