package runtime_test

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/setgen/setgen/internal/redistest"
	"github.com/setgen/setgen/runtime"
)

// TestBusyScriptIsRetriedNotCounted: a server running a long Lua script
// answers BUSY at once. Calls are retried within their deadline, the
// breaker (threshold 1) never opens, and they succeed once the script is
// killed.
func TestBusyScriptIsRetriedNotCounted(t *testing.T) {
	srv := redistest.Start(t, redistest.Config{Args: []string{"--busy-reply-threshold", "50"}})
	logger, logs := debugLogger()
	cm := newManager(t, srv, func(o *runtime.Options) {
		o.BreakerThreshold, o.RetryMaxAttempts, o.RetryMaxDelay, o.Logger = 1, 1000, 20*time.Millisecond, logger
	})
	ctx := ctxT(t)
	set := runtime.NewSet[string](cm, "test.StrSet", "busy", strCodec{})
	if _, err := set.Add(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	script := exec.Command("redis-cli", "-p", strconv.Itoa(srv.Port), "EVAL", "while true do end", "0")
	if err := script.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = script.Process.Kill(); _ = script.Wait() }()
	waitReply(t, srv, "BUSY", "PING")

	killedAt := make(chan time.Time, 1)
	go func() {
		time.Sleep(500 * time.Millisecond)
		killedAt <- time.Now()
		if out, err := srv.CLI("SCRIPT", "KILL"); err != nil || out != "OK" {
			t.Errorf("SCRIPT KILL: %v %q", err, out)
		}
	}()
	start := time.Now()
	n, err := set.Size(ctx)
	done := time.Now()
	killed := <-killedAt
	if err != nil || n != 1 {
		t.Fatalf("Size during a busy script = %d, %v; want 1 once the script is killed", n, err)
	}
	if !strings.Contains(logs.String(), "BUSY") {
		t.Fatalf("Size never met BUSY (logs: %s)", logs.String())
	}
	if st := cm.Health(ctx).CircuitBreaker.State; st != "closed" {
		t.Fatalf("breaker %s after BUSY answers; they must not count", st)
	}
	t.Logf("Size waited %v through BUSY answers and returned %v after SCRIPT KILL; breaker closed",
		done.Sub(start).Round(time.Millisecond), done.Sub(killed).Round(time.Millisecond))
}

// TestLoadingIsRetriedNotCounted: a server restarted with a dataset to
// load answers LOADING until it is in memory. Calls are retried, the
// breaker (threshold 1) never opens, and they succeed once it is loaded.
func TestLoadingIsRetriedNotCounted(t *testing.T) {
	// key-load-delay slows loading down; serving clients every 1 KB of the
	// file (not every 2 MB) makes them see LOADING instead of waiting.
	srv := redistest.Start(t, redistest.Config{Persist: true, Args: []string{"--enable-debug-command", "yes",
		"--key-load-delay", "50", "--loading-process-events-interval-bytes", "1024"}})
	logger, logs := debugLogger()
	cm := newManager(t, srv, func(o *runtime.Options) {
		o.BreakerThreshold, o.RetryMaxAttempts, o.RetryMaxDelay, o.Logger = 1, 1000, 20*time.Millisecond, logger
	})
	ctx := ctxT(t)
	set := runtime.NewSet[string](cm, "test.StrSet", "loading", strCodec{})
	if _, err := set.Add(ctx, "a", "b"); err != nil {
		t.Fatal(err)
	}
	// 20,000 keys at 50 µs or more each: a second or more of LOADING.
	for _, cmd := range [][]string{{"DEBUG", "POPULATE", "20000"}, {"SAVE"}} {
		if out, err := srv.CLI(cmd...); err != nil || out != "OK" {
			t.Fatalf("%v: %v %q", cmd, err, out)
		}
	}
	srv.RestartLoading()
	waitReply(t, srv, "LOADING", "PING")
	start := time.Now()
	n, err := set.Size(ctx)
	done := time.Now()
	if err != nil || n != 2 {
		t.Fatalf("Size while the server loads = %d, %v; want 2 once it is loaded", n, err)
	}
	if !strings.Contains(logs.String(), "LOADING") {
		t.Fatalf("Size never met LOADING (logs: %s)", logs.String())
	}
	if st := cm.Health(ctx).CircuitBreaker.State; st != "closed" {
		t.Fatalf("breaker %s after LOADING answers; they must not count", st)
	}
	t.Logf("Size waited %v through LOADING answers; breaker closed", done.Sub(start).Round(time.Millisecond))
}

