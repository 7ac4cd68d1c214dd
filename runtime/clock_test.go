package runtime

import (
	"context"
	"testing"
	"time"

	"github.com/setgen/setgen/internal/redistest"
)

// TestTTLSetSkewedClientClock: a client whose clock is 10 minutes behind
// (or ahead) still expires members on time: expiry is the server's, and
// cached answers compare with the server's clock as estimated here. It
// logs the error of the estimate.
func TestTTLSetSkewedClientClock(t *testing.T) {
	srv := redistest.Start(t, redistest.Config{})
	for _, skew := range []time.Duration{-10 * time.Minute, 10 * time.Minute} {
		cm, err := NewConnectionManager(Options{Addrs: []string{srv.Addr}})
		if err != nil {
			t.Fatal(err)
		}
		defer cm.Close()
		cm.clock.now = func() time.Time { return time.Now().Add(skew) }
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		s := NewTTLSet[string](cm, "test.StrTTLSet", "skew"+skew.String(), rawCodec{})
		const ttl = 1500 * time.Millisecond
		added := time.Now()
		if _, err := s.Add(ctx, ttl, "m"); err != nil {
			t.Fatal(err)
		}
		now, err := cm.serverNow(ctx, s.Key())
		if err != nil {
			t.Fatal(err)
		}
		if off := time.Since(now); off > time.Second || off < -time.Second {
			t.Fatalf("skew %v: the server's clock estimated %v off", skew, off)
		}
		t.Logf("skew %v: estimate within %v of the server's clock", skew, time.Since(now).Abs().Round(time.Microsecond))
		if ok, err := s.Contains(ctx, "m"); err != nil || !ok {
			t.Fatalf("skew %v: Contains right after Add = %v, %v", skew, ok, err)
		}
		for {
			ok, err := s.Contains(ctx, "m") // cached after the first miss
			if err != nil {
				t.Fatal(err)
			}
			elapsed := time.Since(added)
			// The server decides expiry on its wall clock; the estimate
			// advances with the monotonic clock. When the host's wall
			// clock is stepped (NTP on a fresh machine), the two part by
			// the step until the next renewal, as documented. The server
			// runs on this host, so the step is measured here and allowed
			// for: early by a step back, late by a step forward.
			step := wallStep(added)
			if step.Abs() > 10*time.Millisecond {
				t.Logf("skew %v: the host's wall clock moved %v against the monotonic clock since Add", skew, step)
			}
			if !ok {
				if elapsed < ttl-100*time.Millisecond+min(step, 0) {
					t.Fatalf("skew %v: expired after %v, before its ttl of %v (wall clock step %v)", skew, elapsed, ttl, step)
				}
				t.Logf("skew %v: cached Contains turned false %v after Add (ttl %v)", skew, elapsed.Round(time.Millisecond), ttl)
				break
			}
			if elapsed > ttl+5*time.Second+max(step, 0) {
				t.Fatalf("skew %v: still a member %v after Add (ttl %v)", skew, elapsed, ttl)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
}

// wallStep is how far the wall clock has moved against the monotonic clock
// since t (which holds both readings): negative when it was stepped back.
func wallStep(t time.Time) time.Duration {
	now := time.Now()
	return now.Round(0).Sub(t.Round(0)) - now.Sub(t)
}

// TestClockStepRenewsEstimate: when this host's wall clock steps (made
// here by moving the sample's wall reading, as a step after it would),
// the next reading renews the estimate at once instead of after 30 s; a
// drift below the threshold does not.
func TestClockStepRenewsEstimate(t *testing.T) {
	srv := redistest.Start(t, redistest.Config{})
	cm, err := NewConnectionManager(Options{Addrs: []string{srv.Addr}})
	if err != nil {
		t.Fatal(err)
	}
	defer cm.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := cm.serverNow(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		shift time.Duration
		renew bool
	}{{10 * time.Millisecond, false}, {-10 * time.Millisecond, false}, {200 * time.Millisecond, true}, {-200 * time.Millisecond, true}} {
		// The same estimate, as if sampled a second ago (so a check for a
		// step is due), with the wall clock moved by shift since.
		old := cm.clock.sample.Load()
		moved := &clockSample{
			local:  old.local.Add(-time.Second),
			wall:   old.wall.Add(-time.Second - c.shift),
			server: old.server.Add(-time.Second),
			rtt:    old.rtt,
		}
		cm.clock.sample.Store(moved)
		if _, err := cm.serverNow(ctx, "k"); err != nil {
			t.Fatal(err)
		}
		cm.clock.mu.Lock() // waits for a renewal under way
		renewed := cm.clock.sample.Load() != moved
		cm.clock.mu.Unlock()
		if renewed != c.renew {
			t.Errorf("wall clock moved %v: renewed = %v, want %v", c.shift, renewed, c.renew)
		}
	}
}
