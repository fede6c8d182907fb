// Package awsmetrics measures the broker's AWS calls: an aws-sdk-go-v2
// middleware that records each call's latency (retries included) and its
// errors, by service and operation, in Prometheus metrics. Labels are the
// SDK's service and operation names and a fixed set of error kinds, never a
// resource name or an error message.
//
// compose appends (*Metrics).APIOption to the aws.Config every client is
// made from, so STS, SageMaker and the shared store's DynamoDB are all
// measured, and nothing else changes how the clients are built.
package awsmetrics
