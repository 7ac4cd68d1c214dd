package runtime_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/setgen/setgen/internal/redistest"
	"github.com/setgen/setgen/runtime"
)

// Calls whose own short deadline passes while the server is busy fail with
// context.DeadlineExceeded and do not open the breaker: the caller gave up.
func TestCallerDeadlineIsNotABreakerFailure(t *testing.T) {
	srv := redistest.Start(t, redistest.Config{})
	cm := newManager(t, srv, func(o *runtime.Options) { o.BreakerThreshold = 3 })
	s := runtime.NewSet[string](cm, "test.StrSet", "k", strCodec{})
	ctx := ctxT(t)
	if _, err := s.Add(ctx, "x"); err != nil {
		t.Fatal(err)
	}
	// Keep the server busy for ~1.5 s with a script (Redis answers nothing
	// else meanwhile).
	var wg sync.WaitGroup
	wg.Go(func() {
		_, _ = srv.CLI("EVAL", "local t0 = redis.call('TIME') local t = t0 repeat t = redis.call('TIME') until (t[1]-t0[1])*1000000 + (t[2]-t0[2]) > 1500000 return 1", "0")
	})
	time.Sleep(200 * time.Millisecond)
	for i := range 8 {
		c, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
		_, err := s.Size(c)
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("call %d: err = %v, want context.DeadlineExceeded", i, err)
		}
	}
	wg.Wait()
	if h := cm.Health(ctx); h.CircuitBreaker.State != "closed" || h.CircuitBreaker.FailureCount != 0 {
		t.Fatalf("breaker %+v after callers' deadlines, want closed with 0 failures", h.CircuitBreaker)
	}
	if n, err := s.Size(ctx); err != nil || n != 1 {
		t.Fatalf("Size after the busy script = %d, %v", n, err)
	}
}
