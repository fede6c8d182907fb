package iameval

import (
	"strings"
	"testing"
)

func mustParse(t testing.TB, doc string) *Policy {
	t.Helper()
	p, err := Parse([]byte(doc))
	if err != nil {
		t.Fatalf("Parse(%s): %v", doc, err)
	}
	return p
}

func TestParseAccepts(t *testing.T) {
	for _, tc := range []struct{ name, doc string }{
		{"statement object", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}`},
		{"statement list and Id", `{"Version":"2012-10-17","Id":"x","Statement":[{"Sid":"A","Effect":"Deny","NotAction":["s3:*","iam:*"],"NotResource":["arn:aws:s3:::b/*"]}]}`},
		{"old version", `{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`},
		{"no version", `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`},
		{"trust policy", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111122223333:root","111122223333","arn:aws:iam::111122223333:user/u","arn:aws:iam::111122223333:role/r","arn:aws:sts::111122223333:assumed-role/r/s"]},"Action":["sts:AssumeRole","sts:TagSession"]}]}`},
		{"service and federated", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"sagemaker.amazonaws.com","Federated":["arn:aws:iam::111122223333:oidc-provider/idp"]},"Action":"sts:AssumeRole"}]}`},
		{"principal star", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"}]}`},
		{"condition scalars", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":true},"StringEquals":{"aws:PrincipalTag/n":42,"aws:PrincipalTag/t":["a","b"]},"IpAddress":{"aws:SourceIp":["10.0.0.0/8","192.0.2.1","2001:db8::/32"]},"Null":{"aws:TokenIssueTime":"true"}}}]}`},
		{"qualifiers and IfExists", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"ForAllValues:StringLike":{"aws:TagKeys":"a*"},"ForAnyValue:StringEqualsIfExists":{"aws:TagKeys":"b"},"ArnLikeIfExists":{"aws:PrincipalArn":"arn:aws:iam::*:role/x"}}}]}`},
		{"variables", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::b/${aws:username}/${*}","Condition":{"StringEquals":{"aws:ResourceTag/team":"${aws:PrincipalTag/team, 'none'}"}}}]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := mustParse(t, tc.doc)
			if string(p.JSON()) != tc.doc {
				t.Errorf("JSON() = %s, want the document as parsed", p.JSON())
			}
		})
	}
}

func TestParseRefuses(t *testing.T) {
	const pre = `{"Version":"2012-10-17","Statement":`
	for _, tc := range []struct{ name, doc, want string }{
		{"not json", `{`, "parse policy"},
		{"trailing data", pre + `[]} {}`, "trailing"},
		{"trailing brace", pre + `[]}}`, "trailing"},
		{"duplicate effect", pre + `[{"Effect":"Allow","Action":"*","Resource":"*","Effect":"Deny"}]}`, "appears twice"},
		{"duplicate operator", pre + `[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:username":"a"},"StringEquals":{"aws:username":"b"}}}]}`, "appears twice"},
		{"unknown top element", `{"Version":"2012-10-17","Statement":[],"Extra":1}`, `unknown element "Extra"`},
		{"unknown version", `{"Version":"2013-01-01","Statement":[]}`, "unknown Version"},
		{"no statement", `{"Version":"2012-10-17"}`, "no Statement"},
		{"statement not object", pre + `["x"]}`, "JSON object"},
		{"unknown statement element", pre + `[{"Effect":"Allow","Action":"*","Resource":"*","Foo":1}]}`, `unknown element "Foo"`},
		{"NotPrincipal", pre + `[{"Effect":"Deny","NotPrincipal":{"AWS":"111122223333"},"Action":"*","Resource":"*"}]}`, "NotPrincipal"},
		{"bad effect", pre + `[{"Effect":"allow","Action":"*","Resource":"*"}]}`, "Effect"},
		{"no effect", pre + `[{"Action":"*","Resource":"*"}]}`, "Effect"},
		{"Action and NotAction", pre + `[{"Effect":"Allow","Action":"*","NotAction":"s3:*","Resource":"*"}]}`, "both Action and NotAction"},
		{"no action", pre + `[{"Effect":"Allow","Resource":"*"}]}`, "no Action"},
		{"Resource and NotResource", pre + `[{"Effect":"Allow","Action":"*","Resource":"*","NotResource":"*"}]}`, "both Resource"},
		{"bad action", pre + `[{"Effect":"Allow","Action":"GetObject","Resource":"*"}]}`, "service:action"},
		{"empty action list", pre + `[{"Effect":"Allow","Action":[],"Resource":"*"}]}`, "empty list"},
		{"action not string", pre + `[{"Effect":"Allow","Action":1,"Resource":"*"}]}`, "string"},
		{"principal string", pre + `[{"Effect":"Allow","Principal":"111122223333","Action":"sts:AssumeRole"}]}`, "Principal"},
		{"principal canonical user", pre + `[{"Effect":"Allow","Principal":{"CanonicalUser":"abc"},"Action":"sts:AssumeRole"}]}`, "CanonicalUser"},
		{"principal wildcard arn", pre + `[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/*"},"Action":"sts:AssumeRole"}]}`, "AWS principal"},
		{"principal not arn", pre + `[{"Effect":"Allow","Principal":{"AWS":"alice"},"Action":"sts:AssumeRole"}]}`, "AWS principal"},
		{"numeric operator", pre + `[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"NumericLessThan":{"aws:MultiFactorAuthAge":"3600"}}}]}`, "not supported"},
		{"date operator", pre + `[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"DateLessThan":{"aws:CurrentTime":"2030-01-01T00:00:00Z"}}}]}`, "not supported"},
		{"binary operator", pre + `[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"BinaryEquals":{"aws:x":"AA=="}}}]}`, "not supported"},
		{"unknown operator", pre + `[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEqualz":{"aws:username":"a"}}}]}`, "unknown operator"},
		{"wrong operator case", pre + `[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"stringequals":{"aws:username":"a"}}}]}`, "unknown operator"},
		{"unknown qualifier", pre + `[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"ForSomeValues:StringEquals":{"aws:TagKeys":"a"}}}]}`, "unknown operator"},
		{"Null IfExists", pre + `[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"NullIfExists":{"aws:username":"true"}}}]}`, "Null takes no"},
		{"Null value", pre + `[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"Null":{"aws:username":"yes"}}}]}`, "Null takes"},
		{"Bool value", pre + `[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"yes"}}}]}`, "Bool takes"},
		{"bad ip", pre + `[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/33"}}}]}`, "not an IP"},
		{"null value", pre + `[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:username":null}}}]}`, "string, boolean or number"},
		{"object value", pre + `[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:username":{"a":1}}}}]}`, "string, boolean or number"},
		{"empty values", pre + `[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:username":[]}}}]}`, "empty list"},
		{"empty block", pre + `[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{}}}]}`, "no condition key"},
		{"key twice", pre + `[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:username":"a","AWS:UserName":"b"}}}]}`, "twice"},
		{"key without prefix", pre + `[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"username":"a"}}}]}`, "service prefix"},
		{"resource not an arn", pre + `[{"Effect":"Allow","Action":"*","Resource":"bucket/*"}]}`, "neither"},
		{"resource short arn", pre + `[{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:*"}]}`, "neither"},
		{"unclosed variable", pre + `[{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::b/${aws:username"}]}`, "closing"},
		{"empty variable", pre + `[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:username":"${}"}}}]}`, "empty policy variable"},
		{"unquoted default", pre + `[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:username":"${aws:PrincipalTag/x, none}"}}}]}`, "single quotes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.doc))
			if err == nil {
				t.Fatalf("Parse accepted %s", tc.doc)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not mention %q", err, tc.want)
			}
		})
	}
}
