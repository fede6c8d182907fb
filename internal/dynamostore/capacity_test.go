package dynamostore_test

import (
	"context"
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/secds/secds/internal/dynamostore"
	"github.com/secds/secds/internal/mapstore"
	"github.com/secds/secds/internal/testutil"
	"github.com/secds/secds/internal/testutil/moto"
)

// itemSize is an item's size as DynamoDB bills it: each attribute's name
// plus its value (strings and binaries their length, numbers about one byte
// per two digits plus one).
func itemSize(item map[string]types.AttributeValue) int {
	n := 0
	for name, v := range item {
		n += len(name)
		switch v := v.(type) {
		case *types.AttributeValueMemberS:
			n += len(v.Value)
		case *types.AttributeValueMemberB:
			n += len(v.Value)
		case *types.AttributeValueMemberN:
			n += (len(strings.TrimLeft(v.Value, "-0"))+1)/2 + 1
		}
	}
	return n
}

// readUnits is a strongly consistent read of size bytes: one unit per 4 KB,
// at least one.
func readUnits(size int) float64 { return math.Max(1, math.Ceil(float64(size)/4096)) }

// TestCapacityOfAThreeReplicaDeployment measures what three replicas with
// the default poll interval ask of the table while idle and for one admin
// edit of the example mapping, by counting the calls that reach the table
// (through a proxy in front of moto_server) and pricing each by the size of
// the items it reads or writes, by DynamoDB's documented rules. The figures
// go in the log (go test -v -run Capacity) and docs/dynamodb.md.
func TestCapacityOfAThreeReplicaDeployment(t *testing.T) {
	if testing.Short() {
		t.Skip("measures for several seconds")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv := moto.Start(t)
	table := srv.NewTable(t)
	root, err := testutil.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	example, err := os.ReadFile(root + "/configs/teams.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	proxy := srv.NewFaultProxy(t)
	var lives []*mapstore.Live
	for i := range 3 {
		m, err := dynamostore.NewMapping(proxy.DynamoDB(), dynamostore.MappingOptions{Table: table, Keys: testKeys})
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			if _, err := m.Seed(ctx, example, mapstore.Change{Author: "secds-broker", Reason: "seed from teams.yaml"}); err != nil {
				t.Fatal(err)
			}
		}
		live, err := mapstore.NewLive(ctx, m, mapstore.LiveOptions{Name: "teams.yaml"})
		if err != nil {
			t.Fatal(err)
		}
		lives = append(lives, live)
		if _, err := dynamostore.NewRevocations(ctx, proxy.DynamoDB(), dynamostore.RevocationOptions{Table: table}); err != nil {
			t.Fatal(err)
		}
	}
	head := getItem(t, srv, table, "mapping", "head")
	version := getItem(t, srv, table, "mapping", "v#0000000000000000001")
	headRU, versionRU := readUnits(itemSize(head)), readUnits(itemSize(version))

	// Idle: every replica reads the head item and the revocations each
	// second.
	time.Sleep(time.Second) // past the start-up reads
	before := proxy.Calls()
	const idle = 6 * time.Second
	time.Sleep(idle)
	after := proxy.Calls()
	gets, queries := after["GetItem"]-before["GetItem"], after["Query"]-before["Query"]
	writes := after["PutItem"] + after["UpdateItem"] + after["TransactWriteItems"] - before["PutItem"] - before["UpdateItem"] - before["TransactWriteItems"]
	perSecond := float64(gets+queries) / idle.Seconds()
	const month = time.Duration(30.44 * 24 * float64(time.Hour))
	// An empty revocations partition still costs the minimum unit.
	idleRU := (float64(gets)*headRU + float64(queries)*1) / idle.Seconds() * month.Seconds()
	t.Logf("idle, 3 replicas, poll 1s: %d GetItem + %d Query in %s (%.1f reads/s), %d writes; head item %d B (%.0f RU), revocations query 1 RU → %.1f M read units per month (%.2f M per replica)",
		gets, queries, idle, perSecond, writes, itemSize(head), headRU, idleRU/1e6, idleRU/3e6)
	if writes != 0 {
		t.Errorf("%d writes while idle", writes)
	}
	// At most two reads per replica per poll interval: the cost bound the
	// docs give. (A loaded machine answers slower, and polls wait a full
	// interval after each answer, so fewer is fine; none is not.)
	if perSecond > 6.5 || perSecond < 1 {
		t.Errorf("%.1f reads a second, want at most 6 (2 per replica) and some", perSecond)
	}

	// One admin edit through replica 0, until every replica serves it.
	before = proxy.Calls()
	cur := lives[0].State().Serving
	rev, err := lives[0].Update(ctx, mapstore.Update{Content: append(example, "# edited\n"...), Expected: cur.Version, Reason: "edit"})
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range lives {
		for l.State().Serving.Number != rev.Number {
			time.Sleep(10 * time.Millisecond)
		}
	}
	after = proxy.Calls()
	edited := getItem(t, srv, table, "mapping", "v#0000000000000000002")
	editWU := 2*math.Ceil(float64(itemSize(edited))/1024) + 2*math.Ceil(float64(itemSize(head))/1024)
	loads := after["GetItem"] - before["GetItem"] // head polls and the new version's reads, mixed
	t.Logf("one edit of the example mapping (%d B; version item %d B): %d TransactWriteItems = %.0f write units; each of the other 2 replicas reads the new version once (%.0f RU each, consistent), %d GetItem in all during the edit window",
		len(example), itemSize(edited), after["TransactWriteItems"]-before["TransactWriteItems"], editWU, versionRU, loads)
	if after["TransactWriteItems"]-before["TransactWriteItems"] != 1 {
		t.Errorf("%d transactions for one edit", after["TransactWriteItems"]-before["TransactWriteItems"])
	}
}

func getItem(t *testing.T, srv *moto.Server, table, pk, sk string) map[string]types.AttributeValue {
	t.Helper()
	out, err := srv.DynamoDB().GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String(table), ConsistentRead: aws.Bool(true),
		Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: pk}, "sk": &types.AttributeValueMemberS{Value: sk}}})
	if err != nil || len(out.Item) == 0 {
		t.Fatalf("get %s/%s: %v", pk, sk, err)
	}
	return out.Item
}
