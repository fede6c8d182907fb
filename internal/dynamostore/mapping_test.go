package dynamostore_test

import (
	"context"
	"testing"
	"time"

	"github.com/secds/secds/internal/dynamostore"
	"github.com/secds/secds/internal/mapstore"
	"github.com/secds/secds/internal/mapstore/conformance"
	"github.com/secds/secds/internal/testutil/moto"
)

var testKeys = [][]byte{[]byte("0123456789abcdef0123456789abcdef")}

// newMapping is a store on a fresh table of srv, seeded with seed.
func newMapping(t testing.TB, srv *moto.Server, table string, seed []byte) *dynamostore.Mapping {
	t.Helper()
	m, err := dynamostore.NewMapping(srv.DynamoDB(), dynamostore.MappingOptions{Table: table, Keys: testKeys, PollInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if seed != nil {
		if ok, err := m.Seed(context.Background(), seed, mapstore.Change{Author: "seed", Reason: "seed"}); err != nil || !ok {
			t.Fatalf("Seed = %v, %v", ok, err)
		}
	}
	return m
}

// TestConformance runs the mapping-store suite every backend passes against
// a table in moto_server, through the real SDK client.
func TestConformance(t *testing.T) {
	srv := moto.Start(t)
	conformance.Run(t, func(t *testing.T, seed []byte) mapstore.Store {
		return newMapping(t, srv, srv.NewTable(t), seed)
	})
}

func TestCheckTable(t *testing.T) {
	srv := moto.Start(t)
	table := srv.NewTable(t)
	if err := dynamostore.CheckTable(context.Background(), srv.DynamoDB(), table); err != nil {
		t.Fatalf("CheckTable(%s) = %v", table, err)
	}
	err := dynamostore.CheckTable(context.Background(), srv.DynamoDB(), "no-such-table")
	if err == nil || !contains(err.Error(), `"no-such-table" does not exist`) {
		t.Fatalf("CheckTable(missing) = %v", err)
	}
}
