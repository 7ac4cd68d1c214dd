package runtime

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/rueidis"
	"github.com/redis/rueidis/mock"
	"github.com/sony/gobreaker/v2"
	"go.uber.org/mock/gomock"
)

// Unit tests of the call path (breaker, retries, error wrapping) against a
// gomock rueidis client: every command the runtime sends must be expected,
// so "no network I/O" is checked by the absence of an expectation.

// rawCodec stores strings as their raw bytes, as the generated codec of a
// named string type does. (These unit tests are inside package runtime,
// which the generated test types in internal/testtypes import.)
type rawCodec struct{}

func (rawCodec) Append(b []byte, v *string) ([]byte, error) { return append(b, *v...), nil }
func (rawCodec) Decode(src []byte, v *string) error         { *v = string(src); return nil }

var (
	errRead = &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}
	errDial = &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
)

const wrongType = "WRONGTYPE Operation against a key holding the wrong kind of value"

// mockManager returns a manager over a gomock client. Unless mod says
// otherwise: no retries, threshold 3, a breaker timeout that never passes
// during the test, and no client-side cache.
func mockManager(t *testing.T, cache bool, mod func(*Options)) (*ConnectionManager, *mock.Client) {
	t.Helper()
	ctrl := gomock.NewController(t)
	client := mock.NewClient(ctrl)
	client.EXPECT().Mode().Return(rueidis.ClientModeStandalone).AnyTimes()
	o := Options{
		RetryMaxAttempts: 1,
		RetryBaseDelay:   time.Millisecond,
		RetryMaxDelay:    2 * time.Millisecond,
		BreakerThreshold: 3,
		BreakerTimeout:   time.Hour,
	}
	if mod != nil {
		mod(&o)
	}
	return newManager(o.withDefaults(), client, cache), client
}

func scard(key string) gomock.Matcher { return mock.Match("SCARD", key) }

func wantState(t *testing.T, cm *ConnectionManager, state gobreaker.State, failures uint32) {
	t.Helper()
	if got := cm.breaker.State(); got != state {
		t.Fatalf("breaker state = %v, want %v", got, state)
	}
	if got := cm.breaker.Counts().ConsecutiveFailures; got != failures {
		t.Fatalf("breaker consecutive failures = %d, want %d", got, failures)
	}
}

func TestBreakerOpensAfterThresholdAndFailsFast(t *testing.T) {
	cm, client := mockManager(t, false, nil)
	s := NewSet[string](cm, "test.S", "k", rawCodec{})
	ctx := context.Background()

	// Exactly three calls reach the client; the fourth must not.
	client.EXPECT().Do(gomock.Any(), scard("k")).Return(mock.ErrorResult(errRead)).Times(3)
	for i := 1; i <= 3; i++ {
		_, err := s.Size(ctx)
		var op *net.OpError
		if !errors.As(err, &op) || op.Op != "read" {
			t.Fatalf("call %d: err = %v, want the read error", i, err)
		}
		if errors.Is(err, ErrCircuitOpen) {
			t.Fatalf("call %d: breaker open before the threshold: %v", i, err)
		}
		if i < 3 {
			wantState(t, cm, gobreaker.StateClosed, uint32(i))
		}
	}
	if got := cm.breaker.State(); got != gobreaker.StateOpen {
		t.Fatalf("after 3 failures state = %v, want open", got)
	}
	for range 5 {
		start := time.Now()
		_, err := s.Size(ctx)
		if !errors.Is(err, ErrCircuitOpen) {
			t.Fatalf("open breaker: err = %v, want ErrCircuitOpen", err)
		}
		var oe *OpError
		if !errors.As(err, &oe) || oe.Op != "Size" || oe.Key != "k" {
			t.Fatalf("open breaker error not an OpError naming Size and k: %#v", err)
		}
		if d := time.Since(start); d > 100*time.Millisecond {
			t.Fatalf("fail-fast took %v", d)
		}
	}
	// Every kind of call fails fast, writes included.
	if _, err := s.Add(ctx, "a"); !errors.Is(err, ErrCircuitOpen) {
		t.Fatalf("Add with open breaker: %v", err)
	}
	if _, err := s.Contains(ctx, "a"); !errors.Is(err, ErrCircuitOpen) {
		t.Fatalf("Contains with open breaker: %v", err)
	}
	if _, err := s.Pop(ctx, 1); !errors.Is(err, ErrCircuitOpen) {
		t.Fatalf("Pop with open breaker: %v", err)
	}
	if got := cm.breaker.State(); got != gobreaker.StateOpen {
		t.Fatalf("state = %v, want open", got)
	}
}

func TestBreakerHalfOpenProbe(t *testing.T) {
	const timeout = 300 * time.Millisecond
	cm, client := mockManager(t, false, func(o *Options) { o.BreakerThreshold = 2; o.BreakerTimeout = timeout })
	s := NewSet[string](cm, "test.S", "k", rawCodec{})
	ctx := context.Background()

	gomock.InOrder(
		client.EXPECT().Do(gomock.Any(), scard("k")).Return(mock.ErrorResult(errRead)).Times(2),
		// first probe fails: the breaker opens again
		client.EXPECT().Do(gomock.Any(), scard("k")).Return(mock.ErrorResult(io.EOF)),
		// second probe succeeds: the breaker closes
		client.EXPECT().Do(gomock.Any(), scard("k")).Return(mock.Result(mock.RedisInt64(7))),
		client.EXPECT().Do(gomock.Any(), scard("k")).Return(mock.Result(mock.RedisInt64(8))),
	)
	for range 2 {
		if _, err := s.Size(ctx); err == nil {
			t.Fatal("want an error")
		}
	}
	wantOpen := func() {
		t.Helper()
		if _, err := s.Size(ctx); !errors.Is(err, ErrCircuitOpen) {
			t.Fatalf("err = %v, want ErrCircuitOpen", err)
		}
	}
	wantOpen()
	time.Sleep(timeout + 50*time.Millisecond)
	if got := cm.breaker.State(); got != gobreaker.StateHalfOpen {
		t.Fatalf("after the timeout state = %v, want half-open", got)
	}
	if _, err := s.Size(ctx); !errors.Is(err, io.EOF) {
		t.Fatalf("probe: err = %v, want EOF", err)
	}
	if got := cm.breaker.State(); got != gobreaker.StateOpen {
		t.Fatalf("after a failed probe state = %v, want open", got)
	}
	wantOpen()
	time.Sleep(timeout + 50*time.Millisecond)
	n, err := s.Size(ctx)
	if err != nil || n != 7 {
		t.Fatalf("successful probe = %d, %v", n, err)
	}
	wantState(t, cm, gobreaker.StateClosed, 0)
	if n, err := s.Size(ctx); err != nil || n != 8 {
		t.Fatalf("after close = %d, %v", n, err)
	}
}

