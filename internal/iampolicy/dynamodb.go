package iampolicy

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
