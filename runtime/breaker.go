package runtime

import (
	"errors"
	"net"
	"sync/atomic"

	"github.com/sony/gobreaker/v2"
)

// breaker is a gobreaker circuit breaker with a fast path: while it is
// closed and has seen no failure since it last was, a successful call need
// not tell it anything (a success would change none of what it decides on),
// so the call skips its two mutex round trips and clock reads. The first
// failure (or any state but closed) sets suspect, and calls go through
// gobreaker again until it is closed with no failures on record.
type breaker struct {
	*gobreaker.CircuitBreaker[struct{}]
	suspect atomic.Bool
}

// do runs req under the breaker. A req that fails while the fast path is
// on is reported to gobreaker afterwards, as a request that failed at once.
func (b *breaker) do(req func() error) error {
	if !b.suspect.Load() {
		err := req()
		if err == nil || isBreakerSuccess(err) || isBreakerExcluded(err) {
			return err
		}
		// Count it first, then leave the fast path: a concurrent clear
		// (below) that runs in between sees the count and undoes itself.
		_, _ = b.Execute(func() (struct{}, error) { return struct{}{}, err })
		b.suspect.Store(true)
		return err
	}
	_, err := b.Execute(func() (struct{}, error) { return struct{}{}, req() })
	if b.clean() {
		b.suspect.Store(false)
		if !b.clean() { // a failure was counted meanwhile
			b.suspect.Store(true)
		}
	}
	return err
}

// clean reports a closed breaker with no failure on record.
func (b *breaker) clean() bool {
	return b.State() == gobreaker.StateClosed && b.Counts().ConsecutiveFailures == 0
}

func newBreaker(o Options, log interface {
	Warn(string, ...any)
	Info(string, ...any)
}) *breaker {
	threshold := uint32(o.BreakerThreshold)
	return &breaker{CircuitBreaker: gobreaker.NewCircuitBreaker[struct{}](gobreaker.Settings{
		Name:        "setgen",
		MaxRequests: 1, // one probe when half-open
		Timeout:     o.BreakerTimeout,
		ReadyToTrip: func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= threshold },
		OnStateChange: func(_ string, from, to gobreaker.State) {
			if to == gobreaker.StateOpen {
				log.Warn("setgen: circuit breaker opened", "from", from.String(), "to", to.String())
			} else {
				log.Info("setgen: circuit breaker changed state", "from", from.String(), "to", to.String())
			}
		},
		IsSuccessful: isBreakerSuccess,
		IsExcluded:   isBreakerExcluded,
	})}
}

// errCallerGaveUp marks, inside the breaker, a failure that happened because
// the caller's context ended. It is unwrapped before returning.
var errCallerGaveUp = errors.New("caller gave up")

type callerGaveUp struct{ err error }

func (c callerGaveUp) Error() string   { return c.err.Error() }
func (c callerGaveUp) Unwrap() []error { return []error{errCallerGaveUp, c.err} }

// nodeFailure carries, out of the manager's breaker (which excludes it), a
// failure that names a cluster node; noteSlot counts it on that node's.
type nodeFailure struct {
	addr string
	err  error
}

var errNodeFailure = errors.New("node failure")

func (n nodeFailure) Error() string   { return n.err.Error() }
func (n nodeFailure) Unwrap() []error { return []error{errNodeFailure, n.err} }

// failedNode returns the address of the server a network error came from.
func failedNode(err error) string {
	var op *net.OpError
	if errors.As(err, &op) && op.Addr != nil {
		return op.Addr.String()
	}
	return ""
}

// breakerFor returns the breaker for a call on key, the key's slot (-1 when
// not on a cluster) and the failing node on record for the slot, if any.
func (cm *ConnectionManager) breakerFor(key string) (*breaker, int, string) {
	if cm.slotNode == nil || key == "" {
		return cm.breaker, -1, ""
	}
	slot := int(Slot(key))
	if addr := cm.slotNode[slot].Load(); addr != nil {
		return cm.nodeBreaker(*addr), slot, *addr
	}
	return cm.breaker, slot, ""
}

// nodeBreaker returns the breaker of the node at addr, creating it.
func (cm *ConnectionManager) nodeBreaker(addr string) *breaker {
	if b, ok := cm.nodeBreakers.Load(addr); ok {
		return b.(*breaker)
	}
	b, _ := cm.nodeBreakers.LoadOrStore(addr, newBreaker(cm.opts, cm.log.With("node", addr)))
	return b.(*breaker)
}

// noteSlot records what a call on slot learned: a failure naming a node
// routes the slot's later calls through that node's breaker; a success
// clears the record (the node is back, or the slot has moved).
func (cm *ConnectionManager) noteSlot(slot int, mapped bool, err error) {
	if err == nil {
		if mapped {
			cm.slotNode[slot].Store(nil)
		}
		return
	}
	var nf nodeFailure
	if !errors.As(err, &nf) {
		return // not a node's failure, or already counted on its breaker
	}
	if cur := cm.slotNode[slot].Load(); cur == nil || *cur != nf.addr {
		cm.slotNode[slot].Store(&nf.addr)
	}
	// Count it on the node's breaker: a request that fails at once.
	_ = cm.nodeBreaker(nf.addr).do(func() error { return nf.err })
}