func TestBreakerHalfOpenLetsOneProbeThrough(t *testing.T) {
	const timeout = 200 * time.Millisecond
	cm, client := mockManager(t, false, func(o *Options) { o.BreakerThreshold = 1; o.BreakerTimeout = timeout })
	s := NewSet[string](cm, "test.S", "k", rawCodec{})
	ctx := context.Background()

	entered := make(chan struct{})
	release := make(chan struct{})
	gomock.InOrder(
		client.EXPECT().Do(gomock.Any(), scard("k")).Return(mock.ErrorResult(errRead)),
		client.EXPECT().Do(gomock.Any(), scard("k")).DoAndReturn(func(context.Context, rueidis.Completed) rueidis.RedisResult {
			close(entered)
			<-release
			return mock.Result(mock.RedisInt64(1))
		}),
	)
	if _, err := s.Size(ctx); !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("err = %v", err)
	}
	time.Sleep(timeout + 50*time.Millisecond)
	var wg sync.WaitGroup
	var probeErr error
	wg.Go(func() { _, probeErr = s.Size(ctx) })
	<-entered
	// While the probe is in flight, everything else is refused.
	for range 3 {
		if _, err := s.Size(ctx); !errors.Is(err, ErrCircuitOpen) {
			t.Errorf("during the probe: err = %v, want ErrCircuitOpen", err)
		}
	}
	close(release)
	wg.Wait()
	if probeErr != nil {
		t.Fatalf("probe: %v", probeErr)
	}
	wantState(t, cm, gobreaker.StateClosed, 0)
}

func TestBreakerSuccessResetsConsecutiveFailures(t *testing.T) {
	cm, client := mockManager(t, false, nil) // threshold 3
	s := NewSet[string](cm, "test.S", "k", rawCodec{})
	ctx := context.Background()
	fail := mock.ErrorResult(errRead)
	ok := mock.Result(mock.RedisInt64(1))
	gomock.InOrder(
		client.EXPECT().Do(gomock.Any(), scard("k")).Return(fail).Times(2),
		client.EXPECT().Do(gomock.Any(), scard("k")).Return(ok),
		client.EXPECT().Do(gomock.Any(), scard("k")).Return(fail).Times(2),
	)
	for range 5 {
		_, _ = s.Size(ctx)
	}
	wantState(t, cm, gobreaker.StateClosed, 2)
}

func TestBreakerRetriesOfOneCallCountOnce(t *testing.T) {
	cm, client := mockManager(t, false, func(o *Options) { o.RetryMaxAttempts = 4; o.BreakerThreshold = 2 })
	s := NewSet[string](cm, "test.S", "k", rawCodec{})
	client.EXPECT().Do(gomock.Any(), scard("k")).Return(mock.ErrorResult(errRead)).Times(4)
	if _, err := s.Size(context.Background()); !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("err = %v", err)
	}
	wantState(t, cm, gobreaker.StateClosed, 1)
}

func TestBreakerIgnoresCommandErrorsAndNil(t *testing.T) {
	cm, client := mockManager(t, false, func(o *Options) { o.RetryMaxAttempts = 3; o.BreakerThreshold = 2 })
	s := NewSet[string](cm, "test.S", "k", rawCodec{})
	ctx := context.Background()

	// WRONGTYPE: returned once per call (never retried), never counted.
	client.EXPECT().Do(gomock.Any(), scard("k")).Return(mock.Result(mock.RedisError(wrongType))).Times(6)
	for range 6 {
		_, err := s.Size(ctx)
		var re *rueidis.RedisError
		if !errors.As(err, &re) || !strings.HasPrefix(re.Error(), "WRONGTYPE") {
			t.Fatalf("err = %v, want the WRONGTYPE RedisError", err)
		}
	}
	wantState(t, cm, gobreaker.StateClosed, 0)

	// A nil reply: never retried, never counted.
	client.EXPECT().Do(gomock.Any(), mock.Match("PTTL", "k")).Return(mock.Result(mock.RedisNil())).Times(6)
	for range 6 {
		if _, err := s.TTL(ctx); !errors.Is(err, rueidis.Nil) {
			t.Fatalf("err = %v, want redis nil", err)
		}
	}
	wantState(t, cm, gobreaker.StateClosed, 0)

	// Other Redis errors about the command are not server failures either.
	client.EXPECT().Do(gomock.Any(), scard("k")).Return(mock.Result(mock.RedisError("NOPERM this user has no permissions"))).Times(3)
	for range 3 {
		if _, err := s.Size(ctx); err == nil {
			t.Fatal("want an error")
		}
	}
	wantState(t, cm, gobreaker.StateClosed, 0)

	// A server that answers at once that it is loading its dataset or
	// running a long script is alive: retried, never counted, and the
	// call succeeds as soon as the server is ready.
	for _, refusal := range []string{"LOADING Redis is loading the dataset in memory", "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSCRIPT."} {
		client.EXPECT().Do(gomock.Any(), scard("k")).Return(mock.Result(mock.RedisError(refusal))).Times(9)
		for range 3 {
			if _, err := s.Size(ctx); err == nil {
				t.Fatal("want an error")
			}
		}
		wantState(t, cm, gobreaker.StateClosed, 0)
		gomock.InOrder(
			client.EXPECT().Do(gomock.Any(), scard("k")).Return(mock.Result(mock.RedisError(refusal))),
			client.EXPECT().Do(gomock.Any(), scard("k")).Return(mock.Result(mock.RedisInt64(4))),
		)
		if n, err := s.Size(ctx); err != nil || n != 4 {
			t.Fatalf("Size once the server is ready = %d, %v", n, err)
		}
	}

	// Other transient server errors do count (and are retried).
	client.EXPECT().Do(gomock.Any(), scard("k")).Return(mock.Result(mock.RedisError("MASTERDOWN Link with MASTER is down"))).Times(6)
	for range 2 {
		if _, err := s.Size(ctx); err == nil {
			t.Fatal("want an error")
		}
	}
	if got := cm.breaker.State(); got != gobreaker.StateOpen {
		t.Fatalf("after 2 MASTERDOWN calls state = %v, want open", got)
	}
}

