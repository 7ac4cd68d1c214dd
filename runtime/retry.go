package runtime

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"time"
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
	// retryWrite: a write that gives the same result when repeated alone
	// (SADD, SREM, UNLINK, PEXPIRE, the stores, the TTL scripts), but whose
	// repetition can undo another client's write made between the two:
	// retrySafe by default, retryUnsent with Options.LinearizableWrites.
	retryWrite
)

// resolve returns the policy p stands for under the manager's options.
func (cm *ConnectionManager) resolve(p retryPolicy) retryPolicy {
	if p == retryWrite {
		if cm.opts.LinearizableWrites {
			return retryUnsent
		}
		return retrySafe
	}
	return p
}

// retryable reports whether an attempt that failed with err may be repeated.
func retryable(ctx context.Context, p retryPolicy, err error) bool {
	if ctx.Err() != nil {
		return false
	}
	switch classify(err) {
	case classNotReady, classMasterDown, classUnsent:
		return true // it did not run
	case classNetwork, classPartlyRan:
		return p == retrySafe
	}
	return false
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

// attempts runs f until it succeeds, fails for good, or the policy, the
// attempts left or the deadline stop it.
func (cm *ConnectionManager) attempts(ctx context.Context, p retryPolicy, f func(context.Context) error) error {
	p = cm.resolve(p)
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
		if err == nil || attempt >= cm.opts.RetryMaxAttempts || cm.closed.Load() || !retryable(ctx, p, err) {
			if p == retryUnsent && outcomeUnknown(err) && !errors.Is(err, ErrOutcomeUnknown) {
				err = fmt.Errorf("%w: %w", ErrOutcomeUnknown, err)
			}
			return err
		}
		delay := backoff(attempt, cm.opts.RetryBaseDelay, cm.opts.RetryMaxDelay)
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < delay {
			return err
		}
		cm.countRetry()
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
