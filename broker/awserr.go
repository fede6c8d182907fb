package broker

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/smithy-go"

	"github.com/secds/secds/abac"
	"github.com/secds/secds/internal/api"
)

var throttleCodes = map[string]bool{
	"Throttling": true, "ThrottlingException": true, "ThrottledException": true,
	"TooManyRequestsException": true, "RequestLimitExceeded": true, "SlowDown": true,
}

var brokerCredentialCodes = map[string]bool{
	"InvalidClientTokenId": true, "UnrecognizedClientException": true, "SignatureDoesNotMatch": true,
	"InvalidSignatureException": true, "ExpiredToken": true, "ExpiredTokenException": true,
}

func unavailable(code api.Code, msg string, err error) *api.Error {
	return &api.Error{Kind: api.KindUnavailable, Code: code, Message: msg, RetryAfter: 30 * time.Second, Err: err}
}

// commonAWSError maps failures that mean the same on every call: throttling,
// time-outs and the broker's own credentials being refused.
func commonAWSError(op string, err error) *api.Error {
	wrapped := fmt.Errorf("%s: %w", op, err)
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return unavailable(api.CodeAWSTimeout, "AWS did not answer in time. Try again in a minute.", wrapped)
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return unavailable(api.CodeAWSUnavailable, "AWS could not be reached. Try again in a minute; if it keeps failing, tell the platform team.", wrapped)
	}
	switch code := ae.ErrorCode(); {
	case throttleCodes[code]:
		e := unavailable(api.CodeAWSThrottled, "AWS is throttling requests right now. Try again in a few seconds.", wrapped)
		e.RetryAfter = 5 * time.Second
		return e
	case brokerCredentialCodes[code]:
		return unavailable(api.CodeBrokerCredentials, "AWS refused the broker's own credentials. The platform team must fix the broker's AWS configuration.", wrapped)
	}
	return nil
}

func stsError(g abac.Grant, err error) error {
	if e := commonAWSError("assume role "+g.RoleARN, err); e != nil {
		return e
	}
	var ae smithy.APIError
	if errors.As(err, &ae) && ae.ErrorCode() == "AccessDenied" {
		return &api.Error{Kind: api.KindForbidden, Code: api.CodeAWSDenied,
			Message: fmt.Sprintf("AWS refused to let the broker assume the role of team %s (%s). Its trust policy must allow the broker's principal sts:AssumeRole, sts:TagSession and sts:SetSourceIdentity; tell the platform team.", g.Team, g.RoleARN),
			Err:     fmt.Errorf("assume role %s: %w", g.RoleARN, err)}
	}
	return unavailable(api.CodeAWSError, "AWS STS failed to start a session for team "+g.Team+". Try again in a minute.", fmt.Errorf("assume role %s: %w", g.RoleARN, err))
}

func sageMakerError(op, team, notebook string, err error) error {
	if e := commonAWSError(op+" "+notebook, err); e != nil {
		return e
	}
	var ae smithy.APIError
	if errors.As(err, &ae) && (ae.ErrorCode() == "AccessDeniedException" || ae.ErrorCode() == "AccessDenied") {
		return &api.Error{Kind: api.KindForbidden, Code: api.CodeAWSDenied,
			Message: fmt.Sprintf("AWS refused team %s access to notebook %s. The notebook's team tag must be %q and the team role's policy must allow sagemaker:%s; tell the platform team.", team, notebook, team, op),
			Err:     fmt.Errorf("%s %s: %w", op, notebook, err)}
	}
	return unavailable(api.CodeAWSError, "SageMaker failed while opening "+notebook+". Try again in a minute.", fmt.Errorf("%s %s: %w", op, notebook, err))
}

func isValidation(err error) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && ae.ErrorCode() == "ValidationException"
}