// TestClosingIsErrClosed: a call that fails because the client is closing
// under it returns ErrClosed, not rueidis' own error.
func TestClosingIsErrClosed(t *testing.T) {
	// rueidis' ErrClosing while the manager closes: ErrClosed, not retried.
	cm, client := mockManager(t, false, nil)
	s := NewSet[string](cm, "test.S", "k", rawCodec{})
	client.EXPECT().Do(gomock.Any(), scard("k")).DoAndReturn(func(context.Context, rueidis.Completed) rueidis.RedisResult {
		cm.closed.Store(true) // Close, as the reply comes back
		return mock.ErrorResult(rueidis.ErrClosing)
	})
	if _, err := s.Size(context.Background()); !errors.Is(err, ErrClosed) || !errors.Is(err, rueidis.ErrClosing) {
		t.Fatalf("Size while closing = %v; want ErrClosed", err)
	}

	// ErrClosing with the manager open: rueidis replaced the connection
	// (a failover, a topology change). A safe command is retried; an
	// unsafe one says its outcome is unknown.
	cm, client = mockManager(t, false, func(o *Options) { o.RetryMaxAttempts = 2 })
	s = NewSet[string](cm, "test.S", "k", rawCodec{})
	gomock.InOrder(
		client.EXPECT().Do(gomock.Any(), scard("k")).Return(mock.ErrorResult(rueidis.ErrClosing)),
		client.EXPECT().Do(gomock.Any(), scard("k")).Return(mock.Result(mock.RedisInt64(5))),
	)
	if n, err := s.Size(context.Background()); err != nil || n != 5 {
		t.Fatalf("Size after a replaced connection = %d, %v; want it retried", n, err)
	}
	if !outcomeUnknown(rueidis.ErrClosing) || classify(rueidis.ErrClosing) != classNetwork {
		t.Fatal("ErrClosing of an open manager must be a network failure of unknown outcome")
	}
}

func TestBreakerIgnoresCallerCancellation(t *testing.T) {
	cm, client := mockManager(t, false, func(o *Options) { o.RetryMaxAttempts = 3; o.BreakerThreshold = 2 })
	s := NewSet[string](cm, "test.S", "k", rawCodec{})

	// Cancelled while the command is in flight: counted neither way, not retried.
	client.EXPECT().Do(gomock.Any(), scard("k")).Return(mock.ErrorResult(errRead)).Times(3)
	if _, err := s.Size(context.Background()); err == nil {
		t.Fatal("want an error")
	}
	wantState(t, cm, gobreaker.StateClosed, 1)
	for range 5 {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		// Pre-cancelled: refused before the breaker, without I/O.
		if _, err := s.Size(ctx); !errors.Is(err, context.Canceled) {
			t.Fatalf("pre-cancelled: err = %v", err)
		}
	}
	wantState(t, cm, gobreaker.StateClosed, 1)
	// Cancelled during the call.
	for range 5 {
		ctx, cancel := context.WithCancel(context.Background())
		client.EXPECT().Do(gomock.Any(), scard("k")).DoAndReturn(func(context.Context, rueidis.Completed) rueidis.RedisResult {
			cancel()
			return mock.ErrorResult(context.Canceled)
		})
		_, err := s.Size(ctx)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled during the call: err = %v", err)
		}
		var oe *OpError
		if !errors.As(err, &oe) || oe.Op != "Size" {
			t.Fatalf("not an OpError: %#v", err)
		}
	}
	// Deadline passed during the call.
	client.EXPECT().Do(gomock.Any(), scard("k")).DoAndReturn(func(ctx context.Context, _ rueidis.Completed) rueidis.RedisResult {
		<-ctx.Done()
		return mock.ErrorResult(ctx.Err())
	}).Times(3)
	for range 3 {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
		_, err := s.Size(ctx)
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("deadline: err = %v", err)
		}
	}
	wantState(t, cm, gobreaker.StateClosed, 1)
	// The count it had is still there: one more failure opens it.
	client.EXPECT().Do(gomock.Any(), scard("k")).Return(mock.ErrorResult(errRead)).Times(3)
	_, _ = s.Size(context.Background())
	if got := cm.breaker.State(); got != gobreaker.StateOpen {
		t.Fatalf("state = %v, want open", got)
	}
}

func TestBreakerIgnoresLocalErrors(t *testing.T) {
	cm, _ := mockManager(t, false, func(o *Options) { o.BreakerThreshold = 1 })
	s := NewSet[string](cm, "test.S", "k", rawCodec{})
	bad := NewSet[string](cm, "test.S", "k", failCodec{})
	ctx := context.Background()
	for range 3 {
		if _, err := s.Pop(ctx, 0); !errors.Is(err, ErrInvalidArgument) {
			t.Fatalf("Pop(0): %v", err)
		}
		if _, err := bad.Add(ctx, "x"); !errors.Is(err, ErrEncode) {
			t.Fatalf("Add with failing codec: %v", err)
		}
		if _, err := bad.Contains(ctx, "x"); !errors.Is(err, ErrEncode) {
			t.Fatalf("Contains with failing codec: %v", err)
		}
	}
	wantState(t, cm, gobreaker.StateClosed, 0)
}

type failCodec struct{}

func (failCodec) Append(b []byte, v *string) ([]byte, error) {
	return b, errors.New("cannot encode " + *v)
}
func (failCodec) Decode(src []byte, v *string) error { return errors.New("cannot decode") }

