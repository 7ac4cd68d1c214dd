package runtime_test

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/setgen/setgen/internal/redistest"
	"github.com/setgen/setgen/runtime"
)

func ttlServerCLI(t *testing.T, srv *redistest.Server, args ...string) string {
	t.Helper()
	out, err := srv.CLI(args...)
	if err != nil {
		t.Fatalf("redis-cli %v: %v", args, err)
	}
	return out
}

// TestTTLSet: every method against a real server, expiry included.
func TestTTLSet(t *testing.T) {
	srv := redistest.Start(t, redistest.Config{})
	for _, cache := range []bool{true, false} {
		t.Run("cache="+strconv.FormatBool(cache), func(t *testing.T) {
			cm := newManager(t, srv, func(o *runtime.Options) { o.DisableCache = !cache; o.KeyPrefix = "app:" })
			ctx := ctxT(t)
			key := "ttl:" + strconv.FormatBool(cache)
			s := runtime.NewTTLSet[string](cm, "test.StrTTLSet", key, strCodec{})
			if n, err := s.Add(ctx, time.Hour, "a", "b", "c"); err != nil || n != 3 {
				t.Fatalf("Add = %d, %v", n, err)
			}
			if n, err := s.Add(ctx, time.Hour, "a", "d"); err != nil || n != 1 {
				t.Fatalf("Add again = %d, %v; want 1 (a was live)", n, err)
			}
			if _, err := s.Add(ctx, 0, "x"); !errors.Is(err, runtime.ErrInvalidArgument) {
				t.Fatalf("Add with ttl 0 = %v", err)
			}
			if n, err := s.Add(ctx, time.Hour); err != nil || n != 0 {
				t.Fatalf("Add(ctx, ttl) = %d, %v", n, err)
			}
			// Short-lived members: read-your-writes, then expiry with no write.
			if _, err := s.Add(ctx, 300*time.Millisecond, "short"); err != nil {
				t.Fatal(err)
			}
			if ok, err := s.Contains(ctx, "short"); err != nil || !ok {
				t.Fatalf("Contains(short) right after Add = %v, %v", ok, err)
			}
			if ok, err := s.Contains(ctx, "short"); err != nil || !ok { // a cache hit when cached
				t.Fatalf("Contains(short) again = %v, %v", ok, err)
			}
			if d, err := s.TTLOf(ctx, "short"); err != nil || d <= 0 || d > 300*time.Millisecond {
				t.Fatalf("TTLOf(short) = %v, %v", d, err)
			}
			if n, err := s.Size(ctx); err != nil || n != 5 {
				t.Fatalf("Size = %d, %v", n, err)
			}
			hits0 := cm.Health(ctx).Cache.Hits
			deadline := time.Now().Add(5 * time.Second)
			for {
				ok, err := s.Contains(ctx, "short")
				if err != nil {
					t.Fatal(err)
				}
				if !ok {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("Contains(short) still true 5 s after its expiry")
				}
				time.Sleep(10 * time.Millisecond)
			}
			if cache && cm.Health(ctx).Cache.Hits == hits0 {
				t.Fatal("the cached answer did not come from the cache")
			}
			if d, err := s.TTLOf(ctx, "short"); err != nil || d != runtime.NoKey {
				t.Fatalf("TTLOf(expired) = %v, %v", d, err)
			}
			if n, err := s.Size(ctx); err != nil || n != 4 {
				t.Fatalf("Size after expiry = %d, %v", n, err)
			}
			ms, err := s.Members(ctx)
			slices.Sort(ms)
			if err != nil || !slices.Equal(ms, []string{"a", "b", "c", "d"}) {
				t.Fatalf("Members = %v, %v", ms, err)
			}
			count := 0
			for m, err := range s.All(ctx) {
				if err != nil || m == "short" {
					t.Fatalf("All yielded %q, %v", m, err)
				}
				count++
			}
			if count != 4 {
				t.Fatalf("All yielded %d", count)
			}
			got, err := s.ContainsMany(ctx, "a", "short", "zz", "d")
			if err != nil || !slices.Equal(got, []bool{true, false, false, true}) {
				t.Fatalf("ContainsMany = %v, %v", got, err)
			}
			if n, err := s.Purge(ctx); err != nil || n != 1 {
				t.Fatalf("Purge = %d, %v; want the 1 expired member", n, err)
			}
			if n, err := s.Remove(ctx, "a", "zz"); err != nil || n != 1 {
				t.Fatalf("Remove = %d, %v", n, err)
			}
			if ok, err := s.Contains(ctx, "a"); err != nil || ok {
				t.Fatalf("Contains after Remove = %v, %v", ok, err)
			}
			// Algebra over live members.
			o := runtime.NewTTLSet[string](cm, "test.StrTTLSet", key+":o", strCodec{})
			if _, err := o.Add(ctx, time.Hour, "b", "x"); err != nil {
				t.Fatal(err)
			}
			if _, err := o.Add(ctx, time.Millisecond, "c"); err != nil {
				t.Fatal(err)
			}
			time.Sleep(5 * time.Millisecond)
			u, err := s.Union(ctx, o)
			slices.Sort(u)
			if err != nil || !slices.Equal(u, []string{"b", "c", "d", "x"}) {
				t.Fatalf("Union = %v, %v", u, err)
			}
			in, err := s.Intersect(ctx, o)
			if err != nil || !slices.Equal(in, []string{"b"}) {
				t.Fatalf("Intersect = %v, %v (c expired in o)", in, err)
			}
			d, err := s.Diff(ctx, o)
			slices.Sort(d)
			if err != nil || !slices.Equal(d, []string{"c", "d"}) {
				t.Fatalf("Diff = %v, %v", d, err)
			}
			if n, err := s.IntersectSize(ctx, 0, o); err != nil || n != 1 {
				t.Fatalf("IntersectSize = %d, %v", n, err)
			}
			// The key expires with its last member.
			if pttl := ttlServerCLI(t, srv, "PTTL", s.Key()); pttl == "-1" || pttl == "-2" {
				t.Fatalf("PTTL of the TTL set = %s; want the expiry of its last member", pttl)
			}
			last := runtime.NewTTLSet[string](cm, "test.StrTTLSet", key+":last", strCodec{})
			if _, err := last.Add(ctx, 100*time.Millisecond, "only"); err != nil {
				t.Fatal(err)
			}
			deadline = time.Now().Add(5 * time.Second)
			for ttlServerCLI(t, srv, "EXISTS", last.Key()) != "0" {
				if time.Now().After(deadline) {
					t.Fatal("the key of a TTL set whose last member expired still exists 5 s later")
				}
				time.Sleep(20 * time.Millisecond)
			}
			if err := s.Clear(ctx); err != nil {
				t.Fatal(err)
			}
			if n, err := s.Size(ctx); err != nil || n != 0 {
				t.Fatalf("Size after Clear = %d, %v", n, err)
			}
		})
	}
}

