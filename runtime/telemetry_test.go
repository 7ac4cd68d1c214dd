package runtime_test

import (
	"errors"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/setgen/setgen/internal/redistest"
	"github.com/setgen/setgen/runtime"
)

// TestTelemetry: with Options.TracerProvider and MeterProvider set (the
// OpenTelemetry SDK's in-memory span recorder and manual metric reader),
// each set call is a span named <set type>.<Method> with the Redis
// command, cached reads say whether they hit, and the metrics count
// calls, their outcome and duration, cache hits and misses, retries and
// the breaker's state.
func TestTelemetry(t *testing.T) {
	srv := redistest.Start(t, redistest.Config{})
	spans := tracetest.NewSpanRecorder()
	reader := sdkmetric.NewManualReader()
	cm := newManager(t, srv, func(o *runtime.Options) {
		o.TracerProvider = sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
		o.MeterProvider = sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	})
	ctx := ctxT(t)
	set := runtime.NewSet[string](cm, "users.TagSet", "tags", strCodec{})
	ttl := runtime.NewTTLSet[string](cm, "sessions.SessionTTLSet", "active", strCodec{})
	if _, err := set.Add(ctx, "a", "b"); err != nil {
		t.Fatal(err)
	}
	for range 2 { // a miss, then a hit
		if _, err := set.Contains(ctx, "a"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := set.Pop(ctx, 0); !errors.Is(err, runtime.ErrInvalidArgument) {
		t.Fatalf("Pop(0) = %v", err)
	}
	if _, err := ttl.Add(ctx, time.Minute, "s"); err != nil {
		t.Fatal(err)
	}

	ended := spans.Ended()
	var names []string
	for _, s := range ended {
		names = append(names, s.Name())
	}
	want := []string{"users.TagSet.Add", "users.TagSet.Contains", "users.TagSet.Contains", "users.TagSet.Pop", "sessions.SessionTTLSet.Add"}
	if len(names) != len(want) {
		t.Fatalf("spans %v, want %v", names, want)
	}
	for i := range want {
		if names[i] != want[i] {
			t.Fatalf("spans %v, want %v", names, want)
		}
	}
	attrs := func(i int) map[attribute.Key]attribute.Value {
		m := map[attribute.Key]attribute.Value{}
		for _, kv := range ended[i].Attributes() {
			m[kv.Key] = kv.Value
		}
		return m
	}
	if a := attrs(0); a["db.system.name"].AsString() != "redis" || a["db.operation.name"].AsString() != "SADD" {
		t.Errorf("Add span attributes %v", a)
	}
	if a := attrs(1); a["db.operation.name"].AsString() != "SISMEMBER" || a["setgen.cache_hit"].AsBool() {
		t.Errorf("first Contains (a miss) attributes %v", a)
	}
	if a := attrs(2); !a["setgen.cache_hit"].AsBool() {
		t.Errorf("second Contains (a hit) attributes %v", a)
	}
	if ended[3].Status().Code.String() != "Error" || len(ended[3].Events()) == 0 {
		t.Errorf("Pop(0) span status %v, events %v: want the error recorded", ended[3].Status(), ended[3].Events())
	}
	if a := attrs(4); a["db.operation.name"].AsString() != "EVALSHA" {
		t.Errorf("TTL Add span attributes %v", a)
	}

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(ctx, &rm); err != nil {
		t.Fatal(err)
	}
	sums := map[string]int64{}
	seen := map[string]bool{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			seen[m.Name] = true
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				for _, p := range d.DataPoints {
					key := m.Name
					if v, ok := p.Attributes.Value("outcome"); ok {
						method, _ := p.Attributes.Value("method")
						key += "/" + method.AsString() + "/" + v.AsString()
					}
					sums[key] += p.Value
				}
			case metricdata.Gauge[int64]:
				for _, p := range d.DataPoints {
					sums[m.Name] += p.Value
				}
			}
		}
	}
	for name, want := range map[string]int64{
		"setgen.calls/Add/ok": 2, "setgen.calls/Contains/ok": 2, "setgen.calls/Pop/error": 1,
		"setgen.cache.hits": 1, "setgen.cache.misses": 1, "setgen.breaker.state": 0,
	} {
		if sums[name] != want {
			t.Errorf("%s = %d, want %d (all: %v)", name, sums[name], want, sums)
		}
	}
	for _, name := range []string{"setgen.call.duration", "setgen.breaker.state"} {
		if !seen[name] {
			t.Errorf("metric %s not recorded", name)
		}
	}
	t.Logf("spans %v; metrics %v", names, sums)
}