func TestRetrySafeCommands(t *testing.T) {
	cm, client := mockManager(t, false, func(o *Options) { o.RetryMaxAttempts = 3 })
	s := NewSet[string](cm, "test.S", "k", rawCodec{})
	ctx := context.Background()

	// Reads: two transient failures, then success.
	gomock.InOrder(
		client.EXPECT().Do(gomock.Any(), scard("k")).Return(mock.ErrorResult(errRead)),
		client.EXPECT().Do(gomock.Any(), scard("k")).Return(mock.ErrorResult(io.ErrUnexpectedEOF)),
		client.EXPECT().Do(gomock.Any(), scard("k")).Return(mock.Result(mock.RedisInt64(5))),
	)
	if n, err := s.Size(ctx); err != nil || n != 5 {
		t.Fatalf("Size = %d, %v", n, err)
	}
	wantState(t, cm, gobreaker.StateClosed, 0)

	// SADD and SREM are retried after a non-dial network error.
	gomock.InOrder(
		client.EXPECT().DoMulti(gomock.Any(), mock.Match("SADD", "k", "a", "b")).Return([]rueidis.RedisResult{mock.ErrorResult(errRead)}),
		client.EXPECT().DoMulti(gomock.Any(), mock.Match("SADD", "k", "a", "b")).Return([]rueidis.RedisResult{mock.Result(mock.RedisInt64(2))}),
		client.EXPECT().DoMulti(gomock.Any(), mock.Match("SREM", "k", "a")).Return([]rueidis.RedisResult{mock.ErrorResult(errRead)}),
		client.EXPECT().DoMulti(gomock.Any(), mock.Match("SREM", "k", "a")).Return([]rueidis.RedisResult{mock.Result(mock.RedisInt64(1))}),
	)
	if n, err := s.Add(ctx, "a", "b"); err != nil || n != 2 {
		t.Fatalf("Add = %d, %v", n, err)
	}
	if n, err := s.Remove(ctx, "a"); err != nil || n != 1 {
		t.Fatalf("Remove = %d, %v", n, err)
	}

	// Attempts are bounded by RetryMaxAttempts.
	client.EXPECT().Do(gomock.Any(), scard("k")).Return(mock.ErrorResult(errRead)).Times(3)
	if _, err := s.Size(ctx); !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("err = %v", err)
	}
	// A non-transient Redis error is not retried.
	client.EXPECT().Do(gomock.Any(), scard("k")).Return(mock.Result(mock.RedisError(wrongType))).Times(1)
	if _, err := s.Size(ctx); err == nil || !strings.Contains(err.Error(), "WRONGTYPE") {
		t.Fatalf("err = %v", err)
	}
}

func TestRetryUnsentCommands(t *testing.T) {
	cm, client := mockManager(t, false, func(o *Options) { o.RetryMaxAttempts = 5; o.BreakerThreshold = 100 })
	src := NewSet[string](cm, "test.S", "src", rawCodec{})
	dst := NewSet[string](cm, "test.S", "dst", rawCodec{})
	ctx := context.Background()
	spop := mock.Match("SPOP", "src", "2")
	smove := mock.Match("SMOVE", "src", "dst", "m")
	popped := []rueidis.RedisResult{mock.Result(mock.RedisArray(mock.RedisBlobString("x"), mock.RedisBlobString("y")))}

	// After a non-dial network error the command may have run: exactly one attempt.
	for _, err := range []error{errRead, io.EOF, &net.OpError{Op: "write", Net: "tcp", Err: syscall.EPIPE}} {
		client.EXPECT().DoMulti(gomock.Any(), spop).Return([]rueidis.RedisResult{mock.ErrorResult(err)}).Times(1)
		if _, got := src.Pop(ctx, 2); !errors.Is(got, err) || !errors.Is(got, ErrOutcomeUnknown) {
			t.Fatalf("Pop after %v: err = %v; want it and outcome unknown", err, got)
		}
		client.EXPECT().DoMulti(gomock.Any(), smove).Return([]rueidis.RedisResult{mock.ErrorResult(err)}).Times(1)
		if ok, got := src.Move(ctx, dst, "m"); ok || !errors.Is(got, err) || !errors.Is(got, ErrOutcomeUnknown) {
			t.Fatalf("Move after %v: %v, %v", err, ok, got)
		}
	}

	// A dial error or a LOADING/TRYAGAIN refusal means it was never run: retried.
	gomock.InOrder(
		client.EXPECT().DoMulti(gomock.Any(), spop).Return([]rueidis.RedisResult{mock.ErrorResult(errDial)}),
		client.EXPECT().DoMulti(gomock.Any(), spop).Return([]rueidis.RedisResult{mock.Result(mock.RedisError("LOADING Redis is loading the dataset in memory"))}),
		client.EXPECT().DoMulti(gomock.Any(), spop).Return(popped),
		client.EXPECT().DoMulti(gomock.Any(), smove).Return([]rueidis.RedisResult{mock.ErrorResult(errDial)}),
		client.EXPECT().DoMulti(gomock.Any(), smove).Return([]rueidis.RedisResult{mock.Result(mock.RedisError("TRYAGAIN Multiple keys request during rehashing of slot"))}),
		client.EXPECT().DoMulti(gomock.Any(), smove).Return([]rueidis.RedisResult{mock.Result(mock.RedisInt64(1))}),
	)
	got, err := src.Pop(ctx, 2)
	if err != nil || len(got) != 2 || got[0] != "x" || got[1] != "y" {
		t.Fatalf("Pop = %v, %v", got, err)
	}
	if ok, err := src.Move(ctx, dst, "m"); err != nil || !ok {
		t.Fatalf("Move = %v, %v", ok, err)
	}

	// Dial errors are still bounded by RetryMaxAttempts.
	client.EXPECT().DoMulti(gomock.Any(), spop).Return([]rueidis.RedisResult{mock.ErrorResult(errDial)}).Times(5)
	if _, err := src.Pop(ctx, 2); !errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, ErrOutcomeUnknown) {
		t.Fatalf("err = %v; want the dial error, outcome known (never sent)", err)
	}
	// A reply from the server is a known outcome too.
	client.EXPECT().DoMulti(gomock.Any(), smove).Return([]rueidis.RedisResult{mock.Result(mock.RedisError(wrongType))})
	if _, err := src.Move(ctx, dst, "m"); err == nil || errors.Is(err, ErrOutcomeUnknown) {
		t.Fatalf("Move with WRONGTYPE: %v", err)
	}
	// Retry-safe commands never say so.
	client.EXPECT().DoMulti(gomock.Any(), mock.Match("SADD", "src", "a")).Return([]rueidis.RedisResult{mock.ErrorResult(errRead)}).Times(5)
	if _, err := src.Add(ctx, "a"); !errors.Is(err, syscall.ECONNRESET) || errors.Is(err, ErrOutcomeUnknown) {
		t.Fatalf("Add: %v", err)
	}
}

