package dynamostore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
)

// API is the part of the DynamoDB client the stores call; the SDK's
// *dynamodb.Client satisfies it.
type API interface {
	DescribeTable(ctx context.Context, in *dynamodb.DescribeTableInput, opts ...func(*dynamodb.Options)) (*dynamodb.DescribeTableOutput, error)
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	Query(ctx context.Context, in *dynamodb.QueryInput, opts ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, opts ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)
}

// The table's key and TTL attributes.
const (
	AttrPK      = "pk"
	AttrSK      = "sk"
	AttrExpires = "expires_at" // Unix seconds; the table's Time to Live attribute
)

// DefaultPollInterval is how often a replica reads the head item and the
// revocations: a new mapping or revocation holds everywhere within about
// this long.
const DefaultPollInterval = time.Second

// CheckTable makes sure the table exists, is usable and has the key schema
// the stores write. It is the broker's first call: a wrong name, region,
// endpoint or permission is reported here, at start, in words.
func CheckTable(ctx context.Context, c API, table string) error {
	out, err := c.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)})
	if err != nil {
		var nf *types.ResourceNotFoundException
		if errors.As(err, &nf) {
			return &ConfigError{fmt.Errorf("DynamoDB table %q does not exist in this account and region: create it (docs/dynamodb.md), or fix mapping_store.table / mapping_store.region", table)}
		}
		if denied(err) {
			return &ConfigError{fmt.Errorf("DynamoDB table %q: %w", table, describe(err))}
		}
		return fmt.Errorf("DynamoDB table %q: %w", table, describe(err))
	}
	t := out.Table
	if t == nil {
		return fmt.Errorf("DynamoDB table %q: DescribeTable returned no table", table)
	}
	if t.TableStatus != types.TableStatusActive && t.TableStatus != types.TableStatusUpdating {
		return fmt.Errorf("DynamoDB table %q is %s, not ACTIVE", table, t.TableStatus)
	}
	keys := map[types.KeyType]string{}
	for _, k := range t.KeySchema {
		keys[k.KeyType] = aws.ToString(k.AttributeName)
	}
	attrTypes := map[string]types.ScalarAttributeType{}
	for _, a := range t.AttributeDefinitions {
		attrTypes[aws.ToString(a.AttributeName)] = a.AttributeType
	}
	if keys["HASH"] != AttrPK || keys["RANGE"] != AttrSK || len(keys) != 2 || attrTypes[AttrPK] != "S" || attrTypes[AttrSK] != "S" {
		return &ConfigError{fmt.Errorf("DynamoDB table %q has key schema %v; secds needs partition key %q and sort key %q, both strings (docs/dynamodb.md)", table, keys, AttrPK, AttrSK)}
	}
	return nil
}

// ConfigError is a table the broker cannot use until someone changes
// something (its name, its key schema, the broker's permissions): retrying
// does not help.
type ConfigError struct{ Err error }

func (e *ConfigError) Error() string { return e.Err.Error() }

// Unwrap returns the cause.
func (e *ConfigError) Unwrap() error { return e.Err }

func denied(err error) bool {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return false
	}
	switch ae.ErrorCode() {
	case "AccessDeniedException", "UnrecognizedClientException", "InvalidSignatureException", "ExpiredTokenException":
		return true
	}
	return false
}

// describe turns an SDK error into one a person can act on, naming the
// error code and never the request.
func describe(err error) error {
	if denied(err) {
		return fmt.Errorf("DynamoDB refused the broker's credentials: give its role the actions `secds admin iam --state-table` prints, on this table: %w", err)
	}
	return err
}

// Throttled reports whether err is DynamoDB asking the caller to slow down.
func Throttled(err error) bool {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return false
	}
	switch ae.ErrorCode() {
	case "ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded", "LimitExceededException":
		return true
	}
	return false
}

func conditionFailed(err error) bool {
	var cf *types.ConditionalCheckFailedException
	return errors.As(err, &cf)
}

func key(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{AttrPK: s(pk), AttrSK: s(sk)}
}

func s(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }

func n(v int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(v, 10)}
}

func getS(item map[string]types.AttributeValue, name string) string {
	if v, ok := item[name].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

func getN(item map[string]types.AttributeValue, name string) (int64, bool) {
	v, ok := item[name].(*types.AttributeValueMemberN)
	if !ok {
		return 0, false
	}
	i, err := strconv.ParseInt(v.Value, 10, 64)
	return i, err == nil
}

func getB(item map[string]types.AttributeValue, name string) ([]byte, bool) {
	v, ok := item[name].(*types.AttributeValueMemberB)
	if !ok {
		return nil, false
	}
	return v.Value, true
}

// backoff is the wait after failures consecutive failed polls: the poll
// interval, doubled per failure, at most max.
func backoff(interval time.Duration, failures int, max time.Duration) time.Duration {
	d := interval
	for range failures {
		d *= 2
		if d >= max {
			return max
		}
	}
	return d
}
