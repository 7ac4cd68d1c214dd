package runtime_test

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/setgen/setgen/internal/redistest"
	"github.com/setgen/setgen/runtime"
)

// testClusterReshardUnderLoad moves a key's slot to another master while
// a writer adds members and cached readers check them: a read that starts
// after an Add returned must see the member (read-your-writes, across the
// MOVED/ASK redirections), and no acknowledged write is lost.
func testClusterReshardUnderLoad(t *testing.T, c *redistest.Cluster, cm *runtime.ConnectionManager) {
	ctx := ctxT(t)
	set := runtime.NewSet[string](cm, "test.StrSet", "reshard:load", strCodec{})
	if _, err := set.Add(ctx, "seed"); err != nil {
		t.Fatal(err)
	}
	var (
		last    atomic.Int64 // the highest member whose Add returned
		acked   []string
		mu      sync.Mutex
		reads   atomic.Int64
		stale   atomic.Int64
		failed  atomic.Int64
		stop    = make(chan struct{})
		wg      sync.WaitGroup
		loadCtx = context.Background()
	)
	last.Store(-1)
	wg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			cctx, cancel := context.WithTimeout(loadCtx, 5*time.Second)
			_, err := set.Add(cctx, strconv.Itoa(i))
			cancel()
			if err != nil {
				failed.Add(1)
				continue
			}
			mu.Lock()
			acked = append(acked, strconv.Itoa(i))
			mu.Unlock()
			last.Store(int64(i))
		}
	})
	for range 3 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				n := last.Load()
				if n < 0 {
					continue
				}
				cctx, cancel := context.WithTimeout(loadCtx, 5*time.Second)
				ok, err := set.Contains(cctx, strconv.FormatInt(n, 10)) // twice: the second from the cache
				if err == nil && ok {
					ok, err = set.Contains(cctx, strconv.FormatInt(n, 10))
				}
				cancel()
				reads.Add(1)
				switch {
				case err != nil:
					failed.Add(1)
				case !ok:
					stale.Add(1)
				}
			}
		})
	}
	time.Sleep(200 * time.Millisecond)
	from := c.MasterOfKey(set.Key())
	var to *redistest.Server
	for _, n := range c.Nodes {
		if n != from && c.Role(n) == "master" {
			to = n
			break
		}
	}
	c.MoveSlot(int(runtime.Slot(set.Key())), to)
	time.Sleep(300 * time.Millisecond) // the load runs on after the move
	close(stop)
	wg.Wait()
	_, lost := lostWrites(t, set, acked)
	t.Logf("slot moved %s -> %s under load: %d writes acknowledged, %d lost; %d reads, %d stale; %d calls failed",
		from.Addr, to.Addr, len(acked), lost, reads.Load(), stale.Load(), failed.Load())
	if c.MasterOfKey(set.Key()) != to {
		t.Fatal("the slot did not move")
	}
	if lost > 0 || stale.Load() > 0 {
		t.Fatalf("%d acknowledged writes lost, %d reads after an acknowledged Add did not see it", lost, stale.Load())
	}
	if len(acked) == 0 || reads.Load() == 0 {
		t.Fatal("no load ran")
	}
}
