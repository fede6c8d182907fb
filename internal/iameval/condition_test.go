package iameval

import (
	"fmt"
	"testing"
)

// allowWhen is an identity policy allowing everything under one Condition.
func allowWhen(cond string) string {
	return fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":%s}]}`, cond)
}

type ctx = map[string][]string

// conditionCases: each Condition under an Allow, with a request context,
// and whether the Allow applies. Shared with the cross-check.
var conditionCases = []struct {
	name string
	cond string
	ctx  ctx
	want bool
}{
	// String operators.
	{"StringEquals match", `{"StringEquals":{"aws:PrincipalTag/team":"fraud"}}`, ctx{"aws:PrincipalTag/team": {"fraud"}}, true},
	{"StringEquals other", `{"StringEquals":{"aws:PrincipalTag/team":"fraud"}}`, ctx{"aws:PrincipalTag/team": {"risk"}}, false},
	{"StringEquals case-sensitive", `{"StringEquals":{"aws:PrincipalTag/team":"fraud"}}`, ctx{"aws:PrincipalTag/team": {"Fraud"}}, false},
	{"StringEquals key case-insensitive", `{"StringEquals":{"AWS:PRINCIPALTAG/TEAM":"fraud"}}`, ctx{"aws:PrincipalTag/team": {"fraud"}}, true},
	{"StringEquals values ORed", `{"StringEquals":{"aws:PrincipalTag/team":["risk","fraud"]}}`, ctx{"aws:PrincipalTag/team": {"fraud"}}, true},
	{"StringEquals absent", `{"StringEquals":{"aws:PrincipalTag/team":"fraud"}}`, ctx{}, false},
	{"StringEquals empty list is absent", `{"StringEquals":{"aws:PrincipalTag/team":"fraud"}}`, ctx{"aws:PrincipalTag/team": {}}, false},
	{"StringEquals star is literal", `{"StringEquals":{"aws:PrincipalTag/team":"*"}}`, ctx{"aws:PrincipalTag/team": {"fraud"}}, false},
	{"StringEquals number value", `{"StringEquals":{"aws:PrincipalTag/n":42}}`, ctx{"aws:PrincipalTag/n": {"42"}}, true},
	{"StringEqualsIfExists absent", `{"StringEqualsIfExists":{"aws:PrincipalTag/team":"fraud"}}`, ctx{}, true},
	{"StringEqualsIfExists other", `{"StringEqualsIfExists":{"aws:PrincipalTag/team":"fraud"}}`, ctx{"aws:PrincipalTag/team": {"risk"}}, false},
	{"StringNotEquals other", `{"StringNotEquals":{"aws:PrincipalTag/team":"fraud"}}`, ctx{"aws:PrincipalTag/team": {"risk"}}, true},
	{"StringNotEquals same", `{"StringNotEquals":{"aws:PrincipalTag/team":"fraud"}}`, ctx{"aws:PrincipalTag/team": {"fraud"}}, false},
	{"StringNotEquals none of the values", `{"StringNotEquals":{"aws:PrincipalTag/team":["risk","fraud"]}}`, ctx{"aws:PrincipalTag/team": {"fraud"}}, false},
	{"StringNotEquals absent matches", `{"StringNotEquals":{"aws:PrincipalTag/team":"fraud"}}`, ctx{}, true},
	{"StringEqualsIgnoreCase", `{"StringEqualsIgnoreCase":{"aws:PrincipalTag/team":"FRAUD"}}`, ctx{"aws:PrincipalTag/team": {"fraud"}}, true},
	{"StringNotEqualsIgnoreCase same", `{"StringNotEqualsIgnoreCase":{"aws:PrincipalTag/team":"FRAUD"}}`, ctx{"aws:PrincipalTag/team": {"fraud"}}, false},
	{"StringNotEqualsIgnoreCase absent", `{"StringNotEqualsIgnoreCase":{"aws:PrincipalTag/team":"FRAUD"}}`, ctx{}, true},
	{"StringLike star", `{"StringLike":{"sts:RoleSessionName":"a*e"}}`, ctx{"sts:RoleSessionName": {"alice"}}, true},
	{"StringLike question", `{"StringLike":{"sts:RoleSessionName":"b?b"}}`, ctx{"sts:RoleSessionName": {"bob"}}, true},
	{"StringLike no match", `{"StringLike":{"sts:RoleSessionName":"b?b"}}`, ctx{"sts:RoleSessionName": {"bobby"}}, false},
	{"StringLike case-sensitive", `{"StringLike":{"sts:RoleSessionName":"A*"}}`, ctx{"sts:RoleSessionName": {"alice"}}, false},
	{"StringNotLike", `{"StringNotLike":{"sts:RoleSessionName":"adm-*"}}`, ctx{"sts:RoleSessionName": {"alice"}}, true},
	{"StringNotLike matching", `{"StringNotLike":{"sts:RoleSessionName":"adm-*"}}`, ctx{"sts:RoleSessionName": {"adm-bob"}}, false},
	{"StringNotLike absent", `{"StringNotLike":{"sts:RoleSessionName":"adm-*"}}`, ctx{}, true},
	{"StringNotLikeIfExists absent", `{"StringNotLikeIfExists":{"sts:RoleSessionName":"adm-*"}}`, ctx{}, true},

	// Several keys and blocks are ANDed.
	{"two keys both", `{"StringEquals":{"aws:PrincipalTag/team":"fraud","sts:SourceIdentity":"alice"}}`, ctx{"aws:PrincipalTag/team": {"fraud"}, "sts:SourceIdentity": {"alice"}}, true},
	{"two keys one", `{"StringEquals":{"aws:PrincipalTag/team":"fraud","sts:SourceIdentity":"alice"}}`, ctx{"aws:PrincipalTag/team": {"fraud"}}, false},
	{"two blocks one", `{"StringEquals":{"aws:PrincipalTag/team":"fraud"},"StringLike":{"sts:SourceIdentity":"b*"}}`, ctx{"aws:PrincipalTag/team": {"fraud"}, "sts:SourceIdentity": {"alice"}}, false},

	// Arn operators.
	{"ArnEquals", `{"ArnEquals":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/secds"}}`, ctx{"aws:PrincipalArn": {"arn:aws:iam::111122223333:role/secds"}}, true},
	{"ArnLike account wildcard", `{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/secds-*"}}`, ctx{"aws:PrincipalArn": {"arn:aws:iam::111122223333:role/secds-team"}}, true},
	{"ArnLike star stays in its field", `{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*"}}`, ctx{"aws:PrincipalArn": {"arn:aws:iam::111122223333:role/secds"}}, false},
	{"ArnLike other", `{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/secds-*"}}`, ctx{"aws:PrincipalArn": {"arn:aws:iam::111122223333:user/secds-x"}}, false},
	{"ArnNotLike other", `{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/admin"}}`, ctx{"aws:PrincipalArn": {"arn:aws:iam::111122223333:role/secds"}}, true},
	{"ArnNotEquals same", `{"ArnNotEquals":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/secds"}}`, ctx{"aws:PrincipalArn": {"arn:aws:iam::111122223333:role/secds"}}, false},
	{"ArnNotEquals absent", `{"ArnNotEquals":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/secds"}}`, ctx{}, true},
	{"ArnLike not an arn", `{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/x"}}`, ctx{"aws:PrincipalArn": {"x"}}, false},

	// Bool and Null.
	{"Bool true", `{"Bool":{"aws:SecureTransport":"true"}}`, ctx{"aws:SecureTransport": {"true"}}, true},
	{"Bool json true", `{"Bool":{"aws:SecureTransport":true}}`, ctx{"aws:SecureTransport": {"true"}}, true},
	{"Bool false", `{"Bool":{"aws:SecureTransport":"true"}}`, ctx{"aws:SecureTransport": {"false"}}, false},
	{"Bool absent", `{"Bool":{"aws:SecureTransport":"false"}}`, ctx{}, false},
	{"BoolIfExists absent", `{"BoolIfExists":{"aws:SecureTransport":"false"}}`, ctx{}, true},
	{"Null true absent", `{"Null":{"sts:SourceIdentity":"true"}}`, ctx{}, true},
	{"Null true present", `{"Null":{"sts:SourceIdentity":"true"}}`, ctx{"sts:SourceIdentity": {"alice"}}, false},
	{"Null false present", `{"Null":{"sts:SourceIdentity":"false"}}`, ctx{"sts:SourceIdentity": {"alice"}}, true},
	{"Null false absent", `{"Null":{"sts:SourceIdentity":"false"}}`, ctx{}, false},

	// IP addresses.
	{"IpAddress cidr", `{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`, ctx{"aws:SourceIp": {"10.1.2.3"}}, true},
	{"IpAddress outside", `{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`, ctx{"aws:SourceIp": {"192.0.2.1"}}, false},
	{"IpAddress single", `{"IpAddress":{"aws:SourceIp":"192.0.2.1"}}`, ctx{"aws:SourceIp": {"192.0.2.1"}}, true},
	{"IpAddress list", `{"IpAddress":{"aws:SourceIp":["10.0.0.0/8","192.0.2.0/24"]}}`, ctx{"aws:SourceIp": {"192.0.2.9"}}, true},
	{"IpAddress v6", `{"IpAddress":{"aws:SourceIp":"2001:db8::/32"}}`, ctx{"aws:SourceIp": {"2001:db8::1"}}, true},
	{"IpAddress v6 outside", `{"IpAddress":{"aws:SourceIp":"2001:db8::/32"}}`, ctx{"aws:SourceIp": {"2001:db9::1"}}, false},
	{"IpAddress absent", `{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`, ctx{}, false},
	{"IpAddressIfExists absent", `{"IpAddressIfExists":{"aws:SourceIp":"10.0.0.0/8"}}`, ctx{}, true},
	{"NotIpAddress outside", `{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`, ctx{"aws:SourceIp": {"192.0.2.1"}}, true},
	{"NotIpAddress inside", `{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`, ctx{"aws:SourceIp": {"10.0.0.1"}}, false},
	{"NotIpAddress absent", `{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`, ctx{}, true},

	// Set qualifiers and multivalued keys.
	{"ForAllValues subset", `{"ForAllValues:StringEquals":{"aws:TagKeys":["team","user"]}}`, ctx{"aws:TagKeys": {"team"}}, true},
	{"ForAllValues all", `{"ForAllValues:StringEquals":{"aws:TagKeys":["team","user"]}}`, ctx{"aws:TagKeys": {"team", "user"}}, true},
	{"ForAllValues extra", `{"ForAllValues:StringEquals":{"aws:TagKeys":["team","user"]}}`, ctx{"aws:TagKeys": {"team", "admin"}}, false},
	{"ForAllValues absent", `{"ForAllValues:StringEquals":{"aws:TagKeys":["team"]}}`, ctx{}, true},
	{"ForAllValues empty", `{"ForAllValues:StringEquals":{"aws:TagKeys":["team"]}}`, ctx{"aws:TagKeys": {}}, true},
	{"ForAllValues StringLike", `{"ForAllValues:StringLike":{"aws:TagKeys":["t*","u*"]}}`, ctx{"aws:TagKeys": {"team", "user"}}, true},
	{"ForAllValues StringNotEquals", `{"ForAllValues:StringNotEquals":{"aws:TagKeys":["admin"]}}`, ctx{"aws:TagKeys": {"team", "user"}}, true},
	{"ForAllValues StringNotEquals hit", `{"ForAllValues:StringNotEquals":{"aws:TagKeys":["admin"]}}`, ctx{"aws:TagKeys": {"team", "admin"}}, false},
	{"ForAnyValue one", `{"ForAnyValue:StringEquals":{"aws:TagKeys":["admin"]}}`, ctx{"aws:TagKeys": {"team", "admin"}}, true},
	{"ForAnyValue none", `{"ForAnyValue:StringEquals":{"aws:TagKeys":["admin"]}}`, ctx{"aws:TagKeys": {"team"}}, false},
	{"ForAnyValue absent", `{"ForAnyValue:StringEquals":{"aws:TagKeys":["admin"]}}`, ctx{}, false},
	{"ForAnyValue StringNotEquals", `{"ForAnyValue:StringNotEquals":{"aws:TagKeys":["team"]}}`, ctx{"aws:TagKeys": {"team", "user"}}, true},
	{"ForAnyValue StringNotEquals only that", `{"ForAnyValue:StringNotEquals":{"aws:TagKeys":["team"]}}`, ctx{"aws:TagKeys": {"team"}}, false},
	{"ForAnyValue IfExists absent", `{"ForAnyValue:StringEqualsIfExists":{"aws:TagKeys":["admin"]}}`, ctx{}, true},
	{"ForAnyValue IfExists present", `{"ForAnyValue:StringEqualsIfExists":{"aws:TagKeys":["admin"]}}`, ctx{"aws:TagKeys": {"team"}}, false},
	{"ForAllValues IfExists extra", `{"ForAllValues:StringEqualsIfExists":{"aws:TagKeys":["team"]}}`, ctx{"aws:TagKeys": {"team", "admin"}}, false},
	{"ForAllValues StringNotLike absent", `{"ForAllValues:StringNotLike":{"aws:TagKeys":["adm*"]}}`, ctx{}, true},
	{"ForAnyValue StringLike", `{"ForAnyValue:StringLike":{"aws:TagKeys":["adm*"]}}`, ctx{"aws:TagKeys": {"team", "admin"}}, true},
	{"Null true on empty multivalued key", `{"Null":{"aws:TagKeys":"true"}}`, ctx{"aws:TagKeys": {}}, true},
	{"Null false on multivalued key", `{"Null":{"aws:TagKeys":"false"}}`, ctx{"aws:TagKeys": {"team"}}, true},
	{"ForAnyValue on single-valued key", `{"ForAnyValue:StringEquals":{"aws:PrincipalTag/team":["fraud"]}}`, ctx{"aws:PrincipalTag/team": {"fraud"}}, true},
	{"single operator on multivalued key", `{"StringEquals":{"aws:TagKeys":"team"}}`, ctx{"aws:TagKeys": {"team"}}, false},
	{"single operator on several values", `{"StringEquals":{"aws:PrincipalTag/x":"a"}}`, ctx{"aws:PrincipalTag/x": {"a", "b"}}, false},
	{"negated single operator on multivalued key", `{"StringNotEquals":{"aws:TagKeys":"admin"}}`, ctx{"aws:TagKeys": {"team"}}, false},

	// Policy variables in condition values.
	{"variable match", `{"StringEquals":{"sagemaker:ResourceTag/owner":"${aws:PrincipalTag/user}"}}`, ctx{"sagemaker:ResourceTag/owner": {"alice"}, "aws:PrincipalTag/user": {"alice"}}, true},
	{"variable other", `{"StringEquals":{"sagemaker:ResourceTag/owner":"${aws:PrincipalTag/user}"}}`, ctx{"sagemaker:ResourceTag/owner": {"bob"}, "aws:PrincipalTag/user": {"alice"}}, false},
	{"variable key case-insensitive", `{"StringEquals":{"sagemaker:ResourceTag/owner":"${AWS:PrincipalTag/User}"}}`, ctx{"sagemaker:ResourceTag/owner": {"alice"}, "aws:principaltag/user": {"alice"}}, true},
	{"variable absent", `{"StringEquals":{"sagemaker:ResourceTag/owner":"${aws:PrincipalTag/user}"}}`, ctx{"sagemaker:ResourceTag/owner": {"alice"}}, false},
	{"variable absent other value", `{"StringEquals":{"sagemaker:ResourceTag/owner":["${aws:PrincipalTag/user}","bob"]}}`, ctx{"sagemaker:ResourceTag/owner": {"bob"}}, true},
	{"variable absent negated", `{"StringNotEquals":{"sagemaker:ResourceTag/owner":"${aws:PrincipalTag/user}"}}`, ctx{"sagemaker:ResourceTag/owner": {"alice"}}, false},
	{"variable default", `{"StringEquals":{"sagemaker:ResourceTag/owner":"${aws:PrincipalTag/user, 'nobody'}"}}`, ctx{"sagemaker:ResourceTag/owner": {"nobody"}}, true},
	{"variable default unused", `{"StringEquals":{"sagemaker:ResourceTag/owner":"${aws:PrincipalTag/user, 'nobody'}"}}`, ctx{"sagemaker:ResourceTag/owner": {"nobody"}, "aws:PrincipalTag/user": {"alice"}}, false},
	{"variable value is literal in StringLike", `{"StringLike":{"sagemaker:ResourceTag/owner":"${aws:PrincipalTag/user}"}}`, ctx{"sagemaker:ResourceTag/owner": {"alice"}, "aws:PrincipalTag/user": {"*"}}, false},
	{"variable with wildcard", `{"StringLike":{"sts:RoleSessionName":"${aws:PrincipalTag/user}-*"}}`, ctx{"sts:RoleSessionName": {"alice-1"}, "aws:PrincipalTag/user": {"alice"}}, true},
	{"variable star literal", `{"StringEquals":{"aws:PrincipalTag/x":"a${*}b"}}`, ctx{"aws:PrincipalTag/x": {"a*b"}}, true},
	{"variable question literal", `{"StringLike":{"aws:PrincipalTag/x":"a${?}"}}`, ctx{"aws:PrincipalTag/x": {"ab"}}, false},
	{"variable dollar literal", `{"StringEquals":{"aws:PrincipalTag/x":"${$}5"}}`, ctx{"aws:PrincipalTag/x": {"$5"}}, true},
	{"variable multivalued", `{"StringEquals":{"aws:PrincipalTag/x":"${aws:TagKeys}"}}`, ctx{"aws:PrincipalTag/x": {"team"}, "aws:TagKeys": {"team"}}, false},
	{"variable star literal in StringLike", `{"StringLike":{"aws:PrincipalTag/x":"a${*}"}}`, ctx{"aws:PrincipalTag/x": {"a*"}}, true},
	{"variable star literal in StringLike no wildcard", `{"StringLike":{"aws:PrincipalTag/x":"a${*}"}}`, ctx{"aws:PrincipalTag/x": {"ab"}}, false},
	{"variable in ArnLike resource field", `{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:user/${aws:username}"}}`, ctx{"aws:PrincipalArn": {"arn:aws:iam::111122223333:user/alice"}, "aws:username": {"alice"}}, true},
	{"variable in ArnLike resource field other", `{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:user/${aws:username}"}}`, ctx{"aws:PrincipalArn": {"arn:aws:iam::111122223333:user/bob"}, "aws:username": {"alice"}}, false},
	{"variable in ArnLike", `{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::${aws:PrincipalAccount}:role/*"}}`, ctx{"aws:PrincipalArn": {"arn:aws:iam::111122223333:role/x"}, "aws:PrincipalAccount": {"111122223333"}}, true},
}

