package awsmetrics

import (
	"context"
	"errors"
	"time"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// Metrics are the AWS call metrics of one registry.
type Metrics struct {
	duration *prometheus.HistogramVec
	errors   *prometheus.CounterVec
}

// New registers the AWS call metrics with reg.
func New(reg prometheus.Registerer) *Metrics {
	f := promauto.With(reg)
	return &Metrics{
		duration: f.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "secds_aws_request_duration_seconds",
			Help:    "AWS calls by service, operation and result (ok or error): the whole call, retries included.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 25},
		}, []string{"service", "operation", "result"}),
		errors: f.NewCounterVec(prometheus.CounterOpts{
			Name: "secds_aws_errors_total",
			Help: "Failed AWS calls by service, operation and kind: throttled, denied, credentials (the broker's own refused), validation, conflict (a conditional write refused), timeout, canceled, unreachable (no answer from AWS), other.",
		}, []string{"service", "operation", "kind"}),
	}
}

// APIOption is the option to append to a client's (or the aws.Config's)
// APIOptions: it adds the measuring middleware to every call's stack.
func (m *Metrics) APIOption() func(*middleware.Stack) error {
	return func(s *middleware.Stack) error {
		return s.Initialize.Add(middleware.InitializeMiddlewareFunc("secds.AWSMetrics", m.handle), middleware.Before)
	}
}

func (m *Metrics) handle(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
	start := time.Now()
	out, md, err := next.HandleInitialize(ctx, in)
	svc, op := awsmiddleware.GetServiceID(ctx), awsmiddleware.GetOperationName(ctx)
	result := "ok"
	if err != nil {
		result = "error"
		m.errors.WithLabelValues(svc, op, Kind(err)).Inc()
	}
	m.duration.WithLabelValues(svc, op, result).Observe(time.Since(start).Seconds())
	return out, md, err
}

var (
	throttleCodes = map[string]bool{
		"Throttling": true, "ThrottlingException": true, "ThrottledException": true,
		"TooManyRequestsException": true, "RequestLimitExceeded": true, "SlowDown": true,
		"ProvisionedThroughputExceededException": true,
	}
	credentialCodes = map[string]bool{
		"InvalidClientTokenId": true, "UnrecognizedClientException": true, "SignatureDoesNotMatch": true,
		"InvalidSignatureException": true, "ExpiredToken": true, "ExpiredTokenException": true,
	}
	deniedCodes = map[string]bool{"AccessDenied": true, "AccessDeniedException": true}
	// conflictCodes are the shared store's refused conditional writes: a
	// stale edit or a spent code, answers the broker expects.
	conflictCodes = map[string]bool{"ConditionalCheckFailedException": true, "TransactionCanceledException": true}
)

// Kind names an AWS call's failure by one of a fixed set of words, the
// values of secds_aws_errors_total's kind label.
func Kind(err error) string {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "canceled"
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return "unreachable"
	}
	switch code := ae.ErrorCode(); {
	case throttleCodes[code]:
		return "throttled"
	case credentialCodes[code]:
		return "credentials"
	case deniedCodes[code]:
		return "denied"
	case code == "ValidationException":
		return "validation"
	case conflictCodes[code]:
		return "conflict"
	}
	return "other"
}