func TestLinearizableWritesRetryOnlyUnsent(t *testing.T) {
	cm, client := mockManager(t, false, func(o *Options) {
		o.RetryMaxAttempts, o.BreakerThreshold, o.LinearizableWrites = 5, 100, true
	})
	s := NewSet[string](cm, "test.S", "k", rawCodec{})
	ctx := context.Background()
	sadd := mock.Match("SADD", "k", "a")
	srem := mock.Match("SREM", "k", "a")
	unlink := mock.Match("UNLINK", "k") // no cache, so no fence
	fail := func(err error) []rueidis.RedisResult { return []rueidis.RedisResult{mock.ErrorResult(err)} }

	// A write whose reply was lost may have run: exactly one attempt, and
	// the error says the outcome is unknown.
	for _, err := range []error{errRead, io.EOF, &net.OpError{Op: "write", Net: "tcp", Err: syscall.EPIPE}} {
		client.EXPECT().DoMulti(gomock.Any(), sadd).Return(fail(err)).Times(1)
		if n, got := s.Add(ctx, "a"); n != 0 || !errors.Is(got, err) || !errors.Is(got, ErrOutcomeUnknown) {
			t.Fatalf("Add after %v = %d, %v; want it and outcome unknown", err, n, got)
		}
		client.EXPECT().DoMulti(gomock.Any(), srem).Return(fail(err)).Times(1)
		if n, got := s.Remove(ctx, "a"); n != 0 || !errors.Is(got, err) || !errors.Is(got, ErrOutcomeUnknown) {
			t.Fatalf("Remove after %v = %d, %v; want it and outcome unknown", err, n, got)
		}
		client.EXPECT().DoMulti(gomock.Any(), unlink).Return(fail(err)).Times(1)
		if got := s.Clear(ctx); !errors.Is(got, err) || !errors.Is(got, ErrOutcomeUnknown) {
			t.Fatalf("Clear after %v = %v; want it and outcome unknown", err, got)
		}
	}

	// A write that certainly did not run is retried, as by default.
	gomock.InOrder(
		client.EXPECT().DoMulti(gomock.Any(), sadd).Return(fail(errDial)),
		client.EXPECT().DoMulti(gomock.Any(), sadd).Return([]rueidis.RedisResult{mock.Result(mock.RedisError("LOADING Redis is loading the dataset in memory"))}),
		client.EXPECT().DoMulti(gomock.Any(), sadd).Return([]rueidis.RedisResult{mock.Result(mock.RedisError("READONLY You can't write against a read only replica."))}),
		client.EXPECT().DoMulti(gomock.Any(), sadd).Return([]rueidis.RedisResult{mock.Result(mock.RedisInt64(1))}),
	)
	if n, err := s.Add(ctx, "a"); err != nil || n != 1 {
		t.Fatalf("Add = %d, %v; want 1 after three attempts that did not run", n, err)
	}

	// A pipeline that ran in part is not sent again, even when its failed
	// command says it did not run itself: a Remove of 1,500 members (two
	// batches in one pipeline) whose second batch met READONLY (a failover
	// between the two) applied the first.
	many := make([]string, 1500)
	for i := range many {
		many[i] = strconv.Itoa(i)
	}
	readOnly := mock.Result(mock.RedisError("READONLY You can't write against a read only replica."))
	client.EXPECT().DoMulti(gomock.Any(), gomock.Any(), gomock.Any()).Return([]rueidis.RedisResult{mock.Result(mock.RedisInt64(1000)), readOnly}).Times(1)
	if n, err := s.Remove(ctx, many...); n != 0 || !errors.Is(err, ErrOutcomeUnknown) || !errors.Is(err, ErrPartial) {
		t.Fatalf("Remove whose second batch met READONLY = %d, %v; want 0 acknowledged, ErrPartial and outcome unknown, one attempt", n, err)
	}
	// The same pipeline refused as a whole did not run: retried.
	gomock.InOrder(
		client.EXPECT().DoMulti(gomock.Any(), gomock.Any(), gomock.Any()).Return([]rueidis.RedisResult{readOnly, readOnly}),
		client.EXPECT().DoMulti(gomock.Any(), gomock.Any(), gomock.Any()).Return([]rueidis.RedisResult{mock.Result(mock.RedisInt64(1000)), mock.Result(mock.RedisInt64(500))}),
	)
	if n, err := s.Remove(ctx, many...); n != 1500 || err != nil {
		t.Fatalf("Remove refused whole, then applied = %d, %v; want 1500, nil", n, err)
	}

	// Reads are retried after any transient failure.
	gomock.InOrder(
		client.EXPECT().Do(gomock.Any(), scard("k")).Return(mock.ErrorResult(errRead)),
		client.EXPECT().Do(gomock.Any(), scard("k")).Return(mock.Result(mock.RedisInt64(7))),
	)
	if n, err := s.Size(ctx); err != nil || n != 7 {
		t.Fatalf("Size = %d, %v; want 7 after a retry", n, err)
	}
}

