package runtime

import (
	"context"
	"errors"
	"net"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/rueidis"
	"github.com/redis/rueidis/mock"
	"github.com/sony/gobreaker/v2"
	"go.uber.org/mock/gomock"
)

// On a cluster, failures that name a node open that node's breaker only:
// keys in other slots keep working, and a success clears the slot's record.
func TestPerNodeBreakers(t *testing.T) {
	ctrl := gomock.NewController(t)
	client := mock.NewClient(ctrl)
	client.EXPECT().Mode().Return(rueidis.ClientModeCluster).AnyTimes()
	o := Options{RetryMaxAttempts: 1, BreakerThreshold: 3, BreakerTimeout: 50 * time.Millisecond}
	cm := newManager(o.withDefaults(), client, false)
	ctx := context.Background()

	dead := &net.OpError{Op: "dial", Net: "tcp", Addr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 7001}, Err: syscall.ECONNREFUSED}
	const onDead, elsewhere = "users", "sessions"
	if Slot(onDead) == Slot(elsewhere) {
		t.Fatal("test keys share a slot")
	}
	calls := 0
	fail := func(context.Context) error { calls++; return dead }
	ok := func(context.Context) error { calls++; return nil }

	// Every failure naming the node counts on the node's breaker (the first
	// one also records the node for the slot), none on the manager's.
	for range 3 {
		if err := cm.call(ctx, onDead, retrySafe, fail); !errors.Is(err, syscall.ECONNREFUSED) {
			t.Fatalf("call = %v", err)
		}
	}
	if n := cm.breaker.Counts().TotalFailures; n != 0 {
		t.Fatalf("manager's breaker counted %d failures of one node", n)
	}
	if got := cm.nodeBreaker("127.0.0.1:7001").State(); got != gobreaker.StateOpen {
		t.Fatalf("node breaker %v after 3 failures on it, want open", got)
	}
	calls = 0
	if err := cm.call(ctx, onDead, retrySafe, fail); !errors.Is(err, ErrCircuitOpen) || calls != 0 {
		t.Fatalf("call on the dead node's slot = %v after %d attempts, want ErrCircuitOpen without I/O", err, calls)
	}
	if err := cm.call(ctx, elsewhere, retrySafe, ok); err != nil || calls != 1 {
		t.Fatalf("call on another slot = %v (%d attempts), want it to run", err, calls)
	}
	if cm.breaker.State() != gobreaker.StateClosed {
		t.Fatalf("manager's breaker %v, want closed", cm.breaker.State())
	}
	h, _ := cm.breakerHealth()
	if h.State != "open" || h.FailureCount != 3 {
		t.Fatalf("Health's breaker = %+v, want the worst state: open, after 3 failures", h)
	}

	// After the timeout, the probe succeeds (the slot moved, or the node
	// came back): the node's breaker closes and the slot's record goes.
	time.Sleep(60 * time.Millisecond)
	if err := cm.call(ctx, onDead, retrySafe, ok); err != nil {
		t.Fatalf("probe = %v", err)
	}
	if cm.slotNode[Slot(onDead)].Load() != nil {
		t.Fatal("slot still recorded after a success")
	}
	if got := cm.nodeBreaker("127.0.0.1:7001").State(); got != gobreaker.StateClosed {
		t.Fatalf("node breaker %v after a successful probe, want closed", got)
	}
}

// The breaker's fast path: successes on a clean, closed breaker skip
// gobreaker, failures still count, and after any storm of concurrent
// successes and failures the breaker opens after exactly Threshold
// consecutive failures again.
func TestBreakerFastPath(t *testing.T) {
	ctrl := gomock.NewController(t)
	client := mock.NewClient(ctrl)
	client.EXPECT().Mode().Return(rueidis.ClientModeStandalone).AnyTimes()
	o := Options{RetryMaxAttempts: 1, BreakerThreshold: 5, BreakerTimeout: 20 * time.Millisecond}
	cm := newManager(o.withDefaults(), client, false)
	ctx := context.Background()
	boom := &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}
	ok := func(context.Context) error { return nil }
	fail := func(context.Context) error { return boom }

	before := cm.breaker.Counts().Requests
	for range 100 {
		if err := cm.call(ctx, "k", retrySafe, ok); err != nil {
			t.Fatal(err)
		}
	}
	if got := cm.breaker.Counts().Requests; got != before {
		t.Fatalf("successes on a clean breaker went through gobreaker (%d -> %d requests)", before, got)
	}

	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 500 {
				f := ok
				if (i+g)%5 == 0 {
					f = fail
				}
				_ = cm.call(ctx, "k", retrySafe, f)
			}
		})
	}
	wg.Wait()

	// Get back to a clean, closed breaker.
	deadline := time.Now().Add(2 * time.Second)
	for cm.call(ctx, "k", retrySafe, ok) != nil || !cm.breaker.clean() {
		if time.Now().After(deadline) {
			t.Fatalf("breaker never clean again: %v %+v", cm.breaker.State(), cm.breaker.Counts())
		}
		time.Sleep(5 * time.Millisecond)
	}
	for i := range 4 {
		if err := cm.call(ctx, "k", retrySafe, fail); !errors.Is(err, syscall.ECONNRESET) {
			t.Fatalf("failure %d: %v", i+1, err)
		}
	}
	if st := cm.breaker.State(); st != gobreaker.StateClosed {
		t.Fatalf("open after 4 failures (threshold 5): %v", st)
	}
	_ = cm.call(ctx, "k", retrySafe, fail)
	if err := cm.call(ctx, "k", retrySafe, ok); !errors.Is(err, ErrCircuitOpen) {
		t.Fatalf("after 5 consecutive failures: %v, want ErrCircuitOpen", err)
	}
}
