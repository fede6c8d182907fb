package api

import (
	"fmt"
	"net/http"
)

// Code is a refusal's stable, machine-readable name, the "code" of the
// error object in every API error answer. Clients match on it; once shipped,
// a code keeps its meaning.
type Code string

// Codes of the open use case (broker).
const (
	CodeBadNotebookName     Code = "bad_notebook_name"
	CodeNoTeam              Code = "no_team"
	CodeTeamNotAllowed      Code = "team_not_allowed"
	CodeIdentityUnusable    Code = "identity_unusable"
	CodeNoNotebook          Code = "no_notebook"
	CodeNotebookNotFound    Code = "notebook_not_found" // also for a notebook that exists but is not the caller's
	CodeNotebookStopped     Code = "notebook_stopped"
	CodeNotebookStarting    Code = "notebook_starting"
	CodeNotebookStopping    Code = "notebook_stopping"
	CodeNotebookUnavailable Code = "notebook_unavailable"
	// CodeNotebookNoncompliant: the notebook misses a requirement of the
	// team's require block (enforce mode); the message lists each.
	CodeNotebookNoncompliant Code = "notebook_noncompliant"
	// CodeChooseNotebook is the 409 answer of POST /api/v1/open when several
	// notebooks fit; the body lists them (ChoicesResponse).
	CodeChooseNotebook Code = "choose_notebook"

	CodeAWSDenied         Code = "aws_denied"
	CodeAWSTimeout        Code = "aws_timeout"
	CodeAWSUnavailable    Code = "aws_unavailable"
	CodeAWSThrottled      Code = "aws_throttled"
	CodeAWSError          Code = "aws_error"
	CodeAWSBadResponse    Code = "aws_bad_response"
	CodeBrokerCredentials Code = "broker_credentials"
	CodeBrokerBusy        Code = "broker_busy"
	CodeAuditUnavailable  Code = "audit_unavailable"
	CodeInternal          Code = "internal"
)

// Codes of a failed sign-in (auth): the browser's OIDC round trip, the
// session, and the CLI's one-time code. Their pages offer to sign in again.
const (
	CodeIdPUnavailable   Code = "idp_unavailable"
	CodeIdPRefused       Code = "idp_refused"
	CodeIssuerMissing    Code = "issuer_missing"
	CodeIssuerMismatch   Code = "issuer_mismatch"
	CodeStateMismatch    Code = "state_mismatch"
	CodeCodeRefused      Code = "code_refused"
	CodeNoIDToken        Code = "no_id_token"
	CodeIDTokenTooLarge  Code = "id_token_too_large"
	CodeIDTokenInvalid   Code = "id_token_invalid"
	CodeNonceMismatch    Code = "nonce_mismatch"
	CodeClaimsMissing    Code = "claims_missing"
	CodeLoginExpired     Code = "login_expired"
	CodeSessionTooLarge  Code = "session_too_large"
	CodeIdentityTooLarge Code = "identity_too_large"
	CodeCodeInvalid      Code = "code_invalid"
	CodeCodeUsed         Code = "code_used"
	CodeVerifierMismatch Code = "verifier_mismatch"
	CodeRedirectMismatch Code = "redirect_mismatch"
)

// Codes of the HTTP layer (server): credentials, CSRF, malformed requests,
// limits.
const (
	CodeNotSignedIn        Code = "not_signed_in"
	CodeSessionStale       Code = "session_stale"
	CodeTokenInvalid       Code = "token_invalid"
	CodeTokenExpired       Code = "token_expired"
	CodeTokenRevoked       Code = "token_revoked"
	CodeFreshLoginRequired Code = "fresh_login_required"
	CodeCSRFFailed         Code = "csrf_failed"
	CodeBadRequest         Code = "bad_request"
	CodeBadCLILogin        Code = "bad_cli_login"
	CodeCLILoginDisabled   Code = "cli_login_disabled"
	CodeMappingUnavailable Code = "mapping_unavailable"
	CodeRateLimited        Code = "rate_limited"
	CodeCodeUnavailable    Code = "code_unavailable" // the spent-code record cannot be reached
)

// Codes of the admin API and page.
const (
	CodeNotAdmin               Code = "not_admin"
	CodeAdminUnavailable       Code = "admin_unavailable"
	CodeBadIdentity            Code = "bad_identity"
	CodeBadVersion             Code = "bad_version"
	CodeIfMatchRequired        Code = "if_match_required"
	CodeVersionConflict        Code = "version_conflict"
	CodeVersionUnverified      Code = "version_unverified"
	CodeVersionNotFound        Code = "version_not_found"
	CodeMappingReadOnly        Code = "mapping_read_only"
	CodeMappingTooLarge        Code = "mapping_too_large"
	CodeMappingInvalid         Code = "mapping_invalid" // the answer lists the mistakes (ErrorResponse.Problems)
	CodeRevocationUnavailable  Code = "revocation_unavailable"
	CodeRevocationsUnavailable Code = "revocations_unavailable"
	CodeRevocationFailed       Code = "revocation_failed"
	CodeImportUnsupported      Code = "import_unsupported"
	CodeImportUnverified       Code = "import_unverified"
	CodeImportFailed           Code = "import_failed"
)

// page says how the browser page of a code looks.
type page struct {
	title  string // its heading; "" for the status's name
	signIn bool   // it offers to sign in again
}

const signInFailed = "Sign-in failed"

