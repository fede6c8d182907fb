package broker

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/secds/secds/internal/api"
)

// The broker's own spans, for the phases of an open that are no AWS call
// (each AWS call is a span of its own, made by the AWS clients' middleware:
// internal/tracing). They are made only inside a traced request: the
// tracer is the one of the span in the context, so with tracing off, or
// for a request not sampled, a phase costs a context lookup.
const (
	// phaseWaitForSlot is an open waiting for one of the
	// aws.max_concurrent slots: the broker was busy.
	phaseWaitForSlot = "secds.wait_for_aws_slot"
)

const tracerScope = "github.com/secds/secds/broker"

// attrErrorCode is a failed phase's API error code, as on the request's
// span.
const attrErrorCode = attribute.Key("secds.error.code")

// startPhase starts a phase's span under the request's; end closes it,
// marking it with the error's API code when the phase failed.
func startPhase(ctx context.Context, name string) (end func(error)) {
	parent := trace.SpanFromContext(ctx)
	if !parent.IsRecording() {
		return func(error) {}
	}
	_, span := parent.TracerProvider().Tracer(tracerScope).Start(ctx, name)
	return func(err error) {
		if err != nil {
			code := string(api.As(err).Code)
			span.SetAttributes(attrErrorCode.String(code))
			span.SetStatus(codes.Error, code)
		}
		span.End()
	}
}
