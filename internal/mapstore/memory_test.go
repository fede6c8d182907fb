package mapstore_test

import (
	"context"
	"errors"
	"testing"

	"github.com/secds/secds/internal/mapstore"
	"github.com/secds/secds/internal/mapstore/conformance"
)

func TestMemoryConformance(t *testing.T) {
	conformance.Run(t, func(t *testing.T, seed []byte) mapstore.Store {
		return mapstore.NewMemory(seed, mapstore.Change{Author: "test"}, nil)
	})
}

func TestMemoryStartsEmpty(t *testing.T) {
	s := mapstore.NewMemory(nil, mapstore.Change{}, nil)
	if _, err := s.Get(context.Background()); !errors.Is(err, mapstore.ErrNotFound) {
		t.Fatalf("Get on an empty store: %v, want ErrNotFound", err)
	}
	r, err := s.Put(context.Background(), []byte("a"), mapstore.Version{}, mapstore.Change{})
	if err != nil || r.Number != 1 {
		t.Fatalf("first Put = %v, %v; want version 1", r.Version, err)
	}
}
