package runtime

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/redis/rueidis"
	"github.com/sony/gobreaker/v2"
)

// retryPolicy says when a failed attempt may be repeated.
type retryPolicy uint8

const (
	// retrySafe: repeating the command cannot change the outcome (reads,
	// SADD, SREM, DEL, stores): retry any transient failure.
	retrySafe retryPolicy = iota
	// retryUnsent: the command is not idempotent (SPOP, SMOVE): retry only
	// when it certainly never reached the server (the connection could not
	// be made, or the server refused it as LOADING/BUSY/TRYAGAIN...).
	retryUnsent
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

// isBreakerSuccess: only failures of the server or the network count
// against it. A nil reply, a Redis error about the command (WRONGTYPE,
// NOPERM, ...) and a bad argument mean the server is fine.
func isBreakerSuccess(err error) bool {
	if err == nil || rueidis.IsRedisNil(err) {
		return true
	}
	if errors.Is(err, ErrInvalidArgument) || errors.Is(err, ErrDecode) || errors.Is(err, ErrEncode) {
		return true
	}
	var re *rueidis.RedisError
	if errors.As(err, &re) {
		return !isTransientRedisErr(re)
	}
	return false
}

// isBreakerExcluded: the caller gave up (its context was cancelled or its
// deadline passed) says nothing about the server either way.
//
// Nor does a server that answers at once that it cannot run the command
// yet: a cluster between states (CLUSTERDOWN while a failover completes,
// TRYAGAIN during resharding), a server loading its dataset after a
// restart (LOADING) or running a long script (BUSY). It is alive; counting
// these would lock the application out for BreakerTimeout after the
// server is ready. They are retried within the caller's deadline instead.
func isBreakerExcluded(err error) bool {
	if err == nil {
		return false // the common case: no errors.As target escaping to the heap
	}
	if errors.Is(err, errCallerGaveUp) || errors.Is(err, errNodeFailure) {
		return true
	}
	var re *rueidis.RedisError
	if errors.As(err, &re) {
		msg := re.Error()
		for _, p := range [...]string{"CLUSTERDOWN", "TRYAGAIN", "LOADING", "BUSY "} {
			if strings.HasPrefix(msg, p) {
				return true
			}
		}
	}
	return false
}

// errCallerGaveUp marks, inside the breaker, a failure that happened because
// the caller's context ended. It is unwrapped before returning.
var errCallerGaveUp = errors.New("caller gave up")

type callerGaveUp struct{ err error }

func (c callerGaveUp) Error() string   { return c.err.Error() }
func (c callerGaveUp) Unwrap() []error { return []error{errCallerGaveUp, c.err} }

// isTransientRedisErr reports Redis errors that mean "not executed, try
// again later".
func isTransientRedisErr(re *rueidis.RedisError) bool {
	msg := re.Error()
	for _, p := range [...]string{"LOADING", "BUSY ", "TRYAGAIN", "CLUSTERDOWN", "MASTERDOWN"} {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}

// isNotSent reports a failure that happened before the command could reach
// the server.
func isNotSent(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	var re *rueidis.RedisError
	return errors.As(err, &re) && isTransientRedisErr(re)
}

// errOutcomeUnknown prefixes the error of a command that is not safe to
// repeat (SPOP, SMOVE) when it failed after it may have reached the server.
var errOutcomeUnknown = errors.New("outcome unknown (the command may or may not have been executed; not retried: unsafe to repeat)")

// outcomeUnknown reports a failure after which a command may or may not
// have run: neither a reply from the server nor a failure before sending.
func outcomeUnknown(err error) bool {
	if err == nil || isNotSent(err) || rueidis.IsRedisNil(err) || isRedisErr(err) {
		return false
	}
	return !errors.Is(err, ErrInvalidArgument) && !errors.Is(err, ErrDecode) &&
		!errors.Is(err, ErrEncode) && !errors.Is(err, ErrClosed)
}

// retryable reports whether an attempt that failed with err may be repeated.
func retryable(ctx context.Context, p retryPolicy, err error) bool {
	if ctx.Err() != nil || errors.Is(err, rueidis.ErrClosing) || errors.Is(err, ErrClosed) {
		return false
	}
	if errors.Is(err, ErrInvalidArgument) || errors.Is(err, ErrDecode) || errors.Is(err, ErrEncode) || rueidis.IsRedisNil(err) {
		return false
	}
	if p == retryUnsent {
		return isNotSent(err)
	}
	var re *rueidis.RedisError
	if errors.As(err, &re) {
		return isTransientRedisErr(re)
	}
	return true
}

// backoff returns the delay before attempt n+1 (n >= 1): full jitter over
// an exponentially growing window, capped at max.
func backoff(n int, base, max time.Duration) time.Duration {
	window := base << min(n-1, 30)
	if window <= 0 || window > max {
		window = max
	}
	return time.Duration(rand.Int64N(int64(window)) + 1)
}

// call runs f under the circuit breaker, repeating it with backoff while
// the failure is transient, the policy allows it, attempts remain and the
// context's deadline leaves room for the wait.
//
// key is the key the call works on (any of them when they share a slot); on
// a cluster it picks the breaker: the one of the node whose failure a call
// on that key's slot last met, else the manager's.
// fast reports whether a call on key may skip call's machinery because
// that machinery would do nothing for a successful attempt: the manager
// is open, ctx is live, the key's breaker is closed with no failure on
// record, and no node is on record for its slot. The caller then runs
// one attempt itself and, if it fails, hands its error to replay.
func (cm *ConnectionManager) fast(ctx context.Context, key string) bool {
	if cm == nil || ctx == nil || cm.closed.Load() || ctx.Err() != nil {
		return false
	}
	br, _, node := cm.breakerFor(key)
	return node == "" && !br.suspect.Load()
}

// replay is call for an attempt that already ran and failed with first:
// the breaker, the retries and the error handling see first as the first
// attempt's outcome (nothing is sent twice), then f runs for any retry.
func (cm *ConnectionManager) replay(ctx context.Context, key string, p retryPolicy, first error, f func(context.Context) error) error {
	return cm.call(ctx, key, p, func(ctx context.Context) error {
		if err := first; err != nil {
			first = nil
			return err
		}
		return f(ctx)
	})
}

func (cm *ConnectionManager) call(ctx context.Context, key string, p retryPolicy, f func(context.Context) error) error {
	if cm == nil {
		return invalidArg("nil ConnectionManager")
	}
	if ctx == nil {
		return invalidArg("nil context")
	}
	if cm.closed.Load() {
		return ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	br, slot, node := cm.breakerFor(key)
	err := br.do(func() error {
		err := cm.attempts(ctx, p, f)
		switch {
		case err == nil:
		case callerDone(ctx):
			return callerGaveUp{err}
		case slot >= 0 && !isBreakerSuccess(err):
			// A failure of another node than the one on record for the
			// slot (or of any, when there is none): it is that node's, not
			// the cluster's nor the other node's (see noteSlot).
			if addr := failedNode(err); addr != "" && addr != node {
				return nodeFailure{addr, err}
			}
		}
		return err
	})
	if slot >= 0 {
		cm.noteSlot(slot, node != "", err)
	}
	switch {
	case err == nil:
		return nil
	case errors.Is(err, gobreaker.ErrOpenState), errors.Is(err, gobreaker.ErrTooManyRequests):
		return ErrCircuitOpen
	}
	var gu callerGaveUp
	if errors.As(err, &gu) {
		return gu.err
	}
	var nf nodeFailure
	if errors.As(err, &nf) {
		err = nf.err
	}
	if !errors.Is(err, ErrClosed) && (errors.Is(err, rueidis.ErrClosing) || cm.closed.Load()) {
		// The manager closed while the call was in flight.
		return fmt.Errorf("%w: %w", ErrClosed, err)
	}
	return err
}

// callerDone reports whether the caller's context has ended, or its
// deadline has as good as passed: rueidis sets the socket deadline from
// the context's, so the socket may time out a moment before ctx.Err() is set.
func callerDone(ctx context.Context) bool {
	if ctx.Err() != nil {
		return true
	}
	dl, ok := ctx.Deadline()
	return ok && time.Until(dl) < 2*time.Millisecond
}

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

func (cm *ConnectionManager) attempts(ctx context.Context, p retryPolicy, f func(context.Context) error) error {
	for attempt := 1; ; attempt++ {
		err := f(ctx)
		if err != nil && (errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded)) {
			if callerDone(ctx) {
				if !errors.Is(err, context.DeadlineExceeded) {
					// The socket's deadline was the caller's.
					err = fmt.Errorf("%w: %w", context.DeadlineExceeded, err)
				}
			} else {
				// rueidis' own bound, not the caller's deadline: say which.
				err = fmt.Errorf("no answer from the server within Options.CallTimeout (%v) or DialTimeout (%v): %w",
					cm.opts.CallTimeout, cm.opts.DialTimeout, err)
			}
		}
		if err == nil || attempt >= cm.opts.RetryMaxAttempts || !retryable(ctx, p, err) {
			if p == retryUnsent && outcomeUnknown(err) {
				err = fmt.Errorf("%w: %w", errOutcomeUnknown, err)
			}
			return err
		}
		delay := backoff(attempt, cm.opts.RetryBaseDelay, cm.opts.RetryMaxDelay)
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < delay {
			return err
		}
		cm.log.Debug("setgen: retrying", "attempt", attempt+1, "delay", delay, "error", err)
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
	}
}
