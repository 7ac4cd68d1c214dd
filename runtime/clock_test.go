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
			if !ok {
				if elapsed < ttl-100*time.Millisecond {
					t.Fatalf("skew %v: expired after %v, before its ttl of %v", skew, elapsed, ttl)
				}
				t.Logf("skew %v: cached Contains turned false %v after Add (ttl %v)", skew, elapsed.Round(time.Millisecond), ttl)
				break
			}
			if elapsed > ttl+5*time.Second {
				t.Fatalf("skew %v: still a member %v after Add (ttl %v)", skew, elapsed, ttl)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
}
