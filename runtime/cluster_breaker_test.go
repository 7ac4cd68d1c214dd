package runtime_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/setgen/setgen/internal/redistest"
	"github.com/setgen/setgen/runtime"
)

// Many keys over every master: when one master dies, the keys of the
// healthy masters never get ErrCircuitOpen (the dead one's failures go to
// its own breaker from the first one on).
func TestClusterBreakerSparesHealthyMasters(t *testing.T) {
	c := redistest.StartCluster(t, redistest.ClusterConfig{Masters: 3, Args: []string{"--cluster-require-full-coverage", "no"}})
	cm := newClusterManager(t, c, func(o *runtime.Options) { o.BreakerTimeout = 30 * time.Second; o.BreakerThreshold = 5 })
	ctx := context.Background()
	keys := make([]string, 3000)
	for i := range keys {
		keys[i] = fmt.Sprintf("k%d", i)
	}
	victim := c.MasterOfKey(keys[0])
	view, err := c.View(victim)
	if err != nil {
		t.Fatal(err)
	}
	var ranges [][2]int
	for _, n := range view {
		if n.Is("myself") {
			ranges = n.Slots
		}
	}
	onVictim := map[string]bool{}
	for _, k := range keys {
		slot := int(runtime.Slot(k))
		for _, r := range ranges {
			if r[0] <= slot && slot <= r[1] {
				onVictim[k] = true
			}
		}
	}
	if n := len(onVictim); n == 0 || n == len(keys) {
		t.Fatalf("%d of %d keys on the victim", n, len(keys))
	}
	for _, k := range keys[:50] {
		s := runtime.NewSet[string](cm, "test.StrSet", k, strCodec{})
		if _, err := s.Add(ctx, "x"); err != nil {
			t.Fatal(err)
		}
	}
	victim.Kill()
	var healthyOpen, healthyOK, healthyOther, victimErr atomic.Int64
	var wg sync.WaitGroup
	deadline := time.Now().Add(1500 * time.Millisecond)
	for range 8 {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				k := keys[rand.IntN(len(keys))]
				s := runtime.NewSet[string](cm, "test.StrSet", k, strCodec{})
				c2, cancel := context.WithTimeout(ctx, time.Second)
				_, err := s.Add(c2, "y")
				cancel()
				switch {
				case onVictim[k]:
					if err != nil {
						victimErr.Add(1)
					}
				case err == nil:
					healthyOK.Add(1)
				case errors.Is(err, runtime.ErrCircuitOpen):
					healthyOpen.Add(1)
				default:
					healthyOther.Add(1)
				}
			}
		})
	}
	wg.Wait()
	t.Logf("healthy-master keys: ok=%d ErrCircuitOpen=%d other errors=%d; victim errors=%d; health breaker=%+v",
		healthyOK.Load(), healthyOpen.Load(), healthyOther.Load(), victimErr.Load(), cm.Health(ctx).CircuitBreaker)
	if healthyOpen.Load() != 0 || healthyOK.Load() == 0 {
		t.Errorf("keys on healthy masters: %d ErrCircuitOpen, %d successes; want none and some", healthyOpen.Load(), healthyOK.Load())
	}
	if victimErr.Load() == 0 {
		t.Error("no call on the dead master failed")
	}
	if h := cm.Health(ctx); h.CircuitBreaker.State != "open" {
		t.Errorf("Health's breaker %+v, want open (the dead node's)", h.CircuitBreaker)
	}
}
