package testtypes_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.uber.org/mock/gomock"

	"github.com/setgen/setgen/internal/redistest"
	"github.com/setgen/setgen/internal/testtypes"
	"github.com/setgen/setgen/internal/testtypes/testtypesmock"
	"github.com/setgen/setgen/runtime"
)

// TestGeneratedTTLSet: a set generated with -ttl, of struct members,
// against a real server: cached answers honour each member's expiry.
func TestGeneratedTTLSet(t *testing.T) {
	srv := redistest.Start(t, redistest.Config{})
	cm, err := runtime.NewConnectionManager(runtime.Options{Addrs: []string{srv.Addr}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cm.Close)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	visits := testtypes.NewVisitTTLSet(cm, "visits")
	var _ testtypes.VisitTTLSetAPI = visits
	home, docs := testtypes.Visit{User: "ann", Page: "/"}, testtypes.Visit{User: "ann", Page: "/docs"}
	if n, err := visits.Add(ctx, time.Hour, home); err != nil || n != 1 {
		t.Fatalf("Add = %d, %v", n, err)
	}
	if n, err := visits.Add(ctx, 200*time.Millisecond, docs); err != nil || n != 1 {
		t.Fatalf("Add = %d, %v", n, err)
	}
	if got, err := visits.ContainsMany(ctx, home, docs); err != nil || !got[0] || !got[1] {
		t.Fatalf("ContainsMany = %v, %v", got, err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		ok, err := visits.Contains(ctx, docs)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the short visit never expired")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if n, err := visits.Size(ctx); err != nil || n != 1 {
		t.Fatalf("Size = %d, %v", n, err)
	}
	if ms, err := visits.Members(ctx); err != nil || len(ms) != 1 || ms[0] != home {
		t.Fatalf("Members = %v, %v", ms, err)
	}
	// A nil set and a mock operand are errors, not panics.
	var none *testtypes.VisitTTLSet
	if _, err := none.Size(ctx); err == nil || err.Error() != "testtypes.VisitTTLSet().Size: setgen: invalid argument: nil *testtypes.VisitTTLSet" {
		t.Fatalf("nil TTL set: %v", err)
	}
	mock := testtypesmock.NewMockVisitTTLSetAPI(gomock.NewController(t))
	if _, err := visits.Union(ctx, mock); !errors.Is(err, runtime.ErrInvalidArgument) {
		t.Fatalf("Union with a mock = %v", err)
	}
}

// TestTTLSetMock: the generated mock of a TTL set works as gomock mocks do.
func TestTTLSetMock(t *testing.T) {
	m := testtypesmock.NewMockVisitTTLSetAPI(gomock.NewController(t))
	v := testtypes.Visit{User: "bob", Page: "/"}
	m.EXPECT().Add(gomock.Any(), time.Minute, v).Return(int64(1), nil)
	m.EXPECT().TTLOf(gomock.Any(), v).Return(time.Minute, nil)
	var api testtypes.VisitTTLSetAPI = m
	if n, err := api.Add(context.Background(), time.Minute, v); err != nil || n != 1 {
		t.Fatalf("mock Add = %d, %v", n, err)
	}
	if d, err := api.TTLOf(context.Background(), v); err != nil || d != time.Minute {
		t.Fatalf("mock TTLOf = %v, %v", d, err)
	}
}
