package runtime

import (
	"context"
	"errors"
	"time"

	"github.com/sony/gobreaker/v2"
)

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
	if !errors.Is(err, ErrClosed) && cm.closed.Load() {
		// The manager closed while the call was in flight. (rueidis'
		// ErrClosing alone is not that: it also ends the calls on a
		// connection it replaces, and those are retried like any other
		// network failure.)
		return &closedDuringCall{err}
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
