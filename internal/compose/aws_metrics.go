package compose

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/secds/secds/internal/awsmetrics"
)

// withAWSMetrics returns a copy of cfg whose clients (STS, SageMaker, the
// shared store's DynamoDB) record each call's latency and errors in reg.
// The caller's config is not changed: the dev stack and tests hand the same
// one to several brokers.
func withAWSMetrics(cfg *aws.Config, reg prometheus.Registerer) *aws.Config {
	c := cfg.Copy()
	c.APIOptions = append(c.APIOptions, awsmetrics.New(reg).APIOption())
	return &c
}