// TestLinearizableWritesFence: with the cache on, a write is followed by
// its fence (EXISTS). The fence does not count as run: a write refused
// with READONLY is retried although the fence was answered (a demoted
// master answers reads). A fence refused after the write ran is a call
// that ran in part: not sent again, and not counted against the breaker.
func TestLinearizableWritesFence(t *testing.T) {
	cm, client := mockManager(t, true, func(o *Options) {
		o.RetryMaxAttempts, o.BreakerThreshold, o.LinearizableWrites = 5, 1, true
	})
	s := NewSet[string](cm, "test.S", "k", rawCodec{})
	ctx := context.Background()
	ok := func(n int64) rueidis.RedisResult { return mock.Result(mock.RedisInt64(n)) }
	gomock.InOrder(
		client.EXPECT().DoMulti(gomock.Any(), mock.Match("SADD", "k", "a"), mock.Match("EXISTS", "k")).
			Return([]rueidis.RedisResult{mock.Result(mock.RedisError("READONLY You can't write against a read only replica.")), ok(0)}),
		client.EXPECT().DoMulti(gomock.Any(), mock.Match("SADD", "k", "a"), mock.Match("EXISTS", "k")).
			Return([]rueidis.RedisResult{ok(1), ok(1)}),
	)
	if n, err := s.Add(ctx, "a"); n != 1 || err != nil {
		t.Fatalf("Add refused with READONLY, then applied = %d, %v; want 1, nil", n, err)
	}
	client.EXPECT().DoMulti(gomock.Any(), mock.Match("SREM", "k", "a"), mock.Match("EXISTS", "k")).
		Return([]rueidis.RedisResult{ok(1), mock.Result(mock.RedisError("BUSY Redis is busy running a script"))}).Times(1)
	if n, err := s.Remove(ctx, "a"); n != 0 || !errors.Is(err, ErrOutcomeUnknown) {
		t.Fatalf("Remove whose fence met BUSY = %d, %v; want 0 and outcome unknown, one attempt", n, err)
	}
	wantState(t, cm, gobreaker.StateClosed, 0)
}

func TestRetryBoundedByDeadline(t *testing.T) {
	// Backoff far beyond the deadline: the call gives up instead of waiting.
	cm, client := mockManager(t, false, func(o *Options) {
		o.RetryMaxAttempts = 100
		o.RetryBaseDelay = time.Hour
		o.RetryMaxDelay = time.Hour
	})
	s := NewSet[string](cm, "test.S", "k", rawCodec{})
	var calls int
	client.EXPECT().Do(gomock.Any(), scard("k")).DoAndReturn(func(context.Context, rueidis.Completed) rueidis.RedisResult {
		calls++
		return mock.ErrorResult(errRead)
	}).MinTimes(1).MaxTimes(2)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := s.Size(ctx)
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("Size took %v with a 200ms deadline", d)
	}
	if !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("err = %v, want the last attempt's error", err)
	}
	if calls > 2 {
		t.Fatalf("%d attempts", calls)
	}

	// With small delays and a deadline, attempts stop at the deadline.
	cm2, client2 := mockManager(t, false, func(o *Options) {
		o.RetryMaxAttempts = 1 << 20
		o.RetryBaseDelay = 5 * time.Millisecond
		o.RetryMaxDelay = 5 * time.Millisecond
		o.BreakerThreshold = 1000
	})
	s2 := NewSet[string](cm2, "test.S", "k", rawCodec{})
	var calls2 int
	client2.EXPECT().Do(gomock.Any(), scard("k")).DoAndReturn(func(context.Context, rueidis.Completed) rueidis.RedisResult {
		calls2++
		return mock.ErrorResult(errRead)
	}).AnyTimes()
	ctx2, cancel2 := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel2()
	start = time.Now()
	if _, err := s2.Size(ctx2); err == nil {
		t.Fatal("want an error")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("Size took %v with a 150ms deadline", d)
	}
	if calls2 < 2 || calls2 > 150 {
		t.Fatalf("%d attempts in 150ms with delays of at most 5ms", calls2)
	}
}

func TestRetryable(t *testing.T) {
	live := context.Background()
	dead, cancel := context.WithCancel(context.Background())
	cancel()
	redisErr := func(msg string) error { return mock.Result(mock.RedisError(msg)).Error() }
	cases := []struct {
		name       string
		ctx        context.Context
		err        error
		safe, once bool // retryable with retrySafe, retryUnsent
	}{
		{"read error", live, errRead, true, false},
		{"EOF", live, io.EOF, true, false},
		{"dial error", live, errDial, true, true},
		{"wrapped dial error", live, &net.OpError{Op: "dial", Err: errors.New("timeout")}, true, true},
		{"LOADING", live, redisErr("LOADING loading"), true, true},
		{"BUSY", live, redisErr("BUSY Redis is busy running a script"), true, true},
		{"TRYAGAIN", live, redisErr("TRYAGAIN later"), true, true},
		{"CLUSTERDOWN", live, redisErr("CLUSTERDOWN The cluster is down"), true, true},
		{"MASTERDOWN", live, redisErr("MASTERDOWN Link with MASTER is down"), true, true},
		{"BUSYKEY is not BUSY", live, redisErr("BUSYKEY Target key name already exists"), false, false},
		{"WRONGTYPE", live, redisErr(wrongType), false, false},
		{"NOPERM", live, redisErr("NOPERM no permissions"), false, false},
		{"nil", live, mock.Result(mock.RedisNil()).Error(), false, false},
		{"invalid argument", live, invalidArg("x"), false, false},
		{"decode", live, ErrDecode, false, false},
		{"encode", live, ErrEncode, false, false},
		{"closed", live, ErrClosed, false, false},
		{"closing (a replaced connection)", live, rueidis.ErrClosing, true, false},
		{"context ended", dead, errRead, false, false},
		{"context ended, dial", dead, errDial, false, false},
	}
	for _, c := range cases {
		if got := retryable(c.ctx, retrySafe, c.err); got != c.safe {
			t.Errorf("%s: retryable(retrySafe) = %v, want %v", c.name, got, c.safe)
		}
		if got := retryable(c.ctx, retryUnsent, c.err); got != c.once {
			t.Errorf("%s: retryable(retryUnsent) = %v, want %v", c.name, got, c.once)
		}
	}
}

