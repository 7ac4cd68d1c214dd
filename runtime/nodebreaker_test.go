package runtime

import (
	"context"
	"errors"
	"net"
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
