package runtime_test

import (
	"context"
	"slices"
	"testing"

	"github.com/setgen/setgen/internal/redistest"
	"github.com/setgen/setgen/runtime"
)

func TestSmoke(t *testing.T) {
	srv := redistest.Start(t, redistest.Config{})
	cm := newManager(t, srv, nil)
	ctx := ctxT(t)
	s := runtime.NewSet[string](cm, "test.StrSet", "a", strCodec{})
	n, err := s.Add(ctx, "x", "y", "x")
	if err != nil || n != 2 {
		t.Fatalf("Add = %d, %v", n, err)
	}
	ok, err := s.Contains(ctx, "x")
	if err != nil || !ok {
		t.Fatalf("Contains = %v, %v", ok, err)
	}
	if _, err := s.Remove(ctx, "x"); err != nil {
		t.Fatal(err)
	}
	ok, err = s.Contains(ctx, "x")
	if err != nil || ok {
		t.Fatalf("Contains after remove = %v, %v", ok, err)
	}
	ms, err := s.Members(ctx)
	slices.Sort(ms)
	if err != nil || !slices.Equal(ms, []string{"y"}) {
		t.Fatalf("Members = %v, %v", ms, err)
	}
	out, err := srv.CLI("SMEMBERS", "a")
	if err != nil || out != "y" {
		t.Fatalf("redis-cli SMEMBERS = %q, %v", out, err)
	}
	is := runtime.NewSet[item](cm, "test.ItemSet", "items", itemCodec{})
	a := item{ID: "1", Tags: map[string]int{"b": 2, "a": 1, "c": 3}}
	b := item{ID: "1", Tags: map[string]int{"c": 3, "a": 1, "b": 2}}
	if n, err := is.Add(ctx, a, b); err != nil || n != 1 {
		t.Fatalf("Add equal items = %d, %v", n, err)
	}
	got, err := is.Members(ctx)
	if err != nil || len(got) != 1 || got[0].Tags["c"] != 3 {
		t.Fatalf("Members = %+v, %v", got, err)
	}
	var nilCtx context.Context
	if h := cm.Health(nilCtx); h.Status != runtime.StatusHealthy {
		t.Fatalf("Health(nil context) = %+v", h)
	}
}