var pages = map[Code]page{
	CodeNoTeam:           {title: "You are not in a team yet"},
	CodeTeamNotAllowed:   {title: "That team is not yours"},
	CodeNotebookNotFound: {title: "That notebook is not yours"},
	CodeIdentityUnusable: {title: "Your account cannot be used as it is"},
	CodeNoNotebook:       {title: "No notebook for you yet"},
	CodeNotebookStopped:  {title: "The notebook is stopped"},
	CodeNotebookStarting: {title: "The notebook is starting"},
	CodeAWSDenied:        {title: "AWS refused access"},
	CodeInternal:         {title: "Something went wrong"},

	CodeIdPUnavailable:   {title: "Sign-in is unavailable", signIn: true},
	CodeIdPRefused:       {title: signInFailed, signIn: true},
	CodeIssuerMissing:    {title: signInFailed, signIn: true},
	CodeIssuerMismatch:   {title: signInFailed, signIn: true},
	CodeStateMismatch:    {title: signInFailed, signIn: true},
	CodeCodeRefused:      {title: signInFailed, signIn: true},
	CodeNoIDToken:        {title: signInFailed, signIn: true},
	CodeIDTokenTooLarge:  {title: signInFailed, signIn: true},
	CodeIDTokenInvalid:   {title: signInFailed, signIn: true},
	CodeNonceMismatch:    {title: signInFailed, signIn: true},
	CodeClaimsMissing:    {title: signInFailed, signIn: true},
	CodeLoginExpired:     {title: signInFailed, signIn: true},
	CodeSessionTooLarge:  {title: signInFailed, signIn: true},
	CodeIdentityTooLarge: {title: signInFailed, signIn: true},
	CodeCodeInvalid:      {title: signInFailed, signIn: true},
	CodeCodeUsed:         {title: signInFailed, signIn: true},
	CodeVerifierMismatch: {title: signInFailed, signIn: true},
	CodeRedirectMismatch: {title: signInFailed, signIn: true},

	CodeNotSignedIn:        {title: "Please sign in"},
	CodeSessionStale:       {title: "Please sign in again"},
	CodeRateLimited:        {title: "Too many requests"},
	CodeMappingInvalid:     {title: "The mapping has mistakes"},
	CodeCSRFFailed:         {title: "This form was refused"},
	CodeBadCLILogin:        {title: "This CLI sign-in link is not valid"},
	CodeCLILoginDisabled:   {title: "The secds CLI cannot sign in here"},
	CodeMappingUnavailable: {title: "No team mapping is loaded"},
	CodeNotAdmin:           {title: "Only secds admins can use this page"},

	CodeBadNotebookName:      {title: "That is not a notebook name"},
	CodeNotebookStopping:     {title: "The notebook is stopping"},
	CodeNotebookUnavailable:  {title: "The notebook cannot be opened"},
	CodeNotebookNoncompliant: {title: "The notebook does not meet your team's security requirements"},
	CodeAWSTimeout:           {title: "AWS did not answer in time"},
	CodeAWSUnavailable:       {title: "AWS cannot be reached"},
	CodeAWSThrottled:         {title: "AWS is busy"},
	CodeBrokerBusy:           {title: "The broker is busy"},
	CodeAuditUnavailable:     {title: "The audit log cannot be written"},
}

// statusTitles head the page of a refusal whose code has no title of its
// own, by HTTP status: sentences, never the status's name ("Method Not
// Allowed"). They cover every status the broker's kinds (Kind.Status) and
// echo's router and middleware answer with.
var statusTitles = map[int]string{
	http.StatusBadRequest:                   "The request could not be understood",
	http.StatusUnauthorized:                 "Please sign in",
	http.StatusForbidden:                    "You may not do that",
	http.StatusNotFound:                     "There is no page here",
	http.StatusMethodNotAllowed:             "This page cannot be used that way",
	http.StatusNotAcceptable:                "This page cannot answer in that format",
	http.StatusRequestTimeout:               "The request took too long",
	http.StatusConflict:                     "That cannot be done right now",
	http.StatusGone:                         "This page is gone",
	http.StatusLengthRequired:               "The request did not say how long it is",
	http.StatusPreconditionFailed:           "It changed in the meantime",
	http.StatusRequestEntityTooLarge:        "The request is too large",
	http.StatusRequestURITooLong:            "The address is too long",
	http.StatusUnsupportedMediaType:         "The request's format is not accepted",
	http.StatusRequestedRangeNotSatisfiable: "That part does not exist",
	http.StatusExpectationFailed:            "The request's expectation cannot be met",
	http.StatusUnprocessableEntity:          "The request has mistakes",
	http.StatusPreconditionRequired:         "The change must name the version it is based on",
	http.StatusTooManyRequests:              "Too many requests: wait a moment",
	http.StatusRequestHeaderFieldsTooLarge:  "The request's headers are too large",
	http.StatusInternalServerError:          "Something went wrong",
	http.StatusNotImplemented:               "This broker is not set up for that",
	http.StatusBadGateway:                   "A service secds relies on answered badly",
	http.StatusServiceUnavailable:           "A service secds needs is unavailable",
	http.StatusGatewayTimeout:               "A service secds needs did not answer in time",
}

// StatusTitle is the page title of a refusal with status and no code of
// its own: a sentence from statusTitles, or, for a status not there, one
// that names the status by number.
func StatusTitle(status int) string {
	if t, ok := statusTitles[status]; ok {
		return t
	}
	if status >= 500 {
		return fmt.Sprintf("Something went wrong (status %d)", status)
	}
	return fmt.Sprintf("The request could not be handled (status %d)", status)
}

// StatusTitles lists the statuses StatusTitle has a sentence for.
func StatusTitles() []int {
	out := make([]int, 0, len(statusTitles))
	for st := range statusTitles {
		out = append(out, st)
	}
	return out
}

// Title is the heading of the page that shows the code, "" when the code
// has none of its own (the page is headed with StatusTitle).
func (c Code) Title() string { return pages[c].title }

// SignIn reports whether the code is a failed sign-in, whose page offers to
// sign in again.
func (c Code) SignIn() bool { return pages[c].signIn }
