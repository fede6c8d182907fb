package dynamostore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// codePrefix starts the partition key of a spent login code. Each code is
// its own partition: spending one never contends with another.
const codePrefix = "code#"

// attrSpender is the nonce of the attempt that spent a code.
const attrSpender = "spender"

// Codes records spent CLI login codes in the table, so that a code works
// once across every replica.
type Codes struct {
	c     API
	table string
}

// NewCodes returns the spent-code record on table.
func NewCodes(c API, table string) (*Codes, error) {
	if table == "" {
		return nil, errors.New("dynamodb code store: no table name")
	}
	return &Codes{c: c, table: table}, nil
}

// Spend records code id as used until it would have expired and reports
// whether it was fresh: a conditional put, so of two replicas spending one
// code at once exactly one succeeds. The item's expires_at lets DynamoDB's
// Time to Live remove it afterwards.
func (c *Codes) Spend(ctx context.Context, id string, until time.Time) (bool, error) {
	if id == "" {
		return false, errors.New("spend login code: no code id")
	}
	// The attempt's nonce tells our own earlier attempt (the SDK retrying
	// after a lost response) from another replica's spend.
	nonce := requestToken()
	item := key(codePrefix+id, "code")
	item[AttrExpires] = n(until.Unix() + 1)
	item[attrSpender] = s(nonce)
	_, err := c.c.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(c.table), Item: item,
		ConditionExpression:                 aws.String("attribute_not_exists(#pk)"),
		ExpressionAttributeNames:            map[string]string{"#pk": AttrPK},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	var cf *types.ConditionalCheckFailedException
	switch {
	case err == nil:
		return true, nil
	case errors.As(err, &cf):
		return getS(cf.Item, attrSpender) == nonce, nil
	default:
		return false, fmt.Errorf("record the login code as used in DynamoDB table %s: %w", c.table, describe(err))
	}
}
