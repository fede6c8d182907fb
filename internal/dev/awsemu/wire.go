package awsemu

import (
	"encoding/json"
	"encoding/xml"
	"net/http"
)

// apiError is an error in the service's own vocabulary: the HTTP status and
// code AWS would send, so the SDK surfaces it as a smithy.APIError whose
// ErrorCode() matches production.
type apiError struct {
	status  int
	code    string
	message string
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

// failure is a protocol-neutral reason for refusing a request; STS (Query)
// and SageMaker (JSON 1.1) spell the same failure differently.
type failure int

const (
	failMissingAuth failure = iota
	failIncompleteSignature
	failUnknownKey
	failBadSignature
	failExpiredToken
)

type wireCode struct {
	status int
	code   string
}

// The codes are the ones AWS returns: Query services answer auth failures
// with 403 and short codes, JSON services with 400 and *Exception names.
var (
	stsFailures = map[failure]wireCode{
		failMissingAuth:         {http.StatusForbidden, "MissingAuthenticationToken"},
		failIncompleteSignature: {http.StatusBadRequest, "IncompleteSignature"},
		failUnknownKey:          {http.StatusForbidden, "InvalidClientTokenId"},
		failBadSignature:        {http.StatusForbidden, "SignatureDoesNotMatch"},
		failExpiredToken:        {http.StatusForbidden, "ExpiredToken"},
	}
	jsonFailures = map[failure]wireCode{
		failMissingAuth:         {http.StatusBadRequest, "MissingAuthenticationTokenException"},
		failIncompleteSignature: {http.StatusBadRequest, "IncompleteSignatureException"},
		failUnknownKey:          {http.StatusBadRequest, "UnrecognizedClientException"},
		failBadSignature:        {http.StatusBadRequest, "InvalidSignatureException"},
		failExpiredToken:        {http.StatusBadRequest, "ExpiredTokenException"},
	}
)

// authError is an authentication failure before it is given a protocol.
type authError struct {
	reason  failure
	message string
}

func (a *authError) forProtocol(codes map[failure]wireCode) *apiError {
	c := codes[a.reason]
	return &apiError{status: c.status, code: c.code, message: a.message}
}

const (
	stsNamespace    = "https://sts.amazonaws.com/doc/2011-06-15/"
	jsonContentType = "application/x-amz-json-1.1"
)

type stsErrorResponse struct {
	XMLName xml.Name `xml:"https://sts.amazonaws.com/doc/2011-06-15/ ErrorResponse"`
	Error   struct {
		Type    string `xml:"Type"`
		Code    string `xml:"Code"`
		Message string `xml:"Message"`
	} `xml:"Error"`
	RequestID string `xml:"RequestId"`
}

type responseMetadata struct {
	RequestID string `xml:"RequestId"`
}

func writeSTSError(w http.ResponseWriter, requestID string, e *apiError) {
	var body stsErrorResponse
	body.Error.Type = "Sender"
	if e.status >= 500 {
		body.Error.Type = "Receiver"
	}
	body.Error.Code = e.code
	body.Error.Message = e.message
	body.RequestID = requestID
	writeXML(w, requestID, e.status, body)
}

func writeXML(w http.ResponseWriter, requestID string, status int, v any) {
	out, err := xml.Marshal(v)
	if err != nil {
		// Only our own fixed structs are marshalled; failing here is a bug.
		http.Error(w, "marshal response", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("X-Amzn-RequestId", requestID)
	w.WriteHeader(status)
	_, _ = w.Write([]byte(xml.Header))
	_, _ = w.Write(out)
}

func writeJSONError(w http.ResponseWriter, requestID string, e *apiError) {
	w.Header().Set("X-Amzn-ErrorType", e.code)
	writeJSON(w, requestID, e.status, struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}{e.code, e.message})
}

func writeJSON(w http.ResponseWriter, requestID string, status int, v any) {
	out, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "marshal response", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", jsonContentType)
	w.Header().Set("X-Amzn-RequestId", requestID)
	w.WriteHeader(status)
	_, _ = w.Write(out)
}
