package bench

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/setgen/setgen/internal/redistest"
	"github.com/setgen/setgen/runtime"
)

// BenchmarkFlushDelay measures Options.MaxFlushDelay: uncached Contains
// (one SISMEMBER each) from one caller (latency) and from 32 goroutines
// (throughput), with the delay off and at 20 µs (the default). Besides
// ns/op it reports the server's CPU time per call (server-ns/op, from
// INFO used_cpu_sys + used_cpu_user), which fewer, larger writes lower.
func BenchmarkFlushDelay(b *testing.B) {
	srv := redistest.Start(b, redistest.Config{})
	ctx := context.Background()
	for _, delay := range []time.Duration{-1, 20 * time.Microsecond} { // -1: off (0 is the default, 20µs)
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
		if delay < 0 {
			name = "delay=off"
		}
		b.Run(name+"/callers=1", func(b *testing.B) {
			cpu, cmds, reads := serverCPU(b, srv), serverStat(b, srv, "total_commands_processed"), serverStat(b, srv, "total_reads_processed")
			i := 0
			for b.Loop() {
				if ok, err := set.Contains(ctx, members[i%1000]); err != nil || !ok {
					b.Fatal(ok, err)
				}
				i++
			}
			b.ReportMetric(float64(serverCPU(b, srv)-cpu)/float64(b.N), "server-ns/op")
			b.ReportMetric(float64(serverStat(b, srv, "total_commands_processed")-cmds)/float64(serverStat(b, srv, "total_reads_processed")-reads), "cmds/read")
		})
		b.Run(name+"/callers=32", func(b *testing.B) {
			b.SetParallelism(parallelism())
			cpu, cmds, reads := serverCPU(b, srv), serverStat(b, srv, "total_commands_processed"), serverStat(b, srv, "total_reads_processed")
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
			b.ReportMetric(float64(serverStat(b, srv, "total_commands_processed")-cmds)/float64(serverStat(b, srv, "total_reads_processed")-reads), "cmds/read")
		})
	}
}

// serverStat returns a counter of INFO stats.
func serverStat(b *testing.B, srv *redistest.Server, name string) int64 {
	b.Helper()
	f, err := srv.Info("stats")
	if err != nil {
		b.Fatal(err)
	}
	n, err := strconv.ParseInt(f[name], 10, 64)
	if err != nil {
		b.Fatalf("INFO stats %s = %q", name, f[name])
	}
	return n
}

// serverCPU returns the server's CPU time so far.
func serverCPU(b *testing.B, srv *redistest.Server) time.Duration {
	b.Helper()
	d, err := srv.CPUTime()
	if err != nil {
		b.Fatal(err)
	}
	return d
}
