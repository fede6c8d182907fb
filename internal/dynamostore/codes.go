package dynamostore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/secds/secds/auth"
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

// userCodePrefix starts the partition key of a pending user code.
const userCodePrefix = "usercode#"

// Attributes of a pending user code.
const (
	attrSealed = "sealed" // the sealed login code it stands for (encrypted with the session keys)
	attrTaken  = "taken"
)

// PendingCodes keeps what short CLI user codes stand for (auth.PendingCodes)
// in the table, so a code shown by one replica is redeemed on any, once.
type PendingCodes struct {
	c     API
	table string
	now   func() time.Time
}

// NewPendingCodes returns the pending user codes on table. now may be nil.
func NewPendingCodes(c API, table string, now func() time.Time) (*PendingCodes, error) {
	if table == "" {
		return nil, errors.New("dynamodb user code store: no table name")
	}
	if now == nil {
		now = time.Now
	}
	return &PendingCodes{c: c, table: table, now: now}, nil
}

// Put stores sealed under userCode until until, unless the code is in use:
// a conditional put (an expired item Time to Live has not removed yet may
// be replaced).
func (p *PendingCodes) Put(ctx context.Context, userCode, sealed string, until time.Time) (bool, error) {
	item := key(userCodePrefix+userCode, "usercode")
	item[attrSealed] = s(sealed)
	item[AttrExpires] = n(until.Unix())
	_, err := p.c.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(p.table), Item: item,
		ConditionExpression:       aws.String("attribute_not_exists(#pk) OR #exp < :now"),
		ExpressionAttributeNames:  map[string]string{"#pk": AttrPK, "#exp": AttrExpires},
		ExpressionAttributeValues: map[string]types.AttributeValue{":now": n(p.now().Unix())},
	})
	switch {
	case err == nil:
		return true, nil
	case conditionFailed(err):
		return false, nil
	default:
		return false, fmt.Errorf("keep a sign-in code in DynamoDB table %s: %w", p.table, describe(err))
	}
}

// Take returns what userCode stands for, marking it taken with a
// conditional update: of two replicas taking one code, one gets it.
func (p *PendingCodes) Take(ctx context.Context, userCode string) (string, auth.CodeState, error) {
	out, err := p.c.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                           aws.String(p.table),
		Key:                                 key(userCodePrefix+userCode, "usercode"),
		UpdateExpression:                    aws.String("SET #taken = :now"),
		ConditionExpression:                 aws.String("attribute_exists(#pk) AND attribute_not_exists(#taken) AND #exp >= :now"),
		ExpressionAttributeNames:            map[string]string{"#pk": AttrPK, "#taken": attrTaken, "#exp": AttrExpires},
		ExpressionAttributeValues:           map[string]types.AttributeValue{":now": n(p.now().Unix())},
		ReturnValues:                        types.ReturnValueAllNew,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	var cf *types.ConditionalCheckFailedException
	switch {
	case err == nil:
		sealed := getS(out.Attributes, attrSealed)
		if sealed == "" {
			return "", auth.CodeUnknown, nil
		}
		return sealed, auth.CodeFresh, nil
	case errors.As(err, &cf):
		exp, _ := getN(cf.Item, AttrExpires)
		if _, taken := cf.Item[attrTaken]; taken && exp >= p.now().Unix() {
			return "", auth.CodeUsed, nil
		}
		return "", auth.CodeUnknown, nil
	default:
		return "", auth.CodeUnknown, fmt.Errorf("check a sign-in code in DynamoDB table %s: %w", p.table, describe(err))
	}
}