// TestTTLSetBoundedCleanup: writes remove expired members as they go
// (at most 100 each), so short-lived members do not pile up.
func TestTTLSetBoundedCleanup(t *testing.T) {
	srv := redistest.Start(t, redistest.Config{})
	cm := newManager(t, srv, nil)
	ctx := ctxT(t)
	s := runtime.NewTTLSet[string](cm, "test.StrTTLSet", "churn", strCodec{})
	for round := range 20 {
		batch := make([]string, 50)
		for i := range batch {
			batch[i] = strconv.Itoa(round*50 + i)
		}
		if _, err := s.Add(ctx, 2*time.Millisecond, batch...); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	card := ttlServerCLI(t, srv, "ZCARD", "churn")
	n, _ := strconv.Atoi(card)
	t.Logf("after 1,000 members of 2 ms added in 20 writes, %d remain stored", n)
	if n > 150 {
		t.Fatalf("%d members stored; writes should remove expired ones as they go", n)
	}
	if _, err := s.Purge(ctx); err != nil {
		t.Fatal(err)
	}
	// A member given twice in one call counts once, as SADD/SREM count.
	if n, err := s.Add(ctx, time.Hour, "dup", "dup", "other"); err != nil || n != 2 {
		t.Fatalf("Add with a duplicate = %d, %v; want 2", n, err)
	}
	if n, err := s.Remove(ctx, "dup", "dup"); err != nil || n != 1 {
		t.Fatalf("Remove with a duplicate = %d, %v; want 1", n, err)
	}
	// The longest ttl saturates instead of overflowing.
	if _, err := s.Add(ctx, time.Duration(1<<63-1), "forever"); err != nil {
		t.Fatal(err)
	}
	if d, err := s.TTLOf(ctx, "forever"); err != nil || d < 100*365*24*time.Hour {
		t.Fatalf("TTLOf(forever) = %v, %v", d, err)
	}
}

// TestTTLSetMockOperand: a TTL set refuses an operand that is not one.
func TestTTLSetErrors(t *testing.T) {
	var nilSet *runtime.TTLSet[string]
	if _, err := nilSet.Size(context.Background()); !errors.Is(err, runtime.ErrInvalidArgument) {
		t.Fatalf("nil TTL set: %v", err)
	}
	if _, err := runtime.NewTTLSet[string](nil, "x.T", "k", strCodec{}).Add(context.Background(), time.Second, "a"); !errors.Is(err, runtime.ErrInvalidArgument) {
		t.Fatalf("nil manager: %v", err)
	}
	if _, err := runtime.NewTTLSet[string](nil, "x.T", "k", strCodec{}).Union(context.Background(), nilSet); !errors.Is(err, runtime.ErrInvalidArgument) {
		t.Fatalf("nil operand: %v", err)
	}
}
