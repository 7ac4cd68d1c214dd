package runtime_test

// Reliability under faults, on real redis-server processes: a crashed
// server (SIGKILL) and its return, a hung server (SIGSTOP), connections cut
// after a command was sent but before its reply came back. The figures
// logged here (t.Logf) are the ones quoted in RELIABILITY.md.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/setgen/setgen/internal/redistest"
	"github.com/setgen/setgen/runtime"
)

// lockedBuffer is an io.Writer for a slog handler that tests read while
// the manager's goroutines write.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// debugLogger logs everything, as JSON lines, into the returned buffer.
func debugLogger() (*slog.Logger, *lockedBuffer) {
	buf := &lockedBuffer{}
	return slog.New(slog.NewJSONHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug})), buf
}

// breakerTransitions returns the "from->to" breaker transitions logged.
func breakerTransitions(t *testing.T, logs string) []string {
	t.Helper()
	var out []string
	for line := range strings.Lines(logs) {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line is not JSON: %q: %v", line, err)
		}
		if msg, _ := rec["msg"].(string); strings.Contains(msg, "circuit breaker") {
			out = append(out, fmt.Sprintf("%v->%v", rec["from"], rec["to"]))
		}
	}
	return out
}

// healthJSON marshals h and checks that every figure the README documents is
// a JSON number, returning the decoded object.
func healthJSON(t *testing.T, h runtime.Health) map[string]any {
	t.Helper()
	raw, err := json.Marshal(h)
	if err != nil {
		t.Fatalf("marshal Health: %v", err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("unmarshal Health JSON: %v", err)
	}
	num := func(obj map[string]any, path, key string) {
		v, ok := obj[key]
		if !ok {
			t.Fatalf("Health JSON has no %s%s: %s", path, key, raw)
		}
		if _, ok := v.(float64); !ok {
			t.Fatalf("Health JSON %s%s = %#v (%T), want a JSON number: %s", path, key, v, v, raw)
		}
	}
	sub := func(key string) map[string]any {
		o, ok := m[key].(map[string]any)
		if !ok {
			t.Fatalf("Health JSON has no object %q: %s", key, raw)
		}
		return o
	}
	if _, ok := m["status"].(string); !ok {
		t.Fatalf("Health JSON has no status string: %s", raw)
	}
	num(m, "", "latency_ms")
	cb := sub("circuit_breaker")
	if _, ok := cb["state"].(string); !ok {
		t.Fatalf("Health JSON circuit_breaker has no state string: %s", raw)
	}
	for _, k := range []string{"failure_count", "threshold", "timeout_s"} {
		num(cb, "circuit_breaker.", k)
	}
	sub("connection_pool")
	srv := sub("server")
	for _, k := range []string{"connected_clients", "used_memory"} {
		num(srv, "server.", k)
	}
	cache := sub("cache")
	for _, k := range []string{"hits", "misses"} {
		num(cache, "cache.", k)
	}
	return m
}

// percentile returns the p-th percentile (0..100) of sorted durations.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted)-1) * p / 100)
	return sorted[i]
}

