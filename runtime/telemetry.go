package runtime

import (
	"context"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

// instrumentationName names setgen's tracer and meter.
const instrumentationName = "github.com/setgen/setgen/runtime"

// telemetry holds the OpenTelemetry instruments of a manager; nil when
// neither Options.TracerProvider nor Options.MeterProvider is set, and then
// a call pays one nil check.
type telemetry struct {
	tracer   trace.Tracer // nil: no spans
	calls    metric.Int64Counter
	duration metric.Float64Histogram
	hits     metric.Int64Counter
	misses   metric.Int64Counter
	retries  metric.Int64Counter
	metrics  bool
	attrs    sync.Map            // attrsKey -> metric.MeasurementOption, made once
	gauge    metric.Registration // the breaker gauge's callback; nil without metrics
}

type attrsKey struct {
	method string
	ok     bool
}

// callAttrs returns the attributes of a call's metrics, made once per
// method and outcome so that recording allocates nothing for them.
func (tel *telemetry) callAttrs(method string, ok bool) metric.MeasurementOption {
	key := attrsKey{method, ok}
	if v, found := tel.attrs.Load(key); found {
		return v.(metric.MeasurementOption)
	}
	outcome := outcomeOK
	if !ok {
		outcome = outcomeErr
	}
	opt := metric.WithAttributeSet(attribute.NewSet(attribute.String("method", method), outcome))
	v, _ := tel.attrs.LoadOrStore(key, opt)
	return v.(metric.MeasurementOption)
}

// Attribute values shared by every span and call metric.
var (
	attrSystem = attribute.String("db.system.name", "redis")
	outcomeOK  = attribute.String("outcome", "ok")
	outcomeErr = attribute.String("outcome", "error")
)

func newTelemetry(cm *ConnectionManager) (*telemetry, error) {
	o := cm.opts
	if o.TracerProvider == nil && o.MeterProvider == nil {
		return nil, nil
	}
	tel := &telemetry{}
	if o.TracerProvider != nil {
		tel.tracer = o.TracerProvider.Tracer(instrumentationName)
	}
	if o.MeterProvider == nil {
		return tel, nil
	}
	m := o.MeterProvider.Meter(instrumentationName)
	var err error
	if tel.calls, err = m.Int64Counter("setgen.calls", metric.WithDescription("Set calls, by method and outcome.")); err != nil {
		return nil, err
	}
	if tel.duration, err = m.Float64Histogram("setgen.call.duration", metric.WithUnit("s"), metric.WithDescription("Duration of set calls.")); err != nil {
		return nil, err
	}
	if tel.hits, err = m.Int64Counter("setgen.cache.hits", metric.WithDescription("Reads answered by the client-side cache.")); err != nil {
		return nil, err
	}
	if tel.misses, err = m.Int64Counter("setgen.cache.misses", metric.WithDescription("Cacheable reads that went to the server.")); err != nil {
		return nil, err
	}
	if tel.retries, err = m.Int64Counter("setgen.retries", metric.WithDescription("Attempts repeated after a transient failure.")); err != nil {
		return nil, err
	}
	gauge, err := m.Int64ObservableGauge("setgen.breaker.state",
		metric.WithDescription("Circuit breaker state: 0 closed, 1 half-open, 2 open (attribute node on a cluster)."))
	if err != nil {
		return nil, err
	}
	// Registered apart from the gauge, so that Close can unregister it and
	// the provider does not keep a closed manager alive.
	tel.gauge, err = m.RegisterCallback(func(_ context.Context, obs metric.Observer) error {
		obs.ObserveInt64(gauge, int64(rank(cm.breaker.State())))
		cm.nodeBreakers.Range(func(addr, b any) bool {
			obs.ObserveInt64(gauge, int64(rank(b.(*breaker).State())), metric.WithAttributes(attribute.String("node", addr.(string))))
			return true
		})
		return nil
	}, gauge)
	if err != nil {
		return nil, err
	}
	tel.metrics = true
	return tel, nil
}

// op is one set call in progress, as telemetry sees it: begun by a
// method, ended by its deferred wrap.
type op struct {
	name    string // the method, e.g. "Add"
	command string // the Redis command, e.g. "SADD"
	start   time.Time
	span    trace.Span // nil without a tracer
	hit     int8       // cached reads: 1 answered by the cache, -1 not
}

// cacheHit notes a cached read's outcome: the call is a hit when every
// read it made was.
func (o *op) cacheHit(hit bool) {
	switch {
	case !hit:
		o.hit = -1
	case o.hit == 0:
		o.hit = 1
	}
}

// begin starts the telemetry of a call of method name, on set (e.g.
// "users.UserSet"), running command.
func (cm *ConnectionManager) begin(ctx context.Context, set, name, command string) op {
	o := op{name: name, command: command}
	if cm == nil || cm.tel == nil {
		return o
	}
	o.start = time.Now()
	if cm.tel.tracer != nil && ctx != nil {
		_, o.span = cm.tel.tracer.Start(ctx, set+"."+name, trace.WithSpanKind(trace.SpanKindClient),
			trace.WithAttributes(attrSystem, attribute.String("db.operation.name", command)))
	}
	return o
}

// end records the call's outcome.
func (cm *ConnectionManager) end(o *op, err error) {
	if cm == nil || cm.tel == nil {
		return
	}
	if o.span != nil {
		if o.hit != 0 {
			o.span.SetAttributes(attribute.Bool("setgen.cache_hit", o.hit > 0))
		}
		if err != nil {
			o.span.RecordError(err)
			o.span.SetStatus(codes.Error, err.Error())
		}
		o.span.End()
	}
	if cm.tel.metrics {
		attrs := cm.tel.callAttrs(o.name, err == nil)
		ctx := context.Background()
		cm.tel.calls.Add(ctx, 1, attrs)
		cm.tel.duration.Record(ctx, time.Since(o.start).Seconds(), attrs)
	}
}

// countCacheTel counts a cacheable read's hit or miss.
func (cm *ConnectionManager) countCacheTel(hit bool) {
	if cm.tel == nil || !cm.tel.metrics {
		return
	}
	if hit {
		cm.tel.hits.Add(context.Background(), 1)
	} else {
		cm.tel.misses.Add(context.Background(), 1)
	}
}

// countRetry counts an attempt repeated.
func (cm *ConnectionManager) countRetry() {
	if cm.tel != nil && cm.tel.metrics {
		cm.tel.retries.Add(context.Background(), 1)
	}
}

// close unregisters the breaker gauge's callback.
func (tel *telemetry) close() {
	if tel != nil && tel.gauge != nil {
		_ = tel.gauge.Unregister()
	}
}
