package bench

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/setgen/setgen/internal/redistest"
	"github.com/setgen/setgen/runtime"
)

// BenchmarkFlushDelay measures Options.MaxFlushDelay: uncached Contains
// (one SISMEMBER each) from one caller (latency) and from 32 goroutines
// (throughput), with the delay off (the default) and at 20 µs. Besides
// ns/op it reports the server's CPU time per call (server-ns/op, from
// INFO used_cpu_sys + used_cpu_user), which fewer, larger writes lower.
func BenchmarkFlushDelay(b *testing.B) {
	srv := redistest.Start(b, redistest.Config{})
	ctx := context.Background()
	for _, delay := range []time.Duration{0, 20 * time.Microsecond} {
		cm, err := runtime.NewConnectionManager(runtime.Options{Addrs: []string{srv.Addr}, DisableCache: true, MaxFlushDelay: delay})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(cm.Close)
		set := runtime.NewSet[user](cm, "bench.UserSet", "flush", userCodec{})
		members := make([]user, 1000)
		for i := range members {
			members[i] = userN(i)
		}
		if _, err := set.Add(ctx, members...); err != nil {
			b.Fatal(err)
		}
		name := "delay=" + delay.String()
		b.Run(name+"/callers=1", func(b *testing.B) {
			cpu := serverCPU(b, srv)
			i := 0
			for b.Loop() {
				if ok, err := set.Contains(ctx, members[i%1000]); err != nil || !ok {
					b.Fatal(ok, err)
				}
				i++
			}
			b.ReportMetric(float64(serverCPU(b, srv)-cpu)/float64(b.N), "server-ns/op")
		})
		b.Run(name+"/callers=32", func(b *testing.B) {
			b.SetParallelism(parallelism())
			cpu := serverCPU(b, srv)
			b.RunParallel(func(pb *testing.PB) {
				i := 0
				for pb.Next() {
					if ok, err := set.Contains(ctx, members[i%1000]); err != nil || !ok {
						b.Error(ok, err)
						return
					}
					i++
				}
			})
			b.ReportMetric(float64(serverCPU(b, srv)-cpu)/float64(b.N), "server-ns/op")
		})
	}
}

// serverCPU returns the server's CPU time so far (INFO cpu), in ns.
func serverCPU(b *testing.B, srv *redistest.Server) time.Duration {
	b.Helper()
	out, err := srv.CLI("INFO", "cpu")
	if err != nil {
		b.Fatal(err)
	}
	var total float64
	for line := range strings.Lines(out) {
		k, v, ok := strings.Cut(strings.TrimSpace(line), ":")
		if ok && (k == "used_cpu_sys" || k == "used_cpu_user") {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				b.Fatal(err)
			}
			total += f
		}
	}
	return time.Duration(total * float64(time.Second))
}
