package runtime_test

import (
	"context"
	"testing"
	"time"

	"github.com/setgen/setgen/internal/redistest"
	"github.com/setgen/setgen/runtime"
)

// TestHalfOpenStalenessBounded: when the server's replies stop arriving
// but the connection stays open, cached Contains stops answering from the
// cache within the lease (1 s): it reads from the server, and fails, instead
// of answering true for a member another client removed.
func TestHalfOpenStalenessBounded(t *testing.T) {
	srv := redistest.Start(t, redistest.Config{})
	p := redistest.StartProxy(t, srv.Addr)
	cm := newManager(t, &redistest.Server{Addr: p.Addr()}, func(o *runtime.Options) { o.RetryMaxAttempts = 1 })
	if !cm.CacheEnabled() {
		t.Fatal("cache off")
	}
	ctx := ctxT(t)
	set := runtime.NewSet[string](cm, "test.StrSet", "halfopen", strCodec{})
	if _, err := set.Add(ctx, "m"); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if ok, err := set.Contains(ctx, "m"); err != nil || !ok {
			t.Fatalf("Contains = %v, %v", ok, err)
		}
	}
	if h := cm.Health(ctx); h.Cache.Hits == 0 {
		t.Fatalf("no cache hit before the fault: %+v", h.Cache)
	}

	p.HalfOpen(true)
	cut := time.Now()
	if out, err := srv.CLI("SREM", "halfopen", "m"); err != nil || out != "1" {
		t.Fatalf("SREM by another client: %v %q", err, out)
	}
	var lastStale time.Duration
	var stale, failed int
	for time.Since(cut) < 3*time.Second {
		cctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
		ok, err := set.Contains(cctx, "m")
		cancel()
		switch {
		case err != nil:
			failed++
		case ok:
			stale++
			lastStale = time.Since(cut)
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Logf("half-open link: %d stale cached answers, the last %v after replies stopped (lease %v); then %d calls failed instead of answering",
		stale, lastStale.Round(time.Millisecond), time.Second, failed)
	// The lease ends within 950 ms of the last reply heard; the slack is
	// for a busy machine's scheduling of the heartbeat.
	if lastStale > 1500*time.Millisecond {
		t.Fatalf("a cached answer was served %v after the server's replies stopped", lastStale)
	}
	if failed == 0 {
		t.Fatal("no call failed on a link that delivers no reply")
	}

	// The link heals (a reconnect): answers are right again.
	p.Reset()
	p.HalfOpen(false)
	deadline := time.Now().Add(10 * time.Second)
	for {
		ok, err := set.Contains(ctx, "m")
		if err == nil && !ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Contains = %v, %v 10 s after the link was reset", ok, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestLeaseIdleCost measures what the heartbeat costs an idle manager: a
// PING per node every 250 ms (logged with the server's CPU time); it can
// never send more.
func TestLeaseIdleCost(t *testing.T) {
	srv := redistest.Start(t, redistest.Config{})
	cm := newManager(t, srv, nil)
	if !cm.CacheEnabled() {
		t.Fatal("cache off")
	}
	cpu := func() time.Duration {
		d, err := srv.CPUTime()
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	before := cmdCalls(t, srv, "ping")
	cpu0 := cpu()
	const idle = 2 * time.Second
	time.Sleep(idle)
	pings := cmdCalls(t, srv, "ping") - before
	t.Logf("idle manager, %v: %d PINGs; the server used %v of CPU meanwhile (its own housekeeping included)", idle, pings, (cpu() - cpu0).Round(10*time.Microsecond))
	if pings < 1 || pings > int(idle/(250*time.Millisecond))+1 {
		t.Fatalf("%d PINGs in %v; the heartbeat sends one every 250 ms", pings, idle)
	}
	if h := cm.Health(context.Background()); !h.Cache.Serving {
		t.Fatalf("Health.Cache = %+v, want serving on a healthy link", h.Cache)
	}
}
