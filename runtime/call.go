package runtime

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strings"
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

func newBreaker(o Options, log interface {
	Warn(string, ...any)
	Info(string, ...any)
}) *gobreaker.CircuitBreaker[struct{}] {
	threshold := uint32(o.BreakerThreshold)
	return gobreaker.NewCircuitBreaker[struct{}](gobreaker.Settings{
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
	})
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
// Nor does a cluster saying it is between states (CLUSTERDOWN while a
// failover completes, TRYAGAIN during resharding): the node answered at
// once, and counting it would open the breaker for the keys of every
// healthy master.
func isBreakerExcluded(err error) bool {
	if err == nil {
		return false // the common case: no errors.As target escaping to the heap
	}
	if errors.Is(err, errCallerGaveUp) {
		return true
	}
	var re *rueidis.RedisError
	if errors.As(err, &re) {
		msg := re.Error()
		return strings.HasPrefix(msg, "CLUSTERDOWN") || strings.HasPrefix(msg, "TRYAGAIN")
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
	br, slot, mapped := cm.breakerFor(key)
	_, err := br.Execute(func() (struct{}, error) {
		err := cm.attempts(ctx, p, f)
		if err != nil && ctx.Err() != nil {
			return struct{}{}, callerGaveUp{err}
		}
		return struct{}{}, err
	})
	if slot >= 0 {
		cm.noteSlot(slot, mapped, err)
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
	return err
}

// breakerFor returns the breaker for a call on key, the key's slot (-1 when
// not on a cluster) and whether the slot had a failing node on record.
func (cm *ConnectionManager) breakerFor(key string) (*gobreaker.CircuitBreaker[struct{}], int, bool) {
	if cm.slotNode == nil || key == "" {
		return cm.breaker, -1, false
	}
	slot := int(Slot(key))
	if addr := cm.slotNode[slot].Load(); addr != nil {
		return cm.nodeBreaker(*addr), slot, true
	}
	return cm.breaker, slot, false
}

// nodeBreaker returns the breaker of the node at addr, creating it.
func (cm *ConnectionManager) nodeBreaker(addr string) *gobreaker.CircuitBreaker[struct{}] {
	if b, ok := cm.nodeBreakers.Load(addr); ok {
		return b.(*gobreaker.CircuitBreaker[struct{}])
	}
	b, _ := cm.nodeBreakers.LoadOrStore(addr, newBreaker(cm.opts, cm.log.With("node", addr)))
	return b.(*gobreaker.CircuitBreaker[struct{}])
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
	if isBreakerSuccess(err) || isBreakerExcluded(err) {
		return
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Addr != nil {
		addr := op.Addr.String()
		if cur := cm.slotNode[slot].Load(); cur == nil || *cur != addr {
			cm.slotNode[slot].Store(&addr)
		}
	}
}

func (cm *ConnectionManager) attempts(ctx context.Context, p retryPolicy, f func(context.Context) error) error {
	for attempt := 1; ; attempt++ {
		err := f(ctx)
		if err != nil && ctx.Err() == nil && (errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded)) {
			// rueidis' own bound, not the caller's deadline: say which.
			err = fmt.Errorf("no answer from the server within Options.CallTimeout (%v) or DialTimeout (%v): %w",
				cm.opts.CallTimeout, cm.opts.DialTimeout, err)
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