// TestClassify pins the one classification every caller asks (breaker,
// retries, "outcome unknown"), and what each caller derives from it.
func TestClassify(t *testing.T) {
	redisErr := func(msg string) error { return mock.Result(mock.RedisError(msg)).Error() }
	cases := []struct {
		err  error
		want class
	}{
		{nil, classNone},
		{mock.Result(mock.RedisNil()).Error(), classNone},
		{invalidArg("x"), classInvalid},
		{ErrDecode, classInvalid},
		{ErrEncode, classInvalid},
		{redisErr(wrongType), classCommand},
		{redisErr("NOPERM x"), classCommand},
		{redisErr("ERR syntax error"), classCommand},
		{redisErr("BUSYKEY Target key name already exists"), classCommand},
		{redisErr("NOSCRIPT No matching script"), classCommand},
		{redisErr("LOADING x"), classNotReady},
		{redisErr("BUSY Redis is busy running a script"), classNotReady},
		{redisErr("TRYAGAIN x"), classNotReady},
		{redisErr("CLUSTERDOWN x"), classNotReady},
		{redisErr("READONLY You can't write against a read only replica."), classNotReady},
		{redisErr("MASTERDOWN x"), classMasterDown},
		{errDial, classUnsent},
		{errRead, classNetwork},
		{io.EOF, classNetwork},
		{context.DeadlineExceeded, classNetwork},
		{ErrClosed, classClosed},
		{fmt.Errorf("%w: %w", ErrClosed, rueidis.ErrClosing), classClosed},
		{rueidis.ErrClosing, classNetwork}, // a replaced connection; call makes it ErrClosed when the manager closed
		{callerGaveUp{context.Canceled}, classGaveUp},
		{callerGaveUp{redisErr(wrongType)}, classGaveUp},
		{nodeFailure{"10.0.0.1:6379", errRead}, classGaveUp},
		{&partlyRanError{redisErr("READONLY You can't write against a read only replica.")}, classPartlyRan},
		{&partlyRanError{redisErr("BUSY Redis is busy running a script")}, classPartlyRan},
		{&partlyRanError{redisErr("MASTERDOWN x")}, classNetwork}, // may have run, and counted
		{&partlyRanError{errRead}, classNetwork},
		{&partlyRanError{redisErr(wrongType)}, classCommand},
	}
	for _, c := range cases {
		got := classify(c.err)
		if got != c.want {
			t.Errorf("classify(%v) = %d, want %d", c.err, got, c.want)
		}
		success := got == classNone || got == classInvalid || got == classCommand
		excluded := got == classGaveUp || got == classNotReady || got == classPartlyRan || got == classClosed
		if isBreakerSuccess(c.err) != success || isBreakerExcluded(c.err) != excluded {
			t.Errorf("%v: breaker success %v, excluded %v; want %v, %v", c.err, isBreakerSuccess(c.err), isBreakerExcluded(c.err), success, excluded)
		}
		if outcomeUnknown(c.err) != (got == classNetwork || got == classPartlyRan) {
			t.Errorf("outcomeUnknown(%v) = %v", c.err, outcomeUnknown(c.err))
		}
	}
	// A call cut short by Close: ErrClosed, and the outcome is that of
	// the attempt Close cut.
	if cut := (&closedDuringCall{errRead}); classify(cut) != classClosed || !outcomeUnknown(cut) || !errors.Is(cut, ErrClosed) || !errors.Is(cut, syscall.ECONNRESET) {
		t.Errorf("closedDuringCall(network): class %d, outcome unknown %v", classify(cut), outcomeUnknown(cut))
	}
	if cut := (&closedDuringCall{redisErr(wrongType)}); outcomeUnknown(cut) {
		t.Error("closedDuringCall(WRONGTYPE): outcome unknown, want known")
	}
	if !isAuthErr(redisErr("WRONGPASS invalid username-password pair")) || isAuthErr(redisErr(wrongType)) || isAuthErr(errRead) {
		t.Error("isAuthErr misclassifies")
	}
	if !isNoScript(redisErr("NOSCRIPT No matching script")) || isNoScript(errRead) {
		t.Error("isNoScript misclassifies")
	}
	if gu := (callerGaveUp{errRead}); gu.Error() != errRead.Error() || !errors.Is(gu, syscall.ECONNRESET) {
		t.Errorf("callerGaveUp does not wrap its cause: %v", gu)
	}
}

func TestBackoff(t *testing.T) {
	base, maxD := 10*time.Millisecond, 300*time.Millisecond
	for n := 1; n <= 40; n++ {
		window := min(base<<min(n-1, 30), maxD)
		var sawHigh bool
		for range 200 {
			d := backoff(n, base, maxD)
			if d < 1 || d > window {
				t.Fatalf("backoff(%d) = %v, want in [1ns, %v]", n, d, window)
			}
			if d > window/2 {
				sawHigh = true
			}
		}
		if !sawHigh {
			t.Fatalf("backoff(%d) never above half its window %v: no jitter over the window", n, window)
		}
	}
	// Huge attempt numbers do not overflow.
	if d := backoff(1000, time.Hour, 2*time.Hour); d < 1 || d > 2*time.Hour {
		t.Fatalf("backoff(1000) = %v", d)
	}
}

func TestClosedManager(t *testing.T) {
	cm, client := mockManager(t, false, nil)
	client.EXPECT().Close().Times(1)
	s := NewSet[string](cm, "test.S", "k", rawCodec{})
	cm.Close()
	cm.Close() // idempotent: the client is closed once
	ctx := context.Background()
	if _, err := s.Size(ctx); !errors.Is(err, ErrClosed) {
		t.Fatalf("Size after Close: %v", err)
	}
	if _, err := s.Add(ctx, "a"); !errors.Is(err, ErrClosed) {
		t.Fatalf("Add after Close: %v", err)
	}
	if h := cm.Health(ctx); h.Status != StatusUnhealthy || h.Error != ErrClosed.Error() {
		t.Fatalf("Health after Close: %+v", h)
	}
	var nilCM *ConnectionManager
	nilCM.Close() // no panic
	if err := nilCM.call(ctx, "k", retrySafe, func(context.Context) error { return nil }); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("nil manager call: %v", err)
	}
	var nilCtx context.Context
	if err := cm.call(nilCtx, "k", retrySafe, func(context.Context) error { return nil }); !errors.Is(err, ErrInvalidArgument) && !errors.Is(err, ErrClosed) {
		t.Fatalf("nil context call: %v", err)
	}
}

