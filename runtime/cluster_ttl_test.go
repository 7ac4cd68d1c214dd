package runtime_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/setgen/setgen/internal/redistest"
	"github.com/setgen/setgen/runtime"
)

// testClusterTTL runs TTL sets on a cluster: every method, expiry of
// members and of the key, and the algebra against a model of the live
// members, server-side in one script when the keys share a slot and
// client-side (one read per set) when they do not.
func testClusterTTL(t *testing.T, c *redistest.Cluster, cm *runtime.ConnectionManager) {
	ctx := ctxT(t)
	newSet := func(key string) *runtime.TTLSet[string] {
		return runtime.NewTTLSet[string](cm, "test.StrTTLSet", key, strCodec{})
	}

	t.Run("EveryMethod", func(t *testing.T) {
		s := newSet("ttl:every")
		if n, err := s.Add(ctx, time.Minute, "a", "b", "c"); err != nil || n != 3 {
			t.Fatalf("Add = %d, %v", n, err)
		}
		if n, err := s.Add(ctx, 50*time.Millisecond, "short"); err != nil || n != 1 {
			t.Fatalf("Add(short) = %d, %v", n, err)
		}
		for range 2 { // the second answer is cached
			if ok, err := s.Contains(ctx, "a"); err != nil || !ok {
				t.Fatalf("Contains(a) = %v, %v", ok, err)
			}
		}
		if got, err := s.ContainsMany(ctx, "a", "x", "short"); err != nil || !slices.Equal(got, []bool{true, false, true}) {
			t.Fatalf("ContainsMany = %v, %v", got, err)
		}
		if d, err := s.TTLOf(ctx, "b"); err != nil || d <= 50*time.Second || d > time.Minute {
			t.Fatalf("TTLOf(b) = %v, %v", d, err)
		}
		time.Sleep(300 * time.Millisecond) // short expires
		if ok, err := s.Contains(ctx, "short"); err != nil || ok {
			t.Fatalf("Contains(short) after its expiry = %v, %v", ok, err)
		}
		if got, err := s.Members(ctx); err != nil || !slices.Equal(sorted(got), []string{"a", "b", "c"}) {
			t.Fatalf("Members = %v, %v", got, err)
		}
		var all []string
		for m, err := range s.All(ctx) {
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, m)
		}
		if !slices.Equal(sorted(all), []string{"a", "b", "c"}) {
			t.Fatalf("All = %v", all)
		}
		if n, err := s.Size(ctx); err != nil || n != 3 {
			t.Fatalf("Size = %d, %v", n, err)
		}
		if n, err := s.Purge(ctx); err != nil || n != 1 {
			t.Fatalf("Purge = %d, %v (short had expired)", n, err)
		}
		if n, err := s.Remove(ctx, "a", "x"); err != nil || n != 1 {
			t.Fatalf("Remove = %d, %v", n, err)
		}
		if ok, err := s.Contains(ctx, "a"); err != nil || ok {
			t.Fatalf("Contains(a) after Remove = %v, %v (read-your-writes)", ok, err)
		}
		if err := s.Clear(ctx); err != nil {
			t.Fatal(err)
		}
		if n, err := s.Size(ctx); err != nil || n != 0 {
			t.Fatalf("Size after Clear = %d, %v", n, err)
		}

		// The key expires with its last member, on its node.
		last := newSet("ttl:last")
		added := time.Now()
		if _, err := last.Add(ctx, time.Second, "m"); err != nil {
			t.Fatal(err)
		}
		node := c.MasterOfKey(last.Key())
		pttl, err := node.CLI("PTTL", last.Key())
		if err != nil || pttl == "-1" || (pttl == "-2" && time.Since(added) < time.Second) {
			t.Fatalf("PTTL %s = %s, %v: the key should expire with its member", last.Key(), pttl, err)
		}
		deadline := time.Now().Add(5 * time.Second)
		for {
			out, err := node.CLI("EXISTS", last.Key())
			if err == nil && out == "0" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("EXISTS %s = %s, %v 5 s after its last member expired", last.Key(), out, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	})

	t.Run("AlgebraModel", func(t *testing.T) {
		// A manager of its own, which never reads the server's clock (no
		// cached Contains), so the scripts counted are the algebra's.
		own := newClusterManager(t, c, nil)
		newSet := func(key string) *runtime.TTLSet[string] {
			return runtime.NewTTLSet[string](own, "test.StrTTLSet", key, strCodec{})
		}
		seed := uint64(time.Now().UnixNano())
		rng := rand.New(rand.NewPCG(seed, 11))
		t.Logf("seed %d", seed)
		for trial := range 20 {
			for _, tagged := range []bool{true, false} {
				testTTLAlgebraTrial(t, c, rng, trial, tagged, newSet)
			}
		}
	})
}

// testTTLAlgebraTrial fills 3 to 5 TTL sets with live members and members
// that have expired, and checks the algebra against the live ones; it
// counts the scripts the servers ran for one Union: one (server-side) when
// the keys share a slot, one read per set otherwise.
func testTTLAlgebraTrial(t *testing.T, c *redistest.Cluster, rng *rand.Rand, trial int, tagged bool, newSet func(string) *runtime.TTLSet[string]) {
	t.Helper()
	ctx := ctxT(t)
	key := func(name string) string {
		if tagged {
			return runtime.HashTagKey(fmt.Sprintf("ttl%d", trial), name)
		}
		return fmt.Sprintf("ttlalg:%d:%s", trial, name)
	}
	nsets := 3 + rng.IntN(3)
	sets := make([]runtime.TTLSetAPI[string], nsets)
	live := make([]setModel, nsets)
	slots := map[uint16]bool{}
	for i := range sets {
		s := newSet(key(strconv.Itoa(i)))
		sets[i] = s
		slots[runtime.Slot(s.Key())] = true
		live[i] = setModel{}
		var long, short []string
		for range rng.IntN(25) {
			m := "m" + strconv.Itoa(rng.IntN(40))
			if rng.IntN(3) == 0 {
				short = append(short, m)
			} else {
				long = append(long, m)
			}
		}
		// Short-lived first: a member in both lists ends up long-lived.
		if _, err := s.Add(ctx, time.Millisecond, short...); err != nil {
			t.Fatalf("trial %d: Add(short): %v", trial, err)
		}
		if _, err := s.Add(ctx, time.Minute, long...); err != nil {
			t.Fatalf("trial %d: Add(long): %v", trial, err)
		}
		for _, m := range long {
			live[i][m] = true
		}
	}
	if tagged != (len(slots) == 1) {
		t.Fatalf("trial %d (tagged %v): keys span %d slots", trial, tagged, len(slots))
	}
	time.Sleep(5 * time.Millisecond) // the short-lived members expire
	check := func(what string, got []string, err error, want setModel) {
		t.Helper()
		if err != nil || !slices.Equal(sorted(got), want.list()) {
			t.Fatalf("trial %d (tagged %v) %s = %v, %v; want %v", trial, tagged, what, sorted(got), err, want.list())
		}
	}
	got, err := sets[0].Union(ctx, sets[1:]...)
	check("Union", got, err, modelAlgebra("union", live))
	got, err = sets[0].Intersect(ctx, sets[1:]...)
	inter := modelAlgebra("inter", live)
	check("Intersect", got, err, inter)
	got, err = sets[0].Diff(ctx, sets[1:]...)
	check("Diff", got, err, modelAlgebra("diff", live))
	for _, limit := range []int64{0, 1} {
		want := int64(len(inter))
		if limit > 0 {
			want = min(want, limit)
		}
		if n, err := sets[0].IntersectSize(ctx, limit, sets[1:]...); err != nil || n != want {
			t.Fatalf("trial %d (tagged %v) IntersectSize(limit %d) = %d, %v; want %d", trial, tagged, limit, n, err, want)
		}
	}

	resetClusterStats(t, c)
	if _, err := sets[0].Union(ctx, sets[1:]...); err != nil {
		t.Fatal(err)
	}
	calls := clusterCmdCalls(t, c, "evalsha", "eval")
	want := nsets // client-side: one read of each set
	if tagged {
		want = 1 // server-side: one script over every key
	}
	if got := calls["evalsha"] + calls["eval"]; got != want {
		t.Fatalf("trial %d (tagged %v): Union of %d sets ran %d scripts, want %d", trial, tagged, nsets, got, want)
	}
}
