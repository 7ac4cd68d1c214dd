package bench

import (
	"context"
	"testing"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/setgen/setgen/internal/redistest"
	"github.com/setgen/setgen/runtime"
)

// BenchmarkTelemetry measures what OpenTelemetry costs a cached Contains
// hit: providers nil (the default), and the SDK's (every span sampled and
// ended, with no exporter; metrics with a manual reader).
func BenchmarkTelemetry(b *testing.B) {
	srv := redistest.Start(b, redistest.Config{})
	ctx := context.Background()
	for _, v := range []struct {
		name string
		mod  func(*runtime.Options)
	}{
		{"providers=nil", func(*runtime.Options) {}},
		{"providers=sdk", func(o *runtime.Options) {
			o.TracerProvider = sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.AlwaysSample()))
			o.MeterProvider = sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
		}},
	} {
		o := runtime.Options{Addrs: []string{srv.Addr}}
		v.mod(&o)
		cm, err := runtime.NewConnectionManager(o)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(cm.Close)
		set := runtime.NewSet[user](cm, "bench.UserSet", "tel", userCodec{})
		hot := userN(7)
		if _, err := set.Add(ctx, hot); err != nil {
			b.Fatal(err)
		}
		b.Run("Contains/cached-hit/"+v.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if ok, err := set.Contains(ctx, hot); err != nil || !ok {
					b.Fatal(ok, err)
				}
			}
		})
	}
}
