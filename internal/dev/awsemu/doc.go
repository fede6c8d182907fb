// Package awsemu is a loopback stand-in for the two AWS services secds calls:
// STS (AssumeRole, GetCallerIdentity) and SageMaker notebook instances.
//
// The dev stack and the end-to-end tests point the real aws-sdk-go-v2 clients
// at it through BaseEndpoint, so it speaks the real wire protocols (STS Query
// with XML responses, SageMaker JSON 1.1) and returns errors in the shapes the
// SDK parses into smithy.APIError. It is deliberately as strict as AWS where
// secds relies on AWS to defend it: every request must carry a valid SigV4
// signature, session credentials expire, AssumeRole enforces the documented
// parameter ranges and the role trust list, and presigning a notebook with a
// role session applies the same ABAC rule as the team role's IAM policy
// (notebook tag team == session tag team). Presigned URLs open a stand-in
// notebook page, are single-use and expire after five minutes, as AWS's do.
//
// It keeps everything in memory and must only ever listen on loopback.
package awsemu
