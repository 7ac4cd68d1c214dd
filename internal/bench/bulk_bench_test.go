package bench

import (
	"context"
	"testing"
	"time"

	"github.com/redis/rueidis"

	"github.com/setgen/setgen/internal/redistest"
	"github.com/setgen/setgen/runtime"
)

// BenchmarkSet compares setgen's typed set with its ceiling, raw rueidis
// (setgen's own client) given members already encoded, on one
// redis-server started for the run. Members decoded by the ceiling use
// tinylib/msgp's generated code. See BENCHMARKS.md for how to pair runs.
func BenchmarkSet(b *testing.B) {
	srv := redistest.Start(b, redistest.Config{})
	ctx := context.Background()
	newCM := func(cache bool) *runtime.ConnectionManager {
		cm, err := runtime.NewConnectionManager(runtime.Options{Addrs: []string{srv.Addr}, DisableCache: !cache})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(cm.Close)
		return cm
	}
	cached, uncached := newCM(true), newCM(false)
	rc := cached.Client()

	const bulk = 100_000
	many := make([]user, bulk)
	enc := make([]string, bulk)
	msgpEnc := make([]string, bulk)
	for i := range many {
		many[i] = userN(i)
		e, err := userCodec{}.Append(nil, &many[i])
		if err != nil {
			b.Fatal(err)
		}
		enc[i] = string(e)
		mu := msgpUserN(i)
		m, err := mu.MarshalMsg(nil)
		if err != nil {
			b.Fatal(err)
		}
		msgpEnc[i] = string(m)
	}
	sadd := func(key string, members []string) {
		cmds := make(rueidis.Commands, 0, len(members)/1000+1)
		for i := 0; i < len(members); i += 1000 {
			cmds = append(cmds, rc.B().Sadd().Key(key).Member(members[i:min(len(members), i+1000)]...).Build())
		}
		for _, r := range rc.DoMulti(ctx, cmds...) {
			if err := r.Error(); err != nil {
				b.Fatal(err)
			}
		}
	}
	del := func(key string) {
		if err := rc.Do(ctx, rc.B().Del().Key(key).Build()).Error(); err != nil {
			b.Fatal(err)
		}
	}

	set := runtime.NewSet[user](cached, "bench.UserSet", "bulk", userCodec{})
	b.Run("Add100k/setgen", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			b.StopTimer()
			del("bulk")
			b.StartTimer()
			if n, err := set.Add(ctx, many...); err != nil || n != bulk {
				b.Fatalf("Add = %d, %v", n, err)
			}
		}
	})
	b.Run("Add100k/rueidis-preencoded", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			b.StopTimer()
			del("bulkraw")
			b.StartTimer()
			sadd("bulkraw", enc)
		}
	})

	// Members of 100k: the set above, and the same users encoded by msgp.
	del("bulk")
	if _, err := set.Add(ctx, many...); err != nil {
		b.Fatal(err)
	}
	del("bulkmsgp")
	sadd("bulkmsgp", msgpEnc)
	b.Run("Members100k/setgen", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if ms, err := set.Members(ctx); err != nil || len(ms) != bulk {
				b.Fatalf("Members = %d, %v", len(ms), err)
			}
		}
	})
	b.Run("Members100k/rueidis-SMEMBERS+msgp", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			raw, err := rc.Do(ctx, rc.B().Smembers().Key("bulkmsgp").Build()).AsStrSlice()
			if err != nil {
				b.Fatal(err)
			}
			out := make([]MsgpUser, len(raw))
			for i, r := range raw {
				if _, err := out[i].UnmarshalMsg([]byte(r)); err != nil {
					b.Fatal(err)
				}
			}
		}
	})

	// Cached ContainsMany of 1000 members, all in the cache.
	some, someEnc := many[:1000], enc[:1000]
	if _, err := set.ContainsMany(ctx, some...); err != nil {
		b.Fatal(err)
	}
	b.Run("ContainsMany1000/cached/setgen", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if got, err := set.ContainsMany(ctx, some...); err != nil || !got[999] {
				b.Fatalf("ContainsMany: %v", err)
			}
		}
	})
	cmds := make([]rueidis.CacheableTTL, len(someEnc))
	b.Run("ContainsMany1000/cached/rueidis-DoMultiCache-preencoded", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for i, m := range someEnc {
				cmds[i] = rueidis.CT(rc.B().Sismember().Key("bulk").Member(m).Cache(), time.Minute)
			}
			for _, r := range rc.DoMultiCache(ctx, cmds...) {
				if _, err := r.AsBool(); err != nil {
					b.Fatal(err)
				}
			}
		}
	})

	// Cached Contains, a hit every time.
	hot := many[7]
	if ok, err := set.Contains(ctx, hot); err != nil || !ok {
		b.Fatalf("Contains = %v, %v", ok, err)
	}
	b.Run("Contains/cached-hit/setgen", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if ok, err := set.Contains(ctx, hot); err != nil || !ok {
				b.Fatal(err)
			}
		}
	})
	b.Run("Contains/cached-hit/rueidis-DoCache-preencoded", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if ok, err := rc.DoCache(ctx, rc.B().Sismember().Key("bulk").Member(enc[7]).Cache(), time.Minute).AsBool(); err != nil || !ok {
				b.Fatal(err)
			}
		}
	})

	// Uncached Contains under ~32 goroutines.
	setU := runtime.NewSet[user](uncached, "bench.UserSet", "bulk", userCodec{})
	uc := uncached.Client()
	b.Run("Contains/uncached/parallel32/setgen", func(b *testing.B) {
		b.SetParallelism(parallelism())
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				if ok, err := setU.Contains(ctx, many[i%1000]); err != nil || !ok {
					b.Error(err)
					return
				}
				i++
			}
		})
	})
	b.Run("Contains/uncached/parallel32/rueidis-preencoded", func(b *testing.B) {
		b.SetParallelism(parallelism())
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				if ok, err := uc.Do(ctx, uc.B().Sismember().Key("bulk").Member(enc[i%1000]).Build()).AsBool(); err != nil || !ok {
					b.Error(err)
					return
				}
				i++
			}
		})
	})
}
