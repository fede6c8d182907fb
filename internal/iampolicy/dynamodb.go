package iampolicy

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// DynamoDBActions are the IAM actions the broker needs on its shared-state
// table (mapping_store: dynamodb), and no more: TransactWriteItems is
// authorized as the PutItem and UpdateItem it is made of. internal/
// dynamostore's tests check the list against the calls its stores make.
var DynamoDBActions = []string{
	"dynamodb:DescribeTable",
	"dynamodb:GetItem",
	"dynamodb:PutItem",
	"dynamodb:Query",
	"dynamodb:UpdateItem",
}

// StateTableSid is the statement of the broker policy that opens the
// shared-state table to the broker.
const StateTableSid = "SharedStateTable"

var (
	// stateTableRE is a DynamoDB table's own ARN: no index, no stream, no
	// wildcard (a table name has none of * ? /).
	stateTableRE = regexp.MustCompile(`^arn:(aws[a-z-]*):dynamodb:([a-z]{2}(?:-[a-z]+)+-\d{1,2}):(\d{12}):table/([a-zA-Z0-9_.-]{3,255})$`)
	tableNameRE  = regexp.MustCompile(`^[a-zA-Z0-9_.-]{3,255}$`)
)

// checkStateTable says what is wrong with a state table ARN, or nil.
func checkStateTable(arn string) error {
	if arn == "" || stateTableRE.MatchString(arn) {
		return nil
	}
	const form = "arn:aws:dynamodb:REGION:ACCOUNT:table/NAME"
	_, name, isTable := strings.Cut(arn, ":table/")
	switch {
	case tableNameRE.MatchString(arn):
		return fmt.Errorf("state table %q is a table name; give the table's ARN, %s (aws dynamodb describe-table --table-name %s --query Table.TableArn prints it): the policy must name the region and account too", arn, form, arn)
	case strings.ContainsAny(arn, "*?"):
		return fmt.Errorf("state table %q has a wildcard; give the one table's ARN, %s", arn, form)
	case isTable && strings.Contains(name, "/"):
		return fmt.Errorf("state table %q names a part of a table (an index, a stream or a backup); give the table's own ARN, %s: the broker uses neither indexes nor streams", arn, form)
	default:
		return fmt.Errorf("state table %q is not a DynamoDB table ARN (%s)", arn, form)
	}
}

// stateTableStatement lets the broker call exactly DynamoDBActions on
// exactly the table: not on its indexes or streams (table/NAME/...), not on
// another table.
func stateTableStatement(arn string) Statement {
	return Statement{
		Sid:      StateTableSid,
		Effect:   "Allow",
		Action:   slices.Clone(DynamoDBActions),
		Resource: []string{arn},
	}
}

// tableAccount is the account a valid state table ARN names.
func tableAccount(arn string) string {
	if m := stateTableRE.FindStringSubmatch(arn); m != nil {
		return m[3]
	}
	return ""
}
