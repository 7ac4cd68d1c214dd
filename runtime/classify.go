package runtime

import (
	"errors"
	"net"
	"strings"

	"github.com/redis/rueidis"
)

// class is what a failed attempt's error says about the server and about
// the command: whether the server is healthy (the breaker), whether the
// command ran (retries, "outcome unknown"), and whether repeating it can
// help. Every caller asks classify; nothing else inspects errors for this.
type class uint8

const (
	// classNone: no error, or a nil reply (a key or member that is not there).
	classNone class = iota
	// classInvalid: the call was refused before reaching the server (a bad
	// argument, a member that does not encode, a reply that does not
	// decode). The server is fine; repeating cannot help.
	classInvalid
	// classCommand: the server answered with an error about the command
	// (WRONGTYPE, NOPERM, ERR ...). It is fine; repeating cannot help.
	classCommand
	// classNotReady: the server answered at once that it cannot run the
	// command yet (LOADING, BUSY, TRYAGAIN, CLUSTERDOWN), or that it is
	// no longer the master (READONLY: a failover demoted it, and the client
	// is about to follow the new one). It is alive and did not run it:
	// retried, never counted against the breaker.
	classNotReady
	// classMasterDown: a replica whose link to its master is down
	// (MASTERDOWN). The command did not run: retried, and counted.
	classMasterDown
	// classUnsent: the connection could not be made, so the command never
	// left: retried even when it is not safe to repeat, and counted.
	classUnsent
	// classNetwork: any other failure of the connection or the server
	// (reset, EOF, timeout; rueidis' ErrClosing too, which it also returns
	// for the calls on a connection it replaces after a failover or a
	// topology change). The command may have run: retried only when it is
	// safe to repeat, and counted.
	classNetwork
	// classPartlyRan: a pipeline in which some commands ran and a later
	// one was refused as not ready (READONLY after a failover, BUSY,
	// LOADING ...): the server is alive, but the call ran in part, so it
	// is retried only when it is safe to repeat, and not counted.
	classPartlyRan
	// classClosed: the manager was closed (ErrClosed; call turns any
	// failure of a call that overlaps Close into one). Not retried, not
	// counted.
	classClosed
	// classGaveUp: the caller's context ended (marked inside the breaker
	// by callerGaveUp), or the failure is counted on a cluster node's own
	// breaker (nodeFailure). Not counted on this breaker.
	classGaveUp
)

// Prefixes of the Redis errors the runtime tells apart.
const (
	errLoading     = "LOADING"
	errBusy        = "BUSY " // not BUSYKEY, BUSYGROUP
	errTryAgain    = "TRYAGAIN"
	errClusterDown = "CLUSTERDOWN"
	errMasterDown  = "MASTERDOWN"
	errReadOnly    = "READONLY"
	errNoScript    = "NOSCRIPT"
	errWrongPass   = "WRONGPASS"
	errNoAuth      = "NOAUTH"
	errNoPerm      = "NOPERM"
)

// classify returns the class of err.
func classify(err error) class {
	if err == nil {
		return classNone // the common case: no errors.As target escaping to the heap
	}
	switch {
	case rueidis.IsRedisNil(err):
		return classNone
	case errors.Is(err, errCallerGaveUp), errors.Is(err, errNodeFailure):
		return classGaveUp
	case errors.Is(err, ErrInvalidArgument), errors.Is(err, ErrDecode), errors.Is(err, ErrEncode):
		return classInvalid
	case errors.Is(err, ErrClosed):
		return classClosed
	}
	var pr *partlyRanError
	if errors.As(err, &pr) {
		switch c := classify(pr.err); c {
		case classNotReady:
			return classPartlyRan
		case classMasterDown, classUnsent:
			return classNetwork // may have run, and counted as these are
		default:
			return c // a failure that says more than "part of it ran"
		}
	}
	if msg, ok := redisErr(err); ok {
		switch {
		case hasPrefix(msg, errLoading, errBusy, errTryAgain, errClusterDown, errReadOnly):
			return classNotReady
		case strings.HasPrefix(msg, errMasterDown):
			return classMasterDown
		}
		return classCommand
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return classUnsent
	}
	return classNetwork
}