func TestConditions(t *testing.T) {
	for _, tc := range conditionCases {
		t.Run(tc.name, func(t *testing.T) {
			p := mustParse(t, allowWhen(tc.cond))
			got := Evaluate(Request{Principal: "arn:aws:iam::111122223333:user/u", Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k", Context: tc.ctx},
				Policies{Identity: []*Policy{p}})
			if (got.Decision == Allow) != tc.want {
				t.Errorf("%s with %v: %v (%s), want allow=%v", tc.cond, tc.ctx, got.Decision, got.Reason, tc.want)
			}
		})
	}
}

func TestOldVersionHasNoVariables(t *testing.T) {
	p := mustParse(t, `{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/x":"${aws:username}"}}}]}`)
	for _, tc := range []struct {
		name string
		val  string
		want Decision
	}{
		{"literal text matches", "${aws:username}", Allow},
		{"the username does not", "alice", ImplicitDeny},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Evaluate(Request{Principal: "arn:aws:iam::111122223333:user/alice", Action: "s3:GetObject", Resource: "*",
				Context: ctx{"aws:username": {"alice"}, "aws:PrincipalTag/x": {tc.val}}}, Policies{Identity: []*Policy{p}})
			if got.Decision != tc.want {
				t.Errorf("got %v, want %v", got.Decision, tc.want)
			}
		})
	}
}
