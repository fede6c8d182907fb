package awsemu

import (
	"io"
	"net/http"
)

// maxBodyBytes bounds a request body; real STS and SageMaker requests are a
// few kilobytes.
const maxBodyBytes = 1 << 20

// serveAPI routes an AWS API call: SageMaker (JSON 1.1) names its operation
// in X-Amz-Target, STS (Query) in the form body's Action.
func (e *Emulator) serveAPI(w http.ResponseWriter, r *http.Request) {
	requestID := newRequestID()
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if target := r.Header.Get("X-Amz-Target"); target != "" {
		if err != nil {
			writeJSONError(w, requestID, &apiError{http.StatusBadRequest, "SerializationException", "request body unreadable or too large"})
			return
		}
		e.serveSageMaker(w, r, body, requestID, target)
		return
	}
	if err != nil {
		writeSTSError(w, requestID, &apiError{http.StatusBadRequest, "MalformedInput", "request body unreadable or too large"})
		return
	}
	e.serveSTS(w, r, body, requestID)
}

// logOutcome writes one line per API call. It carries the caller's ARN and
// the outcome only: keys, tokens and presigned URLs are secrets.
func (e *Emulator) logOutcome(service, op string, who *caller, aerr *apiError) {
	principal := ""
	if who != nil {
		principal = who.arn
	}
	if aerr != nil {
		e.log.Info("awsemu request refused", "service", service, "op", op, "caller", principal, "status", aerr.status, "code", aerr.code)
		return
	}
	e.log.Info("awsemu request", "service", service, "op", op, "caller", principal)
}
