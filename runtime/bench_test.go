package runtime_test

import (
	"context"
	"fmt"
	goruntime "runtime"
	"testing"
	"time"

	"github.com/redis/rueidis"
	"github.com/vmihailenco/msgpack/v5"

	"github.com/setgen/setgen/internal/redistest"
	"github.com/setgen/setgen/internal/testtypes"
	"github.com/setgen/setgen/runtime"
)

// benchUser is the element type of the README's example, with the codec
// setgen generates for it.
type (
	benchUser      = testtypes.User
	benchUserCodec = testtypes.UserCodec
)

func benchUserN(i int) benchUser {
	return benchUser{
		ID:     fmt.Sprintf("user-%07d", i),
		Name:   fmt.Sprintf("User Number %d", i),
		Joined: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC).Add(time.Duration(i) * time.Second),
		Scores: map[string]int{"chess": i % 3000, "go": 1200 + i%7, "poker": -i % 11},
	}
}

func mustMarshal(b *testing.B, u benchUser) string {
	b.Helper()
	s, err := benchUserCodec{}.Append(nil, &u)
	if err != nil {
		b.Fatal(err)
	}
	return string(s)
}

// marshal encodes u as a member string, as a caller of raw rueidis would.
func marshal(u *benchUser) (string, error) {
	b, err := benchUserCodec{}.Append(nil, u)
	return string(b), err
}

// unmarshal decodes a member string.
func unmarshal(s string, u *benchUser) error { return benchUserCodec{}.Decode([]byte(s), u) }

// parallelism makes b.RunParallel use about 32 goroutines, as a busy
// service would.
func parallelism() int { return max(1, (32+goruntime.GOMAXPROCS(0)-1)/goruntime.GOMAXPROCS(0)) }