// TestBreakerServerDeathAndReturn kills the server with SIGKILL under a
// steady stream of writes, and checks the whole cycle: the breaker opens
// after BreakerThreshold failed calls, then fails fast without I/O, Health
// says why, the breaker half-opens after BreakerTimeout, one probe closes
// it once the server is back, and no write acknowledged before the crash
// is lost (AOF with appendfsync always).
func TestBreakerServerDeathAndReturn(t *testing.T) {
	srv := redistest.Start(t, redistest.Config{Args: []string{"--appendonly", "yes", "--appendfsync", "always"}})
	// The harness puts "--appendonly no" before Args; the later value wins.
	for name, want := range map[string]string{"appendonly": "yes", "appendfsync": "always"} {
		out, err := srv.CLI("CONFIG", "GET", name)
		if err != nil || !strings.HasSuffix(out, want) {
			t.Fatalf("CONFIG GET %s = %q, %v; want %s", name, out, err, want)
		}
	}
	const (
		threshold      = 3
		breakerTimeout = time.Second
	)
	logger, logs := debugLogger()
	cm := newManager(t, srv, func(o *runtime.Options) {
		o.BreakerThreshold = threshold
		o.BreakerTimeout = breakerTimeout
		o.RetryMaxAttempts = 2
		o.RetryBaseDelay = time.Millisecond
		o.RetryMaxDelay = 5 * time.Millisecond
		o.CallTimeout = 500 * time.Millisecond
		o.DialTimeout = 500 * time.Millisecond
		o.Logger = logger
	})
	s := runtime.NewSet[string](cm, "test.StrSet", "durable", strCodec{})

	// The writer adds one member per call and records those acknowledged.
	var (
		mu       sync.Mutex
		acked    []string
		failed   int
		firstErr error
	)
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			m := fmt.Sprintf("m%06d", i)
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			_, err := s.Add(ctx, m)
			cancel()
			mu.Lock()
			if err == nil {
				acked = append(acked, m)
			} else {
				failed++
				if firstErr == nil {
					firstErr = err
				}
			}
			mu.Unlock()
			if err != nil {
				time.Sleep(time.Millisecond)
			}
		}
	}()
	ackedCount := func() int { mu.Lock(); defer mu.Unlock(); return len(acked) }
	for deadline := time.Now().Add(10 * time.Second); ackedCount() < 200; {
		if time.Now().After(deadline) {
			t.Fatalf("writer acknowledged only %d writes in 10s", ackedCount())
		}
		time.Sleep(5 * time.Millisecond)
	}

	killAt := time.Now()
	srv.Kill()
	var preOpen []error
	for {
		_, err := s.Size(context.Background())
		if errors.Is(err, runtime.ErrCircuitOpen) {
			break
		}
		if err == nil {
			t.Fatal("Size succeeded with the server killed")
		}
		preOpen = append(preOpen, err)
		if time.Since(killAt) > 10*time.Second {
			t.Fatalf("breaker still closed 10s after the kill; last error: %v", err)
		}
	}
	timeToOpen := time.Since(killAt)
	openAt := time.Now()
	close(stop)
	<-done
	for _, err := range preOpen {
		if !strings.Contains(err.Error(), "test.StrSet(durable).Size: ") {
			t.Errorf("error does not name the set, key and operation: %v", err)
		}
	}

	// Open: calls fail fast, with no network I/O.
	lat := make([]time.Duration, 1000)
	for i := range lat {
		start := time.Now()
		_, err := s.Contains(context.Background(), "m000001")
		lat[i] = time.Since(start)
		if !errors.Is(err, runtime.ErrCircuitOpen) {
			t.Fatalf("call %d with the breaker open: err = %v, want ErrCircuitOpen", i, err)
		}
		if i == 0 && !strings.Contains(err.Error(), "test.StrSet(durable).Contains: ") {
			t.Errorf("ErrCircuitOpen does not name the set and operation: %v", err)
		}
	}
	if d := time.Since(openAt); d >= breakerTimeout {
		t.Fatalf("fail-fast loop took %v, longer than BreakerTimeout: the figures are not all from the open state", d)
	}
	slices.Sort(lat)
	p50, p99, pmax := percentile(lat, 50), percentile(lat, 99), lat[len(lat)-1]
	if p90 := percentile(lat, 90); p50 > 100*time.Microsecond || p90 > time.Millisecond {
		t.Errorf("open breaker is not fast: p50 %v p90 %v p99 %v max %v (want p50 < 100µs, p90 < 1ms)", p50, p90, p99, pmax)
	}

	// Health says unhealthy, breaker open, and returns promptly.
	hStart := time.Now()
	h := cm.Health(context.Background())
	healthTook := time.Since(hStart)
	deadHealthErr := h.Error
	m := healthJSON(t, h)
	if h.Status != runtime.StatusUnhealthy || h.Error == "" {
		t.Errorf("Health with the server dead: status %q error %q, want unhealthy with an error", h.Status, h.Error)
	}
	cb := m["circuit_breaker"].(map[string]any)
	if cb["state"] != "open" || cb["threshold"] != float64(threshold) || cb["timeout_s"] != breakerTimeout.Seconds() {
		t.Errorf("Health circuit_breaker = %v, want open, threshold %d, timeout_s %v", cb, threshold, breakerTimeout.Seconds())
	}
	if healthTook > 3*time.Second {
		t.Errorf("Health took %v with the server dead", healthTook)
	}

	// Return: the breaker half-opens after BreakerTimeout, one probe closes it.
	restartAt := time.Now()
	srv.Restart()
	restarted := time.Since(restartAt)
	var openRefusals int
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_, err := s.Size(ctx)
		cancel()
		if err == nil {
			break
		}
		if !errors.Is(err, runtime.ErrCircuitOpen) {
			t.Fatalf("after restart: %v, want success or ErrCircuitOpen", err)
		}
		openRefusals++
		if time.Since(restartAt) > 10*time.Second {
			t.Fatal("breaker did not close within 10s of the restart")
		}
		time.Sleep(time.Millisecond)
	}
	recoverAfterRestart := time.Since(restartAt)
	recoverAfterOpen := time.Since(openAt)
	// openAt is when this loop saw the breaker open; the writer may have
	// opened it a moment earlier, but never before the kill.
	if recoverAfterKill := time.Since(killAt); recoverAfterKill < breakerTimeout {
		t.Errorf("a call went through %v after the kill, before BreakerTimeout %v", recoverAfterKill, breakerTimeout)
	}
	h = cm.Health(context.Background())
	healthJSON(t, h)
	if h.Status != runtime.StatusHealthy || h.CircuitBreaker.State != "closed" || h.CircuitBreaker.FailureCount != 0 {
		t.Errorf("Health after recovery = %+v, want healthy and closed", h)
	}
	tr := breakerTransitions(t, logs.String())
	want := []string{"closed->open", "open->half-open", "half-open->closed"}
	if !slices.Equal(tr, want) {
		t.Errorf("breaker transitions logged = %v, want %v", tr, want)
	}

	// Durability: every acknowledged write survived the crash.
	ctx := ctxT(t)
	got, err := s.Members(ctx)
	if err != nil {
		t.Fatalf("Members after restart: %v", err)
	}
	have := make(map[string]bool, len(got))
	for _, g := range got {
		have[g] = true
	}
	mu.Lock()
	ackedAll, failedWrites := slices.Clone(acked), failed
	mu.Unlock()
	lost := 0
	for _, a := range ackedAll {
		if !have[a] {
			lost++
		}
	}
	if lost != 0 {
		t.Errorf("%d of %d acknowledged writes lost in the crash", lost, len(ackedAll))
	}
	// One writer: at most the write in flight at the kill may have been
	// applied without being acknowledged; no refused write was applied.
	if extra := len(got) - len(ackedAll); extra > 1 {
		t.Errorf("%d writes that returned an error are in the set, want at most the 1 in flight at the kill", extra)
	}
	for _, a := range []string{ackedAll[0], ackedAll[len(ackedAll)/2], ackedAll[len(ackedAll)-1]} {
		if ok, err := s.Contains(ctx, a); err != nil || !ok {
			t.Errorf("Contains(%s) after restart = %v, %v", a, ok, err)
		}
	}
	t.Logf("writes: %d acknowledged before the kill, %d failed, %d in the set after restart (%d unacknowledged but applied), lost %d",
		len(ackedAll), failedWrites, len(got), len(got)-len(ackedAll), lost)
	t.Logf("time to open after SIGKILL: %v (%d failed calls before ErrCircuitOpen, threshold %d)", timeToOpen, len(preOpen), threshold)
	t.Logf("open breaker, 1000 calls: p50 %v p99 %v max %v", p50, p99, pmax)
	t.Logf("Health with the server dead: %v, error %q", healthTook, deadHealthErr)
	t.Logf("recovery: server back %v after restart began; first success %v after restart (%v after the breaker opened, BreakerTimeout %v: the probe closed it %v after it could half-open), %d refusals meanwhile",
		restarted, recoverAfterRestart, recoverAfterOpen, breakerTimeout, recoverAfterOpen-breakerTimeout, openRefusals)
	t.Logf("breaker transitions: %v", tr)
}

