package runtime_test

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/setgen/setgen/internal/redistest"
	"github.com/setgen/setgen/runtime"
)

// TestConcurrentLoad runs 64 goroutines of mixed operations on private and
// shared sets through one ConnectionManager (auto-pipelined, cached). Each
// goroutine only ever writes members of its own, so it knows exactly what
// every read must return, even on shared keys; at the end the server's
// state must equal the union of the goroutines' models.
func TestConcurrentLoad(t *testing.T) {
	const (
		goroutines = 64
		opsEach    = 2000
		sharedKeys = 4
		space      = 40 // members per goroutine
	)
	srv := redistest.Start(t, redistest.Config{})
	cm := newManager(t, srv, func(o *runtime.Options) { o.KeyPrefix = "load:" })
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	shared := make([]*runtime.Set[string], sharedKeys)
	for i := range shared {
		shared[i] = runtime.NewSet[string](cm, "test.S", fmt.Sprintf("shared:%d", i), strCodec{})
	}
	const commons = 10
	type result struct {
		priv   map[string]bool
		shared [sharedKeys]map[string]bool
	}
	results := make([]result, goroutines)
	var ops, failures atomic.Int64
	start := time.Now()
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(g), 99))
			priv := runtime.NewSet[string](cm, "test.S", fmt.Sprintf("priv:%d", g), strCodec{})
			mp := map[string]bool{}
			var ms [sharedKeys]map[string]bool
			for i := range ms {
				ms[i] = map[string]bool{}
			}
			member := func() string { return fmt.Sprintf("g%d:%d", g, rng.IntN(space)) }
			fail := func(format string, args ...any) {
				failures.Add(1)
				t.Errorf("goroutine %d: "+format, append([]any{g}, args...)...)
			}
			for op := 0; op < opsEach && failures.Load() == 0; op++ {
				ops.Add(1)
				switch r := rng.IntN(100); {
				case r < 22: // Add to the private set
					batch := []string{member(), member(), member()}[:1+rng.IntN(3)]
					want := 0
					for _, m := range batch {
						if !mp[m] {
							mp[m] = true
							want++
						}
					}
					if n, err := priv.Add(ctx, batch...); err != nil || n != int64(want) {
						fail("Add(%v) = %d, %v; want %d", batch, n, err, want)
					}
				case r < 36: // Remove from it
					m := member()
					want := int64(0)
					if mp[m] {
						want = 1
						delete(mp, m)
					}
					if n, err := priv.Remove(ctx, m); err != nil || n != want {
						fail("Remove(%s) = %d, %v; want %d", m, n, err, want)
					}
				case r < 56: // Contains: read-your-writes through the cache
					m := member()
					if ok, err := priv.Contains(ctx, m); err != nil || ok != mp[m] {
						fail("Contains(%s) = %v, %v; want %v", m, ok, err, mp[m])
					}
				case r < 61:
					batch := []string{member(), member(), member(), member(), member()}
					got, err := priv.ContainsMany(ctx, batch...)
					if err != nil || len(got) != len(batch) {
						fail("ContainsMany = %v, %v", got, err)
						break
					}
					for i, m := range batch {
						if got[i] != mp[m] {
							fail("ContainsMany(%s) = %v; want %v", m, got[i], mp[m])
						}
					}
				case r < 66:
					if n, err := priv.Size(ctx); err != nil || n != int64(len(mp)) {
						fail("Size = %d, %v; want %d", n, err, len(mp))
					}
				case r < 68:
					got, err := priv.Members(ctx)
					slices.Sort(got)
					if want := slices.Sorted(maps.Keys(mp)); err != nil || !slices.Equal(got, want) {
						fail("Members = %v, %v; want %v", got, err, want)
					}
				case r < 70: // Pop one
					got, err := priv.Pop(ctx, 1)
					if err != nil || len(got) != min(1, len(mp)) {
						fail("Pop(1) = %v, %v with %d members", got, err, len(mp))
						break
					}
					for _, m := range got {
						if !mp[m] {
							fail("Pop returned %s, not a member", m)
						}
						delete(mp, m)
					}
				case r < 74: // Move a private member to a shared set
					m, k := member(), rng.IntN(sharedKeys)
					ok, err := priv.Move(ctx, shared[k], m)
					if err != nil || ok != mp[m] {
						fail("Move(%s) = %v, %v; want %v", m, ok, err, mp[m])
						break
					}
					if ok {
						delete(mp, m)
						ms[k][m] = true
					}
				case r < 84: // Add own member to a shared set
					m, k := member(), rng.IntN(sharedKeys)
					want := int64(0)
					if !ms[k][m] {
						want = 1
						ms[k][m] = true
					}
					if n, err := shared[k].Add(ctx, m); err != nil || n != want {
						fail("shared Add(%s) = %d, %v; want %d", m, n, err, want)
					}
				case r < 92: // Remove own member from a shared set
					m, k := member(), rng.IntN(sharedKeys)
					want := int64(0)
					if ms[k][m] {
						want = 1
						delete(ms[k], m)
					}
					if n, err := shared[k].Remove(ctx, m); err != nil || n != want {
						fail("shared Remove(%s) = %d, %v; want %d", m, n, err, want)
					}
				case r < 97: // Contains own member of a shared set others keep changing
					m, k := member(), rng.IntN(sharedKeys)
					if ok, err := shared[k].Contains(ctx, m); err != nil || ok != ms[k][m] {
						fail("shared Contains(%s) = %v, %v; want %v", m, ok, err, ms[k][m])
					}
				default: // members everyone adds and nobody removes
					if _, err := shared[0].Add(ctx, fmt.Sprintf("common:%d", rng.IntN(commons))); err != nil {
						fail("common Add: %v", err)
					}
				}
			}
			results[g] = result{priv: mp, shared: ms}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	t.Logf("%d ops by %d goroutines in %v (%.0f ops/s)", ops.Load(), goroutines, elapsed, float64(ops.Load())/elapsed.Seconds())
	if failures.Load() > 0 {
		t.FailNow()
	}

	// Final state equals the model.
	check := ctxT(t)
	var wantShared [sharedKeys][]string
	for g, r := range results {
		priv := runtime.NewSet[string](cm, "test.S", fmt.Sprintf("priv:%d", g), strCodec{})
		got, err := priv.Members(check)
		slices.Sort(got)
		if want := slices.Sorted(maps.Keys(r.priv)); err != nil || !slices.Equal(got, want) {
			t.Fatalf("priv:%d = %v, %v; want %v", g, got, err, want)
		}
		for k := range sharedKeys {
			wantShared[k] = append(wantShared[k], slices.Collect(maps.Keys(r.shared[k]))...)
		}
	}
	for k, s := range shared {
		got, err := s.Members(check)
		if err != nil {
			t.Fatal(err)
		}
		var own []string
		commonSeen := 0
		for _, m := range got {
			if k == 0 && len(m) > 7 && m[:7] == "common:" {
				commonSeen++
				continue
			}
			own = append(own, m)
		}
		slices.Sort(own)
		slices.Sort(wantShared[k])
		if !slices.Equal(own, wantShared[k]) {
			t.Fatalf("shared:%d holds %d goroutine members, want %d", k, len(own), len(wantShared[k]))
		}
		if k == 0 && (commonSeen == 0 || commonSeen > commons) {
			t.Fatalf("shared:0 holds %d common members", commonSeen)
		}
		if n, err := s.Size(check); err != nil || n != int64(len(got)) {
			t.Fatalf("shared:%d Size = %d, %v; Members has %d", k, n, err, len(got))
		}
	}
	wantBreakerClosed(t, cm)
}
