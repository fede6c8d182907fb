package awsemu

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// sageMakerOp handles one SageMaker operation. It gets the authenticated
// caller and the raw JSON body and returns the response value or an error.
type sageMakerOp func(e *Emulator, who *caller, body []byte, r *http.Request) (any, *apiError)

var sageMakerOps = map[string]sageMakerOp{
	"ListNotebookInstances":              (*Emulator).listNotebookInstances,
	"DescribeNotebookInstance":           (*Emulator).describeNotebookInstance,
	"ListTags":                           (*Emulator).listTags,
	"CreatePresignedNotebookInstanceUrl": (*Emulator).createPresignedNotebookInstanceURL,
}

// serveSageMaker handles a JSON 1.1 call named by X-Amz-Target: SageMaker.<Op>.
func (e *Emulator) serveSageMaker(w http.ResponseWriter, r *http.Request, body []byte, requestID, target string) {
	service, op, _ := strings.Cut(target, ".")
	e.countCall(op)

	var who *caller
	fail := func(aerr *apiError) {
		e.logOutcome("sagemaker", op, who, aerr)
		writeJSONError(w, requestID, aerr)
	}
	if aerr := e.fault(r.Context(), op); aerr != nil {
		fail(aerr)
		return
	}
	handler, known := sageMakerOps[op]
	if service != "SageMaker" || !known {
		fail(&apiError{http.StatusBadRequest, "UnknownOperationException", fmt.Sprintf("Operation %q is not supported by this emulator", target)})
		return
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != jsonContentType {
		fail(&apiError{http.StatusBadRequest, "SerializationException", "Content-Type must be " + jsonContentType})
		return
	}
	who, authErr := e.authenticate(r, body, "sagemaker")
	if authErr != nil {
		fail(authErr.forProtocol(jsonFailures))
		return
	}
	e.settle()
	out, aerr := handler(e, who, body, r)
	if aerr != nil {
		fail(aerr)
		return
	}
	e.logOutcome("sagemaker", op, who, nil)
	writeJSON(w, requestID, http.StatusOK, out)
}

// decodeInput reads a JSON request body. Unknown members are ignored, as
// AWS does for fields a newer SDK may send.
func decodeInput(body []byte, v any) *apiError {
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	if err := json.Unmarshal(body, v); err != nil {
		return &apiError{http.StatusBadRequest, "SerializationException", "the request body is not valid JSON for this operation"}
	}
	return nil
}

func validationException(msg string) *apiError {
	return &apiError{http.StatusBadRequest, "ValidationException", msg}
}

// recordNotFound is SageMaker's answer for a notebook that does not exist.
var recordNotFound = validationException("RecordNotFound")

// epochSeconds is a timestamp in JSON 1.1's default wire form: seconds since
// the epoch as a JSON number.
type epochSeconds time.Time

func (t epochSeconds) MarshalJSON() ([]byte, error) {
	secs := float64(time.Time(t).UnixNano()) / 1e9
	return []byte(strconv.FormatFloat(secs, 'f', -1, 64)), nil
}

// checkNotebookName applies the NotebookInstanceName constraints.
func checkNotebookName(v *violations, name *string) {
	switch {
	case name == nil:
		v.add("null", "notebookInstanceName", "Member must not be null")
	case len(*name) > maxNotebookName:
		v.add(quoted(*name), "notebookInstanceName", fmt.Sprintf("Member must have length less than or equal to %d", maxNotebookName))
	case !notebookNamePattern.MatchString(*name):
		v.add(quoted(*name), "notebookInstanceName", "Member must satisfy regular expression pattern: ^[a-zA-Z0-9](-*[a-zA-Z0-9])*")
	}
}

// notebookURL is the host name AWS gives a notebook instance.
func (e *Emulator) notebookURL(nb *notebook) string {
	return fmt.Sprintf("%s.notebook.%s.sagemaker.aws", strings.ToLower(nb.Name), e.region)
}

// lookupNotebookLocked finds a notebook by name, ignoring case as SageMaker
// does; e.mu must be held.
func (e *Emulator) lookupNotebookLocked(name string) *notebook {
	return e.notebooks[strings.ToLower(name)]
}