// cmdCalls returns cmdstat_<cmd>:calls from INFO commandstats.
func cmdCalls(t *testing.T, srv *redistest.Server, cmd string) int {
	t.Helper()
	out, err := srv.CLI("INFO", "commandstats")
	if err != nil {
		t.Fatalf("INFO commandstats: %v: %s", err, out)
	}
	for line := range strings.Lines(out) {
		rest, ok := strings.CutPrefix(strings.TrimSpace(line), "cmdstat_"+cmd+":calls=")
		if ok {
			n, err := strconv.Atoi(rest[:strings.IndexByte(rest, ',')])
			if err != nil {
				t.Fatalf("parse %q: %v", line, err)
			}
			return n
		}
	}
	return 0
}

// waitCalls returns cmdstat_<cmd>:calls once it reaches at least min (the
// server may read a command sent on a connection the proxy cut a moment
// after the client saw the cut), or after 3s.
func waitCalls(t *testing.T, srv *redistest.Server, cmd string, min int) int {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for {
		n := cmdCalls(t, srv, cmd)
		if n >= min || time.Now().After(deadline) {
			return n
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestNoUnsafeRetries cuts the connection after the server executed a
// command but before its reply reached the client. SPOP and SMOVE return an
// error and are not sent again (executed exactly once); SADD and reads are
// retried on a new connection and succeed.
func TestNoUnsafeRetries(t *testing.T) {
	srv := redistest.Start(t, redistest.Config{})
	proxy := redistest.StartProxy(t, srv.Addr)
	cm, err := runtime.NewConnectionManager(runtime.Options{
		Addrs:            []string{proxy.Addr()},
		RetryMaxAttempts: 5,
		RetryBaseDelay:   time.Millisecond,
		RetryMaxDelay:    10 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer cm.Close()
	ctx := ctxT(t)
	src := runtime.NewSet[string](cm, "test.StrSet", "src", strCodec{})
	dst := runtime.NewSet[string](cm, "test.StrSet", "dst", strCodec{})
	if _, err := src.Add(ctx, "a", "b", "c", "d", "e"); err != nil {
		t.Fatal(err)
	}
	if out, err := srv.CLI("CONFIG", "RESETSTAT"); err != nil {
		t.Fatalf("CONFIG RESETSTAT: %v %s", err, out)
	}
	scard := func(key string) string {
		out, err := srv.CLI("SCARD", key)
		if err != nil {
			t.Fatalf("SCARD %s: %v", key, err)
		}
		return out
	}

	// SPOP: executed once, reply lost: an error, never a second SPOP.
	proxy.CutAfter("SPOP")
	popped, err := src.Pop(ctx, 1)
	if err == nil {
		t.Fatalf("Pop whose reply was lost returned %v, nil: a false success", popped)
	}
	if errors.Is(err, runtime.ErrCircuitOpen) || !strings.Contains(err.Error(), "test.StrSet(src).Pop: ") ||
		!strings.Contains(err.Error(), "may or may not have been executed") || !errors.Is(err, io.EOF) {
		t.Errorf("Pop error = %v, want one naming the set, saying the outcome is unknown, wrapping the cause", err)
	}
	if n := waitCalls(t, srv, "spop", 1); n != 1 {
		t.Errorf("SPOP executed %d times, want exactly 1 (no retry once sent)", n)
	}
	if got := scard("src"); got != "4" {
		t.Errorf("SCARD src after the cut SPOP = %s, want 4", got)
	}
	t.Logf("SPOP with its reply lost: %v; server executed it %d time(s)", err, cmdCalls(t, srv, "spop"))

	// SMOVE: same.
	proxy.CutAfter("SMOVE")
	members, err := src.Members(ctx)
	if err != nil || len(members) != 4 {
		t.Fatalf("Members = %v, %v", members, err)
	}
	moved, err := src.Move(ctx, dst, members[0])
	if err == nil {
		t.Fatalf("Move whose reply was lost returned %v, nil: a false success", moved)
	}
	if !strings.Contains(err.Error(), "may or may not have been executed") {
		t.Errorf("Move error = %v, want one saying the outcome is unknown", err)
	}
	if n := waitCalls(t, srv, "smove", 1); n != 1 {
		t.Errorf("SMOVE executed %d times, want exactly 1", n)
	}
	if s, d := scard("src"), scard("dst"); s != "3" || d != "1" {
		t.Errorf("after the cut SMOVE: SCARD src %s dst %s, want 3 and 1", s, d)
	}
	t.Logf("SMOVE with its reply lost: %v; server executed it %d time(s)", err, cmdCalls(t, srv, "smove"))

	// SADD: idempotent, so retried on a new connection and reported as done.
	proxy.CutAfter("SADD")
	n, err := src.Add(ctx, "z")
	if err != nil {
		t.Fatalf("Add with its first reply lost: %v, want a successful retry", err)
	}
	if c := cmdCalls(t, srv, "sadd"); c != 2 {
		t.Errorf("SADD executed %d times, want 2 (first attempt cut, one retry)", c)
	}
	if ok, err := src.Contains(ctx, "z"); err != nil || !ok {
		t.Errorf("Contains(z) after the retried Add = %v, %v", ok, err)
	}
	t.Logf("SADD with its reply lost: retried, returned n=%d (the retry finds the member already added), executed %d times", n, cmdCalls(t, srv, "sadd"))

	// A read: retried too.
	before := cmdCalls(t, srv, "scard")
	proxy.CutAfter("SCARD")
	size, err := src.Size(ctx)
	if err != nil || size != 4 {
		t.Fatalf("Size with its first reply lost = %d, %v; want 4 after a retry", size, err)
	}
	if c := cmdCalls(t, srv, "scard") - before; c != 2 {
		t.Errorf("SCARD executed %d times, want 2 (first attempt cut, one retry)", c)
	}
	if c := proxy.Cuts(); c != 4 {
		t.Errorf("proxy cut %d connections, want 4", c)
	}
}

// TestWriteOnDyingConnectionFails sends a write to a hung server (SIGSTOP),
// then kills it: the write returns an error, not a false success, and
// after a restart it is not there while an earlier acknowledged one is.
func TestWriteOnDyingConnectionFails(t *testing.T) {
	srv := redistest.Start(t, redistest.Config{Args: []string{"--appendonly", "yes", "--appendfsync", "always"}})
	cm := newManager(t, srv, func(o *runtime.Options) {
		o.RetryMaxAttempts = 3
		o.DialTimeout = 300 * time.Millisecond
	})
	s := runtime.NewSet[string](cm, "test.StrSet", "dying", strCodec{})
	ctx := ctxT(t)
	if _, err := s.Add(ctx, "before"); err != nil {
		t.Fatal(err)
	}
	srv.Pause()
	errc := make(chan error, 1)
	start := time.Now()
	go func() {
		_, err := s.Add(context.Background(), "during")
		errc <- err
	}()
	time.Sleep(150 * time.Millisecond)
	srv.Kill()
	select {
	case err := <-errc:
		if err == nil {
			t.Fatal("Add on a connection that died returned nil: a false success")
		}
		t.Logf("Add whose connection died: error after %v: %v", time.Since(start), err)
	case <-time.After(10 * time.Second):
		t.Fatal("Add on a dead connection did not return within 10s")
	}
	srv.Restart()
	got, err := s.Members(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, []string{"before"}) {
		t.Errorf("Members after restart = %v, want [before]", got)
	}
}

// TestRetriesRideOutRestart kills the server and restarts it 100ms later
// while calls with a 5s deadline retry: SADD and reads succeed, and so does
// SPOP, which is retried only while the connection cannot be made.
func TestRetriesRideOutRestart(t *testing.T) {
	srv := redistest.Start(t, redistest.Config{Args: []string{"--appendonly", "yes", "--appendfsync", "always"}})
	cm := newManager(t, srv, func(o *runtime.Options) {
		// Up to ~20 × 500ms of backoff: far more than a restart needs, and
		// the 5s deadline still ends the retries.
		o.RetryMaxAttempts = 20
		o.RetryBaseDelay = 50 * time.Millisecond
		o.RetryMaxDelay = 500 * time.Millisecond
		o.DialTimeout = 300 * time.Millisecond
	})
	s := runtime.NewSet[string](cm, "test.StrSet", "ride", strCodec{})
	if _, err := s.Add(ctxT(t), "a", "b", "c"); err != nil {
		t.Fatal(err)
	}
	restartSoon := func() <-chan struct{} {
		done := make(chan struct{})
		go func() {
			defer close(done)
			time.Sleep(100 * time.Millisecond)
			srv.Restart()
		}()
		return done
	}
	with5s := func() context.Context {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		t.Cleanup(cancel)
		return ctx
	}

	srv.Kill()
	done := restartSoon()
	start := time.Now()
	if _, err := s.Add(with5s(), "x"); err != nil {
		t.Fatalf("Add across a restart: %v", err)
	}
	addTook := time.Since(start)
	<-done

	srv.Kill()
	done = restartSoon()
	start = time.Now()
	size, err := s.Size(with5s())
	if err != nil || size != 4 {
		t.Fatalf("Size across a restart = %d, %v; want 4", size, err)
	}
	sizeTook := time.Since(start)
	<-done

	// SPOP right after a crash: the first call still finds the dead
	// connection, whose error does not prove the command unsent, so it is
	// not retried. Once that is known, SPOP is retried while dials fail.
	srv.Kill()
	short, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	_, err = s.Size(short)
	cancel()
	if err == nil {
		t.Fatal("Size succeeded with the server killed")
	}
	done = restartSoon()
	start = time.Now()
	popped, err := s.Pop(with5s(), 1)
	if err != nil || len(popped) != 1 {
		t.Fatalf("Pop across a restart = %v, %v; want one member (dial failures are retried)", popped, err)
	}
	popTook := time.Since(start)
	<-done
	if n := cmdCalls(t, srv, "spop"); n != 1 {
		t.Errorf("SPOP executed %d times since the restart, want 1", n)
	}
	t.Logf("across a kill and a restart 100ms later: Add %v, Size %v, Pop %v", addTook, sizeTook, popTook)
}

// TestNoDeadlineCallsAreBounded: with the server hung (SIGSTOP: the kernel
// still accepts connections, nothing answers), calls whose context has no
// deadline return an error within about CallTimeout per attempt, and so
// does Health (within HealthTimeout).
func TestNoDeadlineCallsAreBounded(t *testing.T) {
	srv := redistest.Start(t, redistest.Config{})
	const callTimeout = 300 * time.Millisecond
	cm := newManager(t, srv, func(o *runtime.Options) {
		o.CallTimeout = callTimeout
		o.DialTimeout = callTimeout
		o.RetryMaxAttempts = 2
		o.BreakerThreshold = 100
	})
	s := runtime.NewSet[string](cm, "test.StrSet", "hung", strCodec{})
	if _, err := s.Add(ctxT(t), "a"); err != nil {
		t.Fatal(err)
	}
	srv.Pause()
	defer srv.Resume()
	// Expected: 2 attempts of CallTimeout and at most 10ms of backoff. The
	// median must be close to it; every call must end well before anything
	// that looks like a hang, with slack for a loaded CI machine (go test
	// runs packages in parallel, with the race detector).
	const (
		expected = 2*callTimeout + 10*time.Millisecond
		hang     = 6 * time.Second
	)

	type result struct {
		op  string
		d   time.Duration
		err error
	}
	ops := map[string]func() error{
		"Size":     func() error { _, err := s.Size(context.Background()); return err },
		"Add":      func() error { _, err := s.Add(context.Background(), "b"); return err },
		"Pop":      func() error { _, err := s.Pop(context.Background(), 1); return err },
		"Contains": func() error { _, err := s.Contains(context.Background(), "zz"); return err },
		// A distant deadline does not lift the per-attempt bound.
		"Size/10s": func() error {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_, err := s.Size(ctx)
			return err
		},
	}
	names := []string{"Size", "Add", "Pop", "Contains", "Size/10s"}
	// One at a time, then all at once (auto-pipelined on one connection).
	var results []result
	for _, name := range names {
		start := time.Now()
		err := ops[name]()
		results = append(results, result{name, time.Since(start), err})
	}
	var wg sync.WaitGroup
	var cmu sync.Mutex
	for i := range 10 {
		name := names[i%len(names)]
		wg.Go(func() {
			start := time.Now()
			err := ops[name]()
			cmu.Lock()
			results = append(results, result{"concurrent " + name, time.Since(start), err})
			cmu.Unlock()
		})
	}
	wg.Wait()
	var worst time.Duration
	for _, r := range results {
		if r.err == nil {
			t.Errorf("%s on a hung server returned nil", r.op)
		} else if !strings.Contains(r.err.Error(), "within Options.CallTimeout (300ms)") || !errors.Is(r.err, context.DeadlineExceeded) {
			t.Errorf("%s on a hung server: %v, want a CallTimeout error wrapping context.DeadlineExceeded", r.op, r.err)
		}
		if r.d > hang {
			t.Errorf("%s on a hung server took %v, want < %v", r.op, r.d, hang)
		}
		worst = max(worst, r.d)
		t.Logf("hung server: %-22s %v: %v", r.op, r.d.Round(time.Millisecond), r.err)
	}
	ds := make([]time.Duration, len(results))
	for i, r := range results {
		ds[i] = r.d
	}
	slices.Sort(ds)
	median := percentile(ds, 50)
	if median > expected+300*time.Millisecond {
		t.Errorf("median call on a hung server took %v, want about %v", median, expected)
	}

	start := time.Now()
	_, err := runtime.NewConnectionManager(runtime.Options{Addrs: []string{srv.Addr}, DialTimeout: callTimeout})
	if took := time.Since(start); err == nil || took > callTimeout+3*time.Second || !strings.Contains(err.Error(), "no answer within Options.DialTimeout") {
		t.Errorf("NewConnectionManager to a hung server: %v after %v, want a DialTimeout error within %v", err, took, callTimeout+3*time.Second)
	} else {
		t.Logf("NewConnectionManager to a hung server: %v after %v", err, took.Round(time.Millisecond))
	}

	start = time.Now()
	h := cm.Health(context.Background())
	healthTook := time.Since(start)
	if h.Status != runtime.StatusUnhealthy || healthTook > runtime.HealthTimeout+2*time.Second {
		t.Errorf("Health on a hung server: %q after %v, want unhealthy within %v", h.Status, healthTook, runtime.HealthTimeout+2*time.Second)
	}
	t.Logf("hung server: median call %v, worst %v (CallTimeout %v, 2 attempts); Health %v: %s", median, worst, callTimeout, healthTook, h.Error)

	srv.Resume()
	if _, err := s.Size(ctxT(t)); err != nil {
		t.Errorf("after Resume: %v", err)
	}
}

// TestHealthBoundedWhenServerGone: a dead server and a context without a
// deadline: Health returns promptly, unhealthy, with numbers in its JSON.
func TestHealthBoundedWhenServerGone(t *testing.T) {
	srv := redistest.Start(t, redistest.Config{})
	cm := newManager(t, srv, nil)
	if h := cm.Health(context.Background()); h.Status != runtime.StatusHealthy {
		t.Fatalf("Health = %+v, want healthy", h)
	}
	srv.Kill()
	start := time.Now()
	h := cm.Health(context.Background())
	took := time.Since(start)
	healthJSON(t, h)
	if h.Status != runtime.StatusUnhealthy || h.Error == "" {
		t.Errorf("Health with the server gone = %+v, want unhealthy with an error", h)
	}
	if took > runtime.HealthTimeout+time.Second {
		t.Errorf("Health took %v with the server gone", took)
	}
	t.Logf("Health with the server killed: %v: %s", took, h.Error)
}

// TestBreakerSingleProbe, on a hung server (SIGSTOP): once BreakerTimeout
// has passed, exactly one call goes through as the probe while every
// concurrent call is refused at once; the probe's failure reopens the
// breaker, and after the server resumes the next probe closes it.
func TestBreakerSingleProbe(t *testing.T) {
	srv := redistest.Start(t, redistest.Config{})
	const (
		callTimeout    = 300 * time.Millisecond
		breakerTimeout = time.Second
	)
	logger, logs := debugLogger()
	cm := newManager(t, srv, func(o *runtime.Options) {
		o.CallTimeout = callTimeout
		o.DialTimeout = callTimeout
		o.RetryMaxAttempts = 1
		o.BreakerThreshold = 2
		o.BreakerTimeout = breakerTimeout
		o.Logger = logger
	})
	s := runtime.NewSet[string](cm, "test.StrSet", "probe", strCodec{})
	if _, err := s.Add(ctxT(t), "a"); err != nil {
		t.Fatal(err)
	}
	srv.Pause()
	defer srv.Resume()
	for i := range 2 {
		if _, err := s.Size(context.Background()); err == nil || errors.Is(err, runtime.ErrCircuitOpen) {
			t.Fatalf("call %d on a hung server: %v, want a timeout", i, err)
		}
	}
	if _, err := s.Size(context.Background()); !errors.Is(err, runtime.ErrCircuitOpen) {
		t.Fatalf("after 2 failures with threshold 2: %v, want ErrCircuitOpen", err)
	}
	time.Sleep(breakerTimeout + 50*time.Millisecond)

	const callers = 20
	type result struct {
		d   time.Duration
		err error
	}
	results := make([]result, callers)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() {
			<-start
			t0 := time.Now()
			_, err := s.Size(context.Background())
			results[i] = result{time.Since(t0), err}
		})
	}
	close(start)
	wg.Wait()
	var probes int
	var refusedMax time.Duration
	for _, r := range results {
		switch {
		case errors.Is(r.err, runtime.ErrCircuitOpen):
			refusedMax = max(refusedMax, r.d)
		case r.err != nil:
			probes++
			// The hung server's timeout: the probe's own, or that of the
			// connection, which rueidis closes when earlier commands on
			// it (the cache lease's heartbeat) went unanswered.
			if !errors.Is(r.err, context.DeadlineExceeded) || !strings.Contains(r.err.Error(), "Options.CallTimeout") {
				t.Errorf("the probe failed after %v, not for the hung server's silence: %v", r.d, r.err)
			}
		default:
			t.Errorf("a call succeeded on a hung server")
		}
	}
	if probes != 1 {
		t.Fatalf("%d calls went through the half-open breaker, want exactly 1", probes)
	}
	if h := cm.Health(context.Background()); h.CircuitBreaker.State != "open" {
		t.Errorf("after the failed probe the breaker is %q, want open", h.CircuitBreaker.State)
	}

	srv.Resume()
	time.Sleep(breakerTimeout + 50*time.Millisecond)
	if _, err := s.Size(ctxT(t)); err != nil {
		t.Fatalf("probe after Resume: %v", err)
	}
	if h := cm.Health(ctxT(t)); h.CircuitBreaker.State != "closed" || h.Status != runtime.StatusHealthy {
		t.Errorf("after a successful probe: %+v, want healthy and closed", h)
	}
	tr := breakerTransitions(t, logs.String())
	want := []string{"closed->open", "open->half-open", "half-open->open", "open->half-open", "half-open->closed"}
	if !slices.Equal(tr, want) {
		t.Errorf("transitions = %v, want %v", tr, want)
	}
	t.Logf("half-open with %d concurrent callers: 1 probe, %d refused (slowest refusal %v); transitions %v",
		callers, callers-probes, refusedMax, tr)
}