// waitReply waits until the server answers cmd with a reply starting with
// prefix (redis-cli prints error replies with an "(error)" prefix on a
// terminal, not in a pipe).
func waitReply(t *testing.T, srv *redistest.Server, prefix string, cmd ...string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if out, _ := srv.CLI(cmd...); strings.HasPrefix(out, prefix) {
			return
		}
	}
	t.Fatalf("%v never answered %s", cmd, prefix)
}

// TestCancelledBigAddIsPartial: an Add of a million members whose context
// ends part-way returns the count of the batches acknowledged and an error
// wrapping ErrPartial and the cause, and at least that many are stored.
// The server is paused (SIGSTOP) once some batches are stored, so the
// cancellation always falls in the middle.
func TestCancelledBigAddIsPartial(t *testing.T) {
	srv := redistest.Start(t, redistest.Config{})
	cm := newManager(t, srv, func(o *runtime.Options) { o.RetryMaxAttempts = 1 })
	set := runtime.NewSet[string](cm, "test.StrSet", "big", strCodec{})
	members := make([]string, 1_000_000)
	for i := range members {
		members[i] = strconv.Itoa(i)
	}
	ctx, cancel := context.WithCancel(context.Background())
	type result struct {
		n   int64
		err error
	}
	res := make(chan result, 1)
	go func() {
		n, err := set.Add(ctx, members...)
		res <- result{n, err}
	}()
	stored := 0
	for stored == 0 {
		select {
		case r := <-res:
			t.Fatalf("Add of 1M members finished (%d, %v) before any batch was seen stored", r.n, r.err)
		case <-time.After(time.Millisecond):
		}
		stored, _ = strconv.Atoi(ttlServerCLI(t, srv, "SCARD", "big"))
	}
	srv.Pause()
	cancel()
	r := <-res
	srv.Resume()
	card, _ := strconv.Atoi(ttlServerCLI(t, srv, "SCARD", "big"))
	if !errors.Is(r.err, runtime.ErrPartial) || !errors.Is(r.err, context.Canceled) {
		t.Fatalf("cancelled Add = %d, %v; want an error wrapping ErrPartial and context.Canceled", r.n, r.err)
	}
	if r.n > int64(card) || card == len(members) {
		t.Fatalf("cancelled Add acknowledged %d members; %d of %d are stored", r.n, card, len(members))
	}
	t.Logf("cancelled part-way: %d members acknowledged, %d stored (of 1,000,000): %v", r.n, card, r.err)
}

// TestCloseUnderLoad: with 1,000 calls in flight (a proxy adds 2 ms each
// way, so they are), Close makes every call that overlaps it fail with
// ErrClosed or succeed, nothing else.
func TestCloseUnderLoad(t *testing.T) {
	srv := redistest.Start(t, redistest.Config{})
	p := redistest.StartProxy(t, srv.Addr)
	p.SetLatency(2 * time.Millisecond)
	cm, err := runtime.NewConnectionManager(runtime.Options{Addrs: []string{p.Addr()}})
	if err != nil {
		t.Fatal(err)
	}
	set := runtime.NewSet[string](cm, "test.StrSet", "closing", strCodec{})
	ctx := ctxT(t)
	var (
		wg         sync.WaitGroup
		mu         sync.Mutex
		ok, closed int
		others     []error
		started    = make(chan struct{}, 1000)
	)
	for g := range 1000 {
		wg.Go(func() {
			started <- struct{}{}
			for i := 0; ; i++ {
				var err error
				switch i % 3 {
				case 0:
					_, err = set.Add(ctx, fmt.Sprint(g, ":", i))
				case 1:
					_, err = set.Contains(ctx, fmt.Sprint(g, ":", i-1))
				default:
					_, err = set.Size(ctx)
				}
				mu.Lock()
				switch {
				case err == nil:
					ok++
				case errors.Is(err, runtime.ErrClosed):
					closed++
				default:
					others = append(others, err)
				}
				mu.Unlock()
				if err != nil {
					return
				}
			}
		})
	}
	for range 1000 {
		<-started
	}
	time.Sleep(100 * time.Millisecond)
	cm.Close()
	wg.Wait()
	if len(others) > 0 {
		t.Fatalf("%d of the calls that overlapped Close failed otherwise than with ErrClosed, e.g. %v", len(others), others[0])
	}
	if closed != 1000 {
		t.Fatalf("%d goroutines saw ErrClosed, want all 1,000", closed)
	}
	t.Logf("1,000 goroutines: %d calls succeeded, then every one failed with ErrClosed", ok)
}
