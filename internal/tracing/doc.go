// Package tracing is the broker's optional OpenTelemetry tracing: the SDK's
// tracer provider exporting over OTLP/HTTP (New), and the aws-sdk-go-v2
// middleware that makes a client span of every AWS call (AWSAPIOption).
// The HTTP server's spans are the server package's (server/tracing.go).
//
// Nothing here is global: the provider is handed to the server and reached
// by the broker and the AWS middleware through the request's context (the
// span in it knows its provider), so a call with no span in its context,
// such as background work, makes none, and with tracing off there is no
// provider at all. The one global the SDK insists on, its error handler
// and diagnostic logger, is pointed at the broker's log (diag.go).
//
// What a span may hold is the point of this package's tests: route
// templates, AWS service and operation names, request IDs, status codes and
// error codes; never a token, cookie, code, presigned URL, AWS key, header
// value, user or notebook.
package tracing
