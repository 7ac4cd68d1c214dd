package runtime_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/setgen/setgen/internal/redistest"
	"github.com/setgen/setgen/runtime"
)

// TestSentinel: a manager given the sentinels (a redis+sentinel:// URL)
// talks to the master they name, and follows a failover, asked for
// (SENTINEL FAILOVER) and forced (SIGKILL of the master), under cached
// readers and writers: writes resume with no restart, a cached answer
// cached before the switch does not outlive it, and acknowledged writes
// lost to asynchronous replication are counted and logged.
func TestSentinel(t *testing.T) {
	dep := redistest.StartSentinel(t, redistest.SentinelConfig{Replicas: 1, Sentinels: 3})
	o, err := runtime.ParseURL("redis+sentinel://" + strings.Join(dep.Addrs(), ",") + "/" + dep.MasterSet + "?key_prefix=app:")
	if err != nil {
		t.Fatal(err)
	}
	o.RetryMaxAttempts, o.RetryBaseDelay, o.RetryMaxDelay = 20, 10*time.Millisecond, 200*time.Millisecond
	o.CallTimeout = time.Second
	cm, err := runtime.NewConnectionManager(o)
	if err != nil {
		t.Fatalf("NewConnectionManager(sentinels %v): %v", dep.Addrs(), err)
	}
	t.Cleanup(cm.Close)
	if !cm.CacheEnabled() {
		t.Fatal("client-side cache is off under Sentinel")
	}
	ctx := ctxT(t)
	set := runtime.NewSet[string](cm, "test.StrSet", "sentinel", strCodec{})

	master := dep.Master()
	h := cm.Health(ctx)
	if h.Mode != "sentinel" || h.Sentinel == nil || h.Sentinel.MasterSet != dep.MasterSet || h.Sentinel.Master != master.Addr ||
		len(h.Sentinel.Sentinels) != 3 || h.Status != runtime.StatusHealthy {
		t.Fatalf("Health = %+v (sentinel %+v), want mode sentinel, master %s", h, h.Sentinel, master.Addr)
	}
	if n, err := set.Add(ctx, "stable", "flip"); err != nil || n != 2 {
		t.Fatalf("Add = %d, %v", n, err)
	}
	if got, _ := master.CLI("SCARD", "app:sentinel"); got != "2" {
		t.Fatalf("SCARD on the master %s = %s, want 2", master.Addr, got)
	}

	for _, how := range []string{"SENTINEL FAILOVER", "SIGKILL of the master"} {
		t.Run(how, func(t *testing.T) {
			old := dep.Master()
			dep.WaitReady(old, 30*time.Second) // its replica is in sync: a failover can pick it
			// Cache "flip" on the connection to the old master.
			for range 2 {
				if ok, err := set.Contains(ctx, "flip"); err != nil || !ok {
					t.Fatalf("Contains(flip) = %v, %v", ok, err)
				}
			}
			load := startSentinelLoad(t, set)
			time.Sleep(300 * time.Millisecond)
			var next *redistest.Server
			if how == "SIGKILL of the master" {
				old.Kill()
				next = dep.WaitNewMaster(old, 60*time.Second)
			} else {
				next = dep.Failover(60 * time.Second)
			}
			switched := time.Now()
			t.Logf("%s: master %s -> %s", how, old.Addr, next.Addr)

			// Writes resume on the new master with no restart.
			var resumed time.Duration
			for {
				if _, err := set.Add(ctx, "after"); err == nil {
					if got, _ := next.CLI("SISMEMBER", "app:sentinel", "after"); got == "1" {
						resumed = time.Since(switched)
						break
					}
				}
				if time.Since(switched) > 30*time.Second {
					t.Fatalf("writes did not reach the new master %s within 30 s", next.Addr)
				}
				time.Sleep(20 * time.Millisecond)
			}
			acked, failed, wrong := load.stop()

			// Another client removes "flip" on the new master: the answer
			// cached from the old master must not outlive the switch.
			if _, err := next.CLI("SREM", "app:sentinel", "flip"); err != nil {
				t.Fatal(err)
			}
			var turned time.Duration
			for start := time.Now(); ; {
				ok, err := set.Contains(ctx, "flip")
				if err == nil && !ok {
					turned = time.Since(start)
					break
				}
				if time.Since(start) > 5*time.Second {
					t.Fatalf("Contains(flip) = %v, %v 5 s after another client removed it from the new master: a cached answer outlived the failover", ok, err)
				}
				time.Sleep(10 * time.Millisecond)
			}
			if n, err := set.Add(ctx, "flip"); err != nil || n != 1 {
				t.Fatalf("Add(flip) on the new master = %d, %v", n, err)
			}
			if ok, err := set.Contains(ctx, "flip"); err != nil || !ok {
				t.Fatalf("Contains(flip) right after Add = %v, %v (read-your-writes)", ok, err)
			}

			// Acknowledged writes: on the new master unless asynchronous
			// replication lost them (logged, not a failure: the master
			// acknowledged them before its replica had them).
			have, lost := lostWrites(t, set, acked)
			if !have["stable"] {
				t.Fatal(`"stable", replicated before the failover, is gone`)
			}
			if wrong > 0 {
				t.Fatalf("%d cached reads of a member that never left said it was absent", wrong)
			}
			t.Logf("%s: writes resumed %v after the sentinels named the new master; a cached answer of the old one was gone %v after the change; "+
				"%d writes acknowledged, %d lost to asynchronous replication, %d failed during the switch",
				how, resumed.Round(time.Millisecond), turned.Round(time.Millisecond), len(acked), lost, failed)
		})
	}
}

// sentinelLoad writes new members and reads a member that never leaves,
// from the cache, until stopped.
type sentinelLoad struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
	mu     sync.Mutex
	acked  []string
	failed atomic.Int64
	wrong  atomic.Int64
}

func startSentinelLoad(t *testing.T, set *runtime.Set[string]) *sentinelLoad {
	ctx, cancel := context.WithCancel(context.Background())
	l := &sentinelLoad{cancel: cancel}
	l.wg.Go(func() {
		for i := 0; ctx.Err() == nil; i++ {
			m := fmt.Sprintf("w%s-%d", t.Name(), i)
			cctx, c := context.WithTimeout(ctx, 2*time.Second)
			_, err := set.Add(cctx, m)
			c()
			if err == nil {
				l.mu.Lock()
				l.acked = append(l.acked, m)
				l.mu.Unlock()
			} else if !errors.Is(err, context.Canceled) {
				l.failed.Add(1)
			}
		}
	})
	l.wg.Go(func() {
		for ctx.Err() == nil {
			cctx, c := context.WithTimeout(ctx, 2*time.Second)
			ok, err := set.Contains(cctx, "stable")
			c()
			if err == nil && !ok {
				l.wrong.Add(1)
			}
		}
	})
	return l
}

func (l *sentinelLoad) stop() (acked []string, failed, wrong int64) {
	l.cancel()
	l.wg.Wait()
	return l.acked, l.failed.Load(), l.wrong.Load()
}
