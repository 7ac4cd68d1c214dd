package runtime

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// The cache lease bounds how stale a cached answer can be when a
// connection stops delivering replies but stays open (a half-open link, a
// hung server). The server's invalidations travel on the very connection
// whose replies stopped, so without it the cache would keep answering from
// what it last heard, for as long as the connection lives.
//
// A heartbeat PINGs every node every cacheLease/4 over the connections
// that hold the cache. The lease holds while every node answers; a PING
// not answered within 70% of cacheLease ends it at once, so it ends at
// most 95% of cacheLease after the last answer heard. While the lease is off, Contains and
// ContainsMany read from the server (uncached), so on a dead link they
// fail (CallTimeout) instead of answering from the past; the next answered
// heartbeat renews it. A PING waits behind whatever the connection carries
// before it, so a node busy with large pipelines for 700 ms also stops
// cached answers for that long: reads are then right, and slower.
const cacheLease = time.Second

type lease struct {
	ok   atomic.Bool
	stop chan struct{}
	done sync.WaitGroup
}

// cached reports whether reads may be served from the client-side cache.
func (cm *ConnectionManager) cached() bool { return cm.cacheOn && cm.lease.ok.Load() }

// startHeartbeat starts renewing the lease (newManager took the first).
func (cm *ConnectionManager) startHeartbeat() {
	if !cm.cacheOn {
		return
	}
	cm.lease.stop = make(chan struct{})
	cm.lease.done.Go(cm.heartbeat)
}

// stopHeartbeat stops the heartbeat and waits for it.
func (cm *ConnectionManager) stopHeartbeat() {
	if cm.lease.stop != nil {
		close(cm.lease.stop)
		cm.lease.done.Wait()
	}
}

func (cm *ConnectionManager) heartbeat() {
	// A PING sent at most cacheLease/4 after the last answer, and given up
	// after 70% of the lease, ends the lease within 95% of it.
	tick := time.NewTicker(cacheLease / 4)
	defer tick.Stop()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { <-cm.lease.stop; cancel() }() // Close does not wait for a PING
	for {
		select {
		case <-cm.lease.stop:
			return
		case <-tick.C:
		}
		cm.lease.ok.Store(cm.pingAll(ctx, cacheLease*7/10))
	}
}

// pingAll PINGs every node at once and reports whether all answered
// within timeout.
func (cm *ConnectionManager) pingAll(ctx context.Context, timeout time.Duration) bool {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	nodes := cm.client.Nodes()
	var failed atomic.Bool
	var wg sync.WaitGroup
	for _, c := range nodes {
		wg.Go(func() {
			if c.Do(ctx, c.B().Ping().Build()).Error() != nil {
				failed.Store(true)
			}
		})
	}
	wg.Wait()
	return len(nodes) > 0 && !failed.Load()
}