// BenchmarkRuntime runs every runtime comparison against one redis-server
// started for the run, so the figures are side by side. See BENCHMARKS.md.
func BenchmarkRuntime(b *testing.B) {
	srv := redistest.Start(b, redistest.Config{})
	ctx := context.Background()
	cached := newManager(b, srv, nil)
	uncached := newManager(b, srv, func(o *runtime.Options) { o.DisableCache = true })
	if !cached.CacheEnabled() {
		b.Fatal("cache is off")
	}

	const members = 1000
	users := make([]benchUser, members)
	encoded := make([]string, members)
	for i := range users {
		users[i] = benchUserN(i)
		encoded[i] = mustMarshal(b, users[i])
	}
	const key = "bench:users"
	setC := runtime.NewSet[benchUser](cached, "bench.UserSet", key, benchUserCodec{})
	setU := runtime.NewSet[benchUser](uncached, "bench.UserSet", key, benchUserCodec{})
	if n, err := setC.Add(ctx, users...); err != nil || n != members {
		b.Fatalf("Add = %d, %v", n, err)
	}

	// Uncached Contains under ~32 goroutines: the typed call (encode +
	// breaker + retry wrapper + SISMEMBER) against raw rueidis with the
	// member already encoded, on the very same client.
	b.Run("Contains/uncached/parallel32/typed", func(b *testing.B) {
		b.ReportAllocs()
		b.SetParallelism(parallelism())
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				ok, err := setU.Contains(ctx, users[i%members])
				if err != nil || !ok {
					b.Errorf("Contains = %v, %v", ok, err)
					return
				}
				i++
			}
		})
	})
	b.Run("Contains/uncached/parallel32/rueidis", func(b *testing.B) {
		c := uncached.Client()
		b.ReportAllocs()
		b.SetParallelism(parallelism())
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				ok, err := c.Do(ctx, c.B().Sismember().Key(key).Member(encoded[i%members]).Build()).AsBool()
				if err != nil || !ok {
					b.Errorf("SISMEMBER = %v, %v", ok, err)
					return
				}
				i++
			}
		})
	})
	// The same with the canonical encoding done per call: what remains
	// between this and typed is the breaker and retry wrapper.
	b.Run("Contains/uncached/parallel32/rueidis+UserCodec", func(b *testing.B) {
		c := uncached.Client()
		b.ReportAllocs()
		b.SetParallelism(parallelism())
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				m, err := marshal(&users[i%members])
				if err != nil {
					b.Error(err)
					return
				}
				ok, err := c.Do(ctx, c.B().Sismember().Key(key).Member(m).Build()).AsBool()
				if err != nil || !ok {
					b.Errorf("SISMEMBER = %v, %v", ok, err)
					return
				}
				i++
			}
		})
	})

	// One goroutine: a round trip per call.
	b.Run("Contains/uncached/serial/typed", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if ok, err := setU.Contains(ctx, users[i%members]); err != nil || !ok {
				b.Fatalf("Contains = %v, %v", ok, err)
			}
		}
	})
	b.Run("Contains/uncached/serial/rueidis", func(b *testing.B) {
		c := uncached.Client()
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if ok, err := c.Do(ctx, c.B().Sismember().Key(key).Member(encoded[i%members]).Build()).AsBool(); err != nil || !ok {
				b.Fatalf("SISMEMBER = %v, %v", ok, err)
			}
		}
	})

	// Cache hits, one goroutine, one member (its entry is warmed first).
	hot := users[7]
	hotEnc := encoded[7]
	if ok, err := setC.Contains(ctx, hot); err != nil || !ok {
		b.Fatalf("warm Contains = %v, %v", ok, err)
	}
	b.Run("Contains/cached-hit/typed", func(b *testing.B) {
		h0 := cached.Health(ctx).Cache.Hits
		b.ReportAllocs()
		for b.Loop() {
			if ok, err := setC.Contains(ctx, hot); err != nil || !ok {
				b.Fatalf("Contains = %v, %v", ok, err)
			}
		}
		b.StopTimer()
		if hits := cached.Health(ctx).Cache.Hits - h0; hits < uint64(b.N)*9/10 {
			b.Fatalf("%d hits for %d calls: not served from the cache", hits, b.N)
		}
	})
	b.Run("Contains/cached-hit/rueidis-preencoded", func(b *testing.B) {
		c := cached.Client()
		b.ReportAllocs()
		for b.Loop() {
			r := c.DoCache(ctx, c.B().Sismember().Key(key).Member(hotEnc).Cache(), time.Minute)
			if ok, err := r.AsBool(); err != nil || !ok || !r.IsCacheHit() {
				b.Fatalf("DoCache = %v, %v, hit %v", ok, err, r.IsCacheHit())
			}
		}
	})
	b.Run("Contains/cached-hit/rueidis+msgpack.Marshal", func(b *testing.B) {
		c := cached.Client()
		b.ReportAllocs()
		for b.Loop() {
			// Not canonical (map[string]int is not sorted by msgpack), so
			// the member may not be found: only the cost is measured.
			m, err := msgpack.Marshal(&hot)
			if err != nil {
				b.Fatal(err)
			}
			r := c.DoCache(ctx, c.B().Sismember().Key(key).Member(string(m)).Cache(), time.Minute)
			if r.Error() != nil {
				b.Fatal(r.Error())
			}
		}
	})
	b.Run("Contains/cached-hit/rueidis+UserCodec", func(b *testing.B) {
		c := cached.Client()
		b.ReportAllocs()
		for b.Loop() {
			m, err := marshal(&hot)
			if err != nil {
				b.Fatal(err)
			}
			r := c.DoCache(ctx, c.B().Sismember().Key(key).Member(m).Cache(), time.Minute)
			if ok, err := r.AsBool(); err != nil || !ok || !r.IsCacheHit() {
				b.Fatalf("DoCache = %v, %v, hit %v", ok, err, r.IsCacheHit())
			}
		}
	})

	// Add of 100k members in one call (encoding included), into an empty
	// set each time.
	const bulk = 100_000
	many := make([]benchUser, bulk)
	for i := range many {
		many[i] = benchUserN(i)
	}
	bulkSet := runtime.NewSet[benchUser](cached, "bench.UserSet", "bench:bulk", benchUserCodec{})
	b.Run("Add100k/typed", func(b *testing.B) {
		b.ReportAllocs()
		var busy time.Duration
		for b.Loop() {
			b.StopTimer()
			if err := bulkSet.Clear(ctx); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			start := time.Now()
			n, err := bulkSet.Add(ctx, many...)
			busy += time.Since(start)
			if err != nil || n != bulk {
				b.Fatalf("Add = %d, %v", n, err)
			}
		}
		b.ReportMetric(float64(bulk*b.N)/busy.Seconds(), "members/s")
	})
	manyEnc := make([]string, bulk)
	for i := range many {
		manyEnc[i] = mustMarshal(b, many[i])
	}
	b.Run("Add100k/rueidis-preencoded", func(b *testing.B) {
		c := cached.Client()
		b.ReportAllocs()
		var busy time.Duration
		for b.Loop() {
			b.StopTimer()
			if err := c.Do(ctx, c.B().Del().Key("bench:bulkraw").Build()).Error(); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			start := time.Now()
			cmds := make([]rueidis.Completed, 0, bulk/1000)
			for i := 0; i < bulk; i += 1000 {
				cmds = append(cmds, c.B().Sadd().Key("bench:bulkraw").Member(manyEnc[i:i+1000]...).Build())
			}
			var n int64
			for _, r := range c.DoMulti(ctx, cmds...) {
				v, err := r.AsInt64()
				if err != nil {
					b.Fatal(err)
				}
				n += v
			}
			busy += time.Since(start)
			if n != bulk {
				b.Fatalf("SADD added %d", n)
			}
		}
		b.ReportMetric(float64(bulk*b.N)/busy.Seconds(), "members/s")
	})
}

