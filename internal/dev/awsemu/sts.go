package awsemu

import (
	"encoding/xml"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strings"
)

const stsVersion = "2011-06-15"

// serveSTS handles a Query-protocol call: a form-encoded POST whose Action
// names the operation, answered in XML.
func (e *Emulator) serveSTS(w http.ResponseWriter, r *http.Request, body []byte, requestID string) {
	form, perr := url.ParseQuery(string(body))
	action := form.Get("Action")
	e.countCall(action)

	var who *caller
	fail := func(aerr *apiError) {
		e.logOutcome("sts", action, who, aerr)
		writeSTSError(w, requestID, aerr)
	}
	if aerr := e.fault(r.Context(), action); aerr != nil {
		fail(aerr)
		return
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if perr != nil || mt != "application/x-www-form-urlencoded" {
		fail(&apiError{http.StatusBadRequest, "MalformedQueryString", "the request body must be a form-encoded Query request"})
		return
	}
	who, authErr := e.authenticate(r, body, "sts")
	if authErr != nil {
		fail(authErr.forProtocol(stsFailures))
		return
	}
	if v := form.Get("Version"); v != "" && v != stsVersion {
		fail(&apiError{http.StatusBadRequest, "InvalidAction", fmt.Sprintf("Could not find operation %s for version %s", action, v)})
		return
	}

	var (
		out  any
		aerr *apiError
	)
	switch action {
	case "AssumeRole":
		out, aerr = e.assumeRole(who, form, r, requestID)
	case "GetCallerIdentity":
		out = e.getCallerIdentity(who, requestID)
	case "":
		aerr = &apiError{http.StatusBadRequest, "MissingAction", "Missing Action"}
	default:
		aerr = &apiError{http.StatusBadRequest, "InvalidAction", fmt.Sprintf("Could not find operation %s for version %s", action, stsVersion)}
	}
	if aerr != nil {
		fail(aerr)
		return
	}
	e.logOutcome("sts", action, who, nil)
	writeXML(w, requestID, http.StatusOK, out)
}

type getCallerIdentityResponse struct {
	XMLName xml.Name `xml:"https://sts.amazonaws.com/doc/2011-06-15/ GetCallerIdentityResponse"`
	Result  struct {
		Arn     string `xml:"Arn"`
		UserID  string `xml:"UserId"`
		Account string `xml:"Account"`
	} `xml:"GetCallerIdentityResult"`
	Metadata responseMetadata `xml:"ResponseMetadata"`
}

func (e *Emulator) getCallerIdentity(who *caller, requestID string) getCallerIdentityResponse {
	var out getCallerIdentityResponse
	out.Result.Arn = who.arn
	out.Result.UserID = who.userID
	out.Result.Account = arnAccount(who.arn)
	out.Metadata.RequestID = requestID
	return out
}

// arnAccount returns the account field of an ARN
// (arn:partition:service:region:account:resource).
func arnAccount(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 {
		return ""
	}
	return parts[4]
}
