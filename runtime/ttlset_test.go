package runtime_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
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
	// Members stored but expired count as added again, whether the write's
	// cleanup removed them first (the first 100) or not (ZMSCORE tells).
	expired := make([]string, 300)
	for i := range expired {
		expired[i] = "e" + strconv.Itoa(i)
	}
	if _, err := s.Add(ctx, time.Millisecond, expired...); err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * time.Millisecond)
	if n, err := s.Add(ctx, time.Hour, append(expired, "new")...); err != nil || n != 301 {
		t.Fatalf("Add of 300 expired members and a new one = %d, %v; want 301", n, err)
	}
	if n, err := s.Add(ctx, time.Hour, append(expired, "new")...); err != nil || n != 0 {
		t.Fatalf("Add of the same 301 live members = %d, %v; want 0", n, err)
	}
	if err := s.Clear(ctx); err != nil {
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

// TestTTLSetChurnMemoryFlat: steady writes of short-lived members leave
// a bounded number stored. Each write of k members removes up to 2k
// expired ones, so garbage cannot build up: with writes at least 10 ms
// apart and a ttl of 50 ms, at most 6 writes' members are live at once,
// and the expired ones stored never exceed what was live (they are what a
// pause let expire). Without the proportional cleanup (100 a write), the
// set would grow by 100 members a write.
func TestTTLSetChurnMemoryFlat(t *testing.T) {
	srv := redistest.Start(t, redistest.Config{})
	cm := newManager(t, srv, nil)
	ctx := ctxT(t)
	s := runtime.NewTTLSet[string](cm, "test.StrTTLSet", "churn", strCodec{})
	const (
		k      = 200
		writes = 150
		ttl    = 50 * time.Millisecond
		gap    = 10 * time.Millisecond
		live   = 6 * k // writes in one ttl window, at most
	)
	var maxCard int
	var mem []string
	for w := range writes {
		batch := make([]string, k)
		for i := range batch {
			batch[i] = "w" + strconv.Itoa(w) + ":" + strconv.Itoa(i)
		}
		if _, err := s.Add(ctx, ttl, batch...); err != nil {
			t.Fatal(err)
		}
		card, _ := strconv.Atoi(ttlServerCLI(t, srv, "ZCARD", "churn"))
		maxCard = max(maxCard, card)
		if card > 2*live+k {
			t.Fatalf("after write %d, %d members stored; at most %d can be live and as many expired", w, card, live)
		}
		if w%50 == 0 || w == writes-1 {
			mem = append(mem, ttlServerCLI(t, srv, "MEMORY", "USAGE", "churn"))
		}
		time.Sleep(gap)
	}
	t.Logf("%d writes of %d members living %v, %v apart: at most %d stored (bound %d); MEMORY USAGE of the key every 50 writes: %v bytes",
		writes, k, ttl, gap, maxCard, 2*live+k, mem)
}

// TestTTLSetLargeAlgebra: the server-side algebra over sets larger than
// one ZMSCORE batch (2,000 members), with expired members among them.
func TestTTLSetLargeAlgebra(t *testing.T) {
	srv := redistest.Start(t, redistest.Config{})
	cm := newManager(t, srv, nil)
	ctx := ctxT(t)
	a := runtime.NewTTLSet[string](cm, "test.StrTTLSet", "big:a", strCodec{})
	b := runtime.NewTTLSet[string](cm, "test.StrTTLSet", "big:b", strCodec{})
	members := func(from, to int) []string {
		out := make([]string, 0, to-from)
		for i := from; i < to; i++ {
			out = append(out, strconv.Itoa(i))
		}
		return out
	}
	// a: 0..4999 live; b: 2500..7499, of which 2500..3499 expired.
	if _, err := a.Add(ctx, time.Hour, members(0, 5000)...); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Add(ctx, time.Millisecond, members(2500, 3500)...); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Add(ctx, time.Hour, members(3500, 7500)...); err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * time.Millisecond)
	inter, err := a.Intersect(ctx, b)
	if err != nil || !slices.Equal(sorted(inter), sorted(members(3500, 5000))) {
		t.Fatalf("Intersect = %d members, %v; want 3500..4999", len(inter), err)
	}
	diff, err := a.Diff(ctx, b)
	if err != nil || !slices.Equal(sorted(diff), sorted(members(0, 3500))) {
		t.Fatalf("Diff = %d members, %v; want 0..3499", len(diff), err)
	}
	union, err := a.Union(ctx, b)
	if err != nil || !slices.Equal(sorted(union), sorted(slices.Concat(members(0, 2500), members(2500, 3500), members(3500, 7500)))) {
		t.Fatalf("Union = %d members, %v; want 0..7499", len(union), err)
	}
	if n, err := a.IntersectSize(ctx, 0, b); err != nil || n != 1500 {
		t.Fatalf("IntersectSize = %d, %v; want 1500", n, err)
	}
	if n, err := a.IntersectSize(ctx, 100, b); err != nil || n != 100 {
		t.Fatalf("IntersectSize(limit 100) = %d, %v; want 100", n, err)
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

// TestTTLSetConcurrent: goroutines share one TTL set (and its cache);
// each sees its own writes at once (read-your-writes) while the others
// write, and Size and Members stay consistent with what is live. Run it
// under -race.
func TestTTLSetConcurrent(t *testing.T) {
	srv := redistest.Start(t, redistest.Config{})
	cm := newManager(t, srv, nil)
	ctx := ctxT(t)
	s := runtime.NewTTLSet[string](cm, "test.StrTTLSet", "concurrent", strCodec{})
	const workers, rounds = 8, 100
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range rounds {
				m := "w" + strconv.Itoa(w) + ":" + strconv.Itoa(i%10)
				if _, err := s.Add(ctx, time.Minute, m); err != nil {
					errs <- err
					return
				}
				if ok, err := s.Contains(ctx, m); err != nil || !ok {
					errs <- fmt.Errorf("worker %d: Contains(%s) after Add = %v, %v", w, m, ok, err)
					return
				}
				if got, err := s.ContainsMany(ctx, m, "absent"); err != nil || !got[0] || got[1] {
					errs <- fmt.Errorf("worker %d: ContainsMany = %v, %v", w, got, err)
					return
				}
				if d, err := s.TTLOf(ctx, m); err != nil || d <= 0 || d > time.Minute {
					errs <- fmt.Errorf("worker %d: TTLOf = %v, %v", w, d, err)
					return
				}
				if i%3 == 0 {
					if _, err := s.Remove(ctx, m); err != nil {
						errs <- err
						return
					}
					if ok, err := s.Contains(ctx, m); err != nil || ok {
						errs <- fmt.Errorf("worker %d: Contains(%s) after Remove = %v, %v", w, m, ok, err)
						return
					}
				}
				if _, err := s.Size(ctx); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	members, err := s.Members(ctx)
	if err != nil {
		t.Fatal(err)
	}
	n, err := s.Size(ctx)
	if err != nil || n != int64(len(members)) || n == 0 || n > workers*10 {
		t.Fatalf("Size = %d, %v; Members has %d (at most %d distinct)", n, err, len(members), workers*10)
	}
}