// redisErr returns the message of the Redis error reply in err, if any.
func redisErr(err error) (string, bool) {
	var re *rueidis.RedisError
	if err == nil || !errors.As(err, &re) {
		return "", false
	}
	return re.Error(), true
}

// isRedisErrPrefix reports whether err is a Redis error reply starting
// with one of prefixes.
func isRedisErrPrefix(err error, prefixes ...string) bool {
	msg, ok := redisErr(err)
	return ok && hasPrefix(msg, prefixes...)
}

func hasPrefix(s string, prefixes ...string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// isBreakerSuccess: only failures of the server or the network count
// against it. A nil reply, a Redis error about the command (WRONGTYPE,
// NOPERM, ...) and a bad argument mean the server is fine.
func isBreakerSuccess(err error) bool {
	switch classify(err) {
	case classNone, classInvalid, classCommand:
		return true
	}
	return false
}

// isBreakerExcluded: a call that says nothing about the server either way.
// The caller gave up (its context was cancelled or its deadline passed),
// the manager closed, or the server answered at once that it cannot run
// the command yet: a cluster between states (CLUSTERDOWN while a failover
// completes, TRYAGAIN during resharding), a server loading its dataset
// after a restart (LOADING) or running a long script (BUSY). It is alive;
// counting these would lock the application out for BreakerTimeout after
// the server is ready. They are retried within the caller's deadline.
func isBreakerExcluded(err error) bool {
	switch classify(err) {
	case classGaveUp, classNotReady, classPartlyRan, classClosed:
		return true
	}
	return false
}

// outcomeUnknown reports a failure after which a command may or may not
// have run (neither a reply from the server nor a failure before
// sending), or after which a pipeline ran in part; also when Close cut
// such a call short.
func outcomeUnknown(err error) bool {
	var cd *closedDuringCall
	if errors.As(err, &cd) {
		err = cd.err
	}
	if errors.Is(err, ErrOutcomeUnknown) {
		return true
	}
	c := classify(err)
	return c == classNetwork || c == classPartlyRan
}

// closedDuringCall is the failure of a call that the manager's Close cut
// short: ErrClosed, and the attempt's own error.
type closedDuringCall struct{ err error }

func (e *closedDuringCall) Error() string   { return ErrClosed.Error() + ": " + e.err.Error() }
func (e *closedDuringCall) Unwrap() []error { return []error{ErrClosed, e.err} }

// partlyRanError is the first error of a pipeline in which other commands
// succeeded: the call ran in part even when this error says that its own
// command did not run.
type partlyRanError struct{ err error }

func (e *partlyRanError) Error() string {
	return "part of the pipeline ran before it failed: " + e.err.Error()
}

func (e *partlyRanError) Unwrap() error { return e.err }

// pipelineErr returns the first error among the replies of one pipeline,
// marked as partlyRanError when another command of it succeeded (a nil
// reply is a success: the command ran). When fenced, the last reply is a
// fence (a read, which a demoted master still answers): it does not count
// as run, and its error counts only after every write succeeded. A
// transaction (MULTI ... EXEC) ran whole or not at all: its replies before
// EXEC (OK, QUEUED) do not count as run.
func pipelineErr(res []rueidis.RedisResult, fenced bool, txn bool) error {
	writes := res
	if fenced {
		writes = res[:len(res)-1]
	}
	var first error
	ran := false
	for _, r := range writes {
		if err := r.Error(); err == nil || rueidis.IsRedisNil(err) {
			ran = true
		} else if first == nil {
			first = err
		}
	}
	if txn {
		ran = first == nil
	}
	if first == nil && fenced {
		first = res[len(res)-1].Error()
	}
	if first != nil && ran {
		return &partlyRanError{first}
	}
	return first
}

// isAuthErr reports a refusal of the credentials or of their permissions.
func isAuthErr(err error) bool { return isRedisErrPrefix(err, errWrongPass, errNoAuth, errNoPerm) }

// isNoScript reports an EVALSHA of a script the server does not hold.
func isNoScript(err error) bool { return isRedisErrPrefix(err, errNoScript) }
