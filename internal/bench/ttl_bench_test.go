package bench

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/redis/rueidis"

	"github.com/setgen/setgen/internal/redistest"
	"github.com/setgen/setgen/runtime"
)

// BenchmarkTTL compares a TTL set with a plain set of the same members,
// on one redis-server: a cached Contains hit, an Add of 100k members, Size
// of a 1M-member set with half of them expired, and the memory per member
// (reported as B/member by the Memory benchmark).
func BenchmarkTTL(b *testing.B) {
	srv := redistest.Start(b, redistest.Config{})
	ctx := context.Background()
	cm, err := runtime.NewConnectionManager(runtime.Options{Addrs: []string{srv.Addr}})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(cm.Close)
	const bulk = 100_000
	many := make([]user, bulk)
	for i := range many {
		many[i] = userN(i)
	}
	plain := runtime.NewSet[user](cm, "bench.UserSet", "plain", userCodec{})
	ttl := runtime.NewTTLSet[user](cm, "bench.UserTTLSet", "ttl", userCodec{})
	hot := many[7]
	if _, err := plain.Add(ctx, hot); err != nil {
		b.Fatal(err)
	}
	if _, err := ttl.Add(ctx, time.Hour, hot); err != nil {
		b.Fatal(err)
	}
	b.Run("Contains/cached-hit/plain", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if ok, err := plain.Contains(ctx, hot); err != nil || !ok {
				b.Fatal(err)
			}
		}
	})
	b.Run("Contains/cached-hit/ttl", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if ok, err := ttl.Contains(ctx, hot); err != nil || !ok {
				b.Fatal(err)
			}
		}
	})
	del := func(key string) {
		c := cm.Client()
		if err := c.Do(ctx, c.B().Del().Key(key).Build()).Error(); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("Add100k/plain", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			del("plain100k")
			b.StartTimer()
			if _, err := runtime.NewSet[user](cm, "bench.UserSet", "plain100k", userCodec{}).Add(ctx, many...); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Add100k/ttl", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			del("ttl100k")
			b.StartTimer()
			if _, err := runtime.NewTTLSet[user](cm, "bench.UserTTLSet", "ttl100k", userCodec{}).Add(ctx, time.Hour, many...); err != nil {
				b.Fatal(err)
			}
		}
	})
	// The floor: the same members, pre-encoded, as plain pipelined SADD and
	// ZADD commands of 1,000 members (no script, no encoding): what the
	// server's set and sorted-set inserts cost.
	var codec userCodec
	enc := make([]string, len(many))
	for i := range many {
		m, err := codec.Append(nil, &many[i])
		if err != nil {
			b.Fatal(err)
		}
		enc[i] = string(m)
	}
	raw := func(b *testing.B, key string, build func(batch []string) rueidis.Completed) {
		c := cm.Client()
		for b.Loop() {
			b.StopTimer()
			del(key)
			b.StartTimer()
			cmds := make(rueidis.Commands, 0, len(enc)/1000)
			for i := 0; i < len(enc); i += 1000 {
				cmds = append(cmds, build(enc[i:min(len(enc), i+1000)]))
			}
			for _, r := range c.DoMulti(ctx, cmds...) {
				if err := r.Error(); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
	b.Run("Add100k/raw-SADD-preencoded", func(b *testing.B) {
		raw(b, "rawsadd", func(batch []string) rueidis.Completed {
			return cm.Client().B().Sadd().Key("rawsadd").Member(batch...).Build()
		})
	})
	b.Run("Add100k/raw-ZADD-preencoded", func(b *testing.B) {
		exp := float64(time.Now().Add(time.Hour).UnixMilli())
		raw(b, "rawzadd", func(batch []string) rueidis.Completed {
			z := cm.Client().B().Zadd().Key("rawzadd").ScoreMember()
			for _, m := range batch {
				z = z.ScoreMember(exp, m)
			}
			return z.Build()
		})
	})
	b.Run("Memory", func(b *testing.B) {
		c := cm.Client()
		usage := func(key string) float64 {
			n, err := c.Do(ctx, c.B().MemoryUsage().Key(key).Samples(0).Build()).AsInt64()
			if err != nil {
				b.Fatal(err)
			}
			return float64(n) / bulk
		}
		for b.Loop() {
		}
		b.ReportMetric(usage("plain100k"), "plain-B/member")
		b.ReportMetric(usage("ttl100k"), "ttl-B/member")
	})
	// Size of 1M members, half of them expired, in one round trip.
	big := runtime.NewTTLSet[string](cm, "bench.StrTTLSet", "million", strCodec{})
	b.Run("Size1M-half-expired/ttl", func(b *testing.B) {
		b.StopTimer()
		if n, _ := big.Size(ctx); n == 0 {
			ids := make([]string, 500_000)
			for i := range ids {
				ids[i] = "live" + strconv.Itoa(i)
			}
			if _, err := big.Add(ctx, time.Hour, ids...); err != nil {
				b.Fatal(err)
			}
			for i := range ids {
				ids[i] = "dead" + strconv.Itoa(i)
			}
			if _, err := big.Add(ctx, 1*time.Millisecond, ids...); err != nil {
				b.Fatal(err)
			}
			time.Sleep(10 * time.Millisecond)
		}
		b.StartTimer()
		for b.Loop() {
			if n, err := big.Size(ctx); err != nil || n != 500_000 {
				b.Fatalf("Size = %d, %v", n, err)
			}
		}
	})
}

// strCodec stores strings as their raw bytes.
type strCodec struct{}

func (strCodec) Append(b []byte, v *string) ([]byte, error) { return append(b, *v...), nil }
func (strCodec) Decode(src []byte, v *string) error         { *v = string(src); return nil }