// TestBenchCodecAgrees makes sure the benchmarked codec round-trips, so the
// codec figures measure a correct codec.
func TestBenchCodecAgrees(t *testing.T) {
	for i := range 50 {
		u := benchUserN(i)
		s, err := marshal(&u)
		if err != nil {
			t.Fatal(err)
		}
		var v benchUser
		if err := unmarshal(s, &v); err != nil {
			t.Fatal(err)
		}
		if v.ID != u.ID || v.Name != u.Name || !v.Joined.Equal(u.Joined) || fmt.Sprint(v.Scores) != fmt.Sprint(u.Scores) {
			t.Fatalf("round trip: %+v != %+v", v, u)
		}
		// Maps larger than the encoder's stack buffer (8 entries) are canonical too.
		big1, big2 := map[string]int{}, map[string]int{}
		for k := range 20 + i {
			big1[fmt.Sprint("k", k)] = k
		}
		for k := 20 + i - 1; k >= 0; k-- {
			big2[fmt.Sprint("k", k)] = k
		}
		b1, err1 := marshal(&benchUser{ID: "x", Scores: big1})
		b2, err2 := marshal(&benchUser{ID: "x", Scores: big2})
		var bv benchUser
		if err1 != nil || err2 != nil || b1 != b2 || unmarshal(b1, &bv) != nil || fmt.Sprint(bv.Scores) != fmt.Sprint(big1) {
			t.Fatalf("map of %d entries: not canonical or no round trip (%v, %v)", len(big1), err1, err2)
		}
		// The canonical encoding is also plain msgpack.
		var w benchUser
		if err := msgpack.Unmarshal([]byte(s), &w); err != nil || w.ID != u.ID || fmt.Sprint(w.Scores) != fmt.Sprint(u.Scores) {
			t.Fatalf("msgpack.Unmarshal of the canonical bytes: %+v, %v", w, err)
		}
	}
}
