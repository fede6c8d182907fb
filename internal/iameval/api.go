package iameval

// Policy is a parsed policy document.
type Policy struct {
	raw        []byte
	variables  bool // Version 2012-10-17: ${...} are policy variables
	statements []statement
}

// JSON returns the document as it was parsed, for the cross-check with
// an independent evaluator and for error messages.
func (p *Policy) JSON() []byte {
	out := make([]byte, len(p.raw))
	copy(out, p.raw)
	return out
}

// Parse reads a policy document (identity, session, trust or other
// resource policy). Both the string and the list forms of Action, Resource,
// Principal values and condition values are accepted. An unknown element,
// operator or effect is an error.
func Parse(doc []byte) (*Policy, error) {
	return parse(doc)
}

// Request is one API call as IAM sees it.
type Request struct {
	// Principal is the caller's ARN as AWS reports it, e.g.
	// arn:aws:iam::111122223333:user/secds-broker or
	// arn:aws:sts::111122223333:assumed-role/secds-team-fraud/alice.
	Principal string
	// Role is the IAM role ARN of a role session (empty for users): a
	// Principal element naming the role admits its sessions.
	Role string
	// Action, e.g. "sagemaker:CreatePresignedNotebookInstanceUrl"; matched
	// case-insensitively.
	Action string
	// Resource is the ARN the call acts on ("*" for actions without
	// resource types, such as sagemaker:ListNotebookInstances).
	Resource string
	// Context holds the condition keys present in the request (keys are
	// matched case-insensitively); a single-valued key has one value.
	// aws:PrincipalTag/*, aws:RequestTag/*, aws:TagKeys,
	// aws:ResourceTag/*, sagemaker:ResourceTag/*, sts:SourceIdentity,
	// sts:TransitiveTagKeys, sts:RoleSessionName, aws:SourceIp,
	// aws:SourceVpce, aws:username, aws:userid, aws:PrincipalArn,
	// aws:PrincipalAccount, ...
	Context map[string][]string
}

// Policies are the documents that apply to one request.
type Policies struct {
	// Identity are the principal's identity-based policies (a user's or
	// role's inline and attached policies).
	Identity []*Policy
	// Session are the session policies passed to AssumeRole; nil means
	// none (no intersection), an empty non-nil slice allows nothing.
	Session []*Policy
	// Resource is the resource's policy (a role's trust policy for
	// sts:AssumeRole, sts:TagSession, sts:SetSourceIdentity), or nil.
	Resource *Policy
	// PrincipalAccount and ResourceAccount decide same- or cross-account
	// evaluation: across accounts both the identity policies and the
	// resource policy must allow.
	PrincipalAccount, ResourceAccount string
}

// Decision is the outcome of a request.
type Decision int

const (
	ImplicitDeny Decision = iota // no Allow matched
	Allow
	ExplicitDeny // a Deny matched
)

func (d Decision) String() string {
	switch d {
	case Allow:
		return "Allow"
	case ExplicitDeny:
		return "ExplicitDeny"
	}
	return "ImplicitDeny"
}

// Result says what was decided and why, for error messages and tests.
type Result struct {
	Decision Decision
	// Reason names the deciding statement or the missing allow, in AWS's
	// words: "because no identity-based policy allows the X action",
	// "with an explicit deny in an identity-based policy", "because no
	// resource-based policy allows the X action", "because no session
	// policy allows the X action".
	Reason string
	// Sid is the deciding Deny statement's Sid, when it has one.
	Sid string
}

// Evaluate decides one request.
func Evaluate(req Request, p Policies) Result {
	return evaluate(req, p)
}
