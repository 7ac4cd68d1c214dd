package runtime

import (
	"errors"
	"fmt"

	"github.com/setgen/setgen/runtime/codec"
)

// Sentinel errors. Every error returned by a set wraps one of these or the
// underlying cause, so callers test them with errors.Is.
var (
	// ErrCircuitOpen means the circuit breaker is open (or half-open with its
	// single probe already in flight): the call was refused without any
	// network I/O. It clears by itself after Options.BreakerTimeout.
	ErrCircuitOpen = errors.New("setgen: circuit breaker is open")

	// ErrDecode means a member stored in Redis does not decode as the set's
	// element type. The error names the key and shows the member's bytes.
	ErrDecode = codec.ErrDecode

	// ErrEncode means a value could not be encoded as a member.
	ErrEncode = codec.ErrEncode

	// ErrInvalidArgument means a call's arguments can never succeed: an empty
	// key, a nil set or manager, a non-positive count or duration, or sets of
	// different connection managers mixed in one call.
	ErrInvalidArgument = errors.New("setgen: invalid argument")

	// ErrClosed means the ConnectionManager was closed, or closed while
	// the call was in flight.
	ErrClosed = errors.New("setgen: connection manager is closed")

	// ErrPartial means an Add or Remove sent in several batches stopped
	// part-way (a cancelled context, a lost connection): the count
	// returned beside it is that of the batches acknowledged, and more may
	// have been applied. The error also wraps the cause.
	ErrPartial = errors.New("setgen: applied in part")

	// ErrOutcomeUnknown means a command failed after it may have reached
	// the server (the connection broke or timed out before the reply) and
	// was not sent again because repeating it is not safe: Pop and Move
	// always, the other writes with Options.LinearizableWrites. It may or
	// may not have been applied. The error also wraps the cause.
	ErrOutcomeUnknown = errors.New("setgen: outcome unknown (the command may or may not have been executed; not retried: unsafe to repeat)")
)

// wrapOp wraps *err, if set, in an OpError naming set, key and op.
func wrapOp(err *error, set, key, op string) {
	if *err != nil {
		*err = &OpError{Set: set, Key: key, Op: op, Err: *err}
	}
}

// OpError is the error returned by every set method. It names the set's
// type, its key and the operation, and wraps the cause.
type OpError struct {
	Set string // the generated type, e.g. "users.UserSet"
	Key string // the full key, prefix included
	Op  string // the method, e.g. "Add"
	Err error  // the cause
}

// Error formats as `users.UserSet(app:users).Add: cause`.
func (e *OpError) Error() string {
	return fmt.Sprintf("%s(%s).%s: %v", e.Set, e.Key, e.Op, e.Err)
}

// Unwrap returns the cause.
func (e *OpError) Unwrap() error { return e.Err }

// DecodeError describes one stored member that does not decode. It wraps
// ErrDecode and the decoder's own error.
type DecodeError struct {
	Key    string // the key the member was read from
	Member []byte // the stored bytes (possibly truncated to 64 bytes)
	Err    error  // why it does not decode
}

const maxShownBytes = 64

func newDecodeError(key string, member string, err error) *DecodeError {
	b := []byte(member)
	if len(b) > maxShownBytes {
		b = b[:maxShownBytes]
	}
	return &DecodeError{Key: key, Member: b, Err: err}
}

// Error names the key and shows the member as a quoted string (truncated).
func (e *DecodeError) Error() string {
	return fmt.Sprintf("key %q: member %q: %v", e.Key, e.Member, e.Err)
}

// Unwrap returns ErrDecode and the cause.
func (e *DecodeError) Unwrap() []error { return []error{ErrDecode, e.Err} }

func invalidArg(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidArgument}, args...)...)
}