// TestLinearizableWritesTransaction: a cross-slot store replaces its
// destination in one MULTI/EXEC. A transaction refused at queueing
// (READONLY: MULTI's OK, then READONLY, then EXECABORT) did not run at
// all, so it is retried; one whose EXEC reply was lost may have run.
func TestLinearizableWritesTransaction(t *testing.T) {
	cm, client := mockManager(t, true, func(o *Options) {
		o.RetryMaxAttempts, o.BreakerThreshold, o.LinearizableWrites = 5, 100, true
	})
	ok := mock.Result(mock.RedisString("OK"))
	queued := mock.Result(mock.RedisString("QUEUED"))
	readOnly := mock.Result(mock.RedisError("READONLY You can't write against a read only replica."))
	abort := mock.Result(mock.RedisError("EXECABORT Transaction discarded because of previous errors."))
	txn := []any{mock.Match("MULTI"), mock.Match("DEL", "dst"), mock.Match("SADD", "dst", "a"), mock.Match("EXEC"), mock.Match("EXISTS", "dst")}
	gomock.InOrder(
		client.EXPECT().DoMulti(gomock.Any(), txn...).Return([]rueidis.RedisResult{ok, readOnly, readOnly, abort, mock.Result(mock.RedisInt64(0))}),
		client.EXPECT().DoMulti(gomock.Any(), txn...).Return([]rueidis.RedisResult{ok, queued, queued,
			mock.Result(mock.RedisArray(mock.RedisInt64(0), mock.RedisInt64(1))), mock.Result(mock.RedisInt64(1))}),
	)
	if err := cm.replaceRaw(context.Background(), "dst", []string{"a"}); err != nil {
		t.Fatalf("replace refused with READONLY, then run = %v; want nil after a retry", err)
	}
	client.EXPECT().DoMulti(gomock.Any(), txn...).Return([]rueidis.RedisResult{ok, queued, queued, mock.ErrorResult(errRead), mock.ErrorResult(errRead)}).Times(1)
	if err := cm.replaceRaw(context.Background(), "dst", []string{"a"}); !errors.Is(err, ErrOutcomeUnknown) {
		t.Fatalf("replace whose EXEC reply was lost = %v; want outcome unknown, one attempt", err)
	}
}

// TestMoveCrossSlotOutcomeUnknown: a cross-slot Move is SREM then SADD.
// With LinearizableWrites, an add whose reply was lost may have been
// applied: Move puts the member back and says it may be in both sets; and
// when the put-back is lost too, says where it may be, not "neither".
func TestMoveCrossSlotOutcomeUnknown(t *testing.T) {
	ctrl := gomock.NewController(t)
	client := mock.NewClient(ctrl)
	client.EXPECT().Mode().Return(rueidis.ClientModeCluster).AnyTimes()
	o := Options{RetryMaxAttempts: 3, BreakerThreshold: 100, BreakerTimeout: time.Hour, LinearizableWrites: true}
	cm := newManager(o.withDefaults(), client, false)
	src := NewSet[string](cm, "test.S", "src", rawCodec{})
	dst := NewSet[string](cm, "test.S", "dst", rawCodec{})
	if Slot("src") == Slot("dst") {
		t.Fatal("test keys share a slot")
	}
	ctx := context.Background()
	one := []rueidis.RedisResult{mock.Result(mock.RedisInt64(1))}
	lost := []rueidis.RedisResult{mock.ErrorResult(errRead)}
	srem := mock.Match("SREM", "src", "m")
	addDst, addSrc := mock.Match("SADD", "dst", "m"), mock.Match("SADD", "src", "m")

	gomock.InOrder(
		client.EXPECT().DoMulti(gomock.Any(), srem).Return(one),
		client.EXPECT().DoMulti(gomock.Any(), addDst).Return(lost),
		client.EXPECT().DoMulti(gomock.Any(), addSrc).Return(one),
	)
	moved, err := src.Move(ctx, dst, "m")
	if moved || !errors.Is(err, ErrOutcomeUnknown) || !strings.Contains(err.Error(), "it is in src and may be in dst too") {
		t.Fatalf("Move with the add's reply lost = %v, %v; want outcome unknown, in src and maybe in dst", moved, err)
	}

	denied := []rueidis.RedisResult{mock.Result(mock.RedisError("NOPERM this user has no permissions to run the 'sadd' command"))}
	for _, c := range []struct {
		add, back []rueidis.RedisResult
		want      string
	}{
		{denied, denied, "it is in neither set"},
		{lost, denied, "it is in dst or in neither set"},
		{denied, lost, "it is in src or in neither set"},
		{lost, lost, "it may be in src, in dst, in both or in neither"},
	} {
		gomock.InOrder(
			client.EXPECT().DoMulti(gomock.Any(), srem).Return(one),
			client.EXPECT().DoMulti(gomock.Any(), addDst).Return(c.add),
			client.EXPECT().DoMulti(gomock.Any(), addSrc).Return(c.back),
		)
		if moved, err := src.Move(ctx, dst, "m"); moved || err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Move = %v, %v; want an error saying %q", moved, err, c.want)
		}
	}
}

// TestExpiryOf: a score is read the same whether it comes as digits (the
// fast path) or in any other form a double takes.
func TestExpiryOf(t *testing.T) {
	for _, c := range []struct {
		reply rueidis.RedisMessage
		want  float64
	}{
		{mock.RedisFloat64(1764790000123), 1764790000123},
		{mock.RedisString("1764790000123"), 1764790000123},
		{mock.RedisString("0"), 0},
		{mock.RedisString("1.5e+12"), 1.5e12},
		{mock.RedisString("-5"), -5},
		{mock.RedisString("inf"), math.Inf(1)},
		{mock.RedisString("9007199254740993"), 9007199254740992}, // 16 digits: parsed as a float
		{mock.RedisString("12.75"), 12.75},
	} {
		got, err := expiryOf(mock.Result(c.reply))
		if err != nil || got != c.want {
			t.Errorf("expiryOf(%v) = %v, %v; want %v", c.reply, got, err, c.want)
		}
	}
	if _, err := expiryOf(mock.Result(mock.RedisNil())); !rueidis.IsRedisNil(err) {
		t.Errorf("expiryOf(nil) error = %v, want a nil reply", err)
	}
	if _, err := expiryOf(mock.Result(mock.RedisString(""))); err == nil {
		t.Error("expiryOf(\"\") succeeded")
	}
}
