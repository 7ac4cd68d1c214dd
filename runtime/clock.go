package runtime

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// serverClock estimates the server's clock from the client's: TTL sets
// decide expiry on the server's clock, and cached answers compare a
// member's expiry with this estimate, with no round trip. The offset is
// measured with TIME (the midpoint of the round trip) and renewed every
// clockRefresh; its error is at most half a round trip plus the drift of
// the two clocks since.
type serverClock struct {
	offset   atomic.Int64 // server minus local, in nanoseconds
	measured atomic.Int64 // local monotonic-safe time of the last measurement (UnixNano), 0: never
	mu       sync.Mutex
	now      func() time.Time // the local clock; tests skew it
}

const clockRefresh = 30 * time.Second

func (c *serverClock) local() time.Time {
	if c.now != nil {
		return c.now()
	}
	return time.Now()
}

// serverNow returns the estimated server time. The first call measures;
// later ones renew the estimate in the background once it is stale.
func (cm *ConnectionManager) serverNow(ctx context.Context) (time.Time, error) {
	c := &cm.clock
	now := c.local()
	if at := c.measured.Load(); at != 0 {
		if now.UnixNano()-at > int64(clockRefresh) && c.mu.TryLock() {
			go func() {
				defer c.mu.Unlock()
				ctx, cancel := context.WithTimeout(context.Background(), cm.opts.CallTimeout)
				defer cancel()
				_ = cm.measureClock(ctx)
			}()
		}
		return now.Add(time.Duration(c.offset.Load())), nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.measured.Load() == 0 {
		if err := cm.measureClock(ctx); err != nil {
			return time.Time{}, err
		}
	}
	return c.local().Add(time.Duration(c.offset.Load())), nil
}

// measureClock reads the server's TIME and records the offset.
func (cm *ConnectionManager) measureClock(ctx context.Context) error {
	var server time.Time
	var t0, t1 time.Time
	err := cm.call(ctx, "", retrySafe, func(ctx context.Context) error {
		t0 = cm.clock.local()
		v, err := cm.client.Do(ctx, cm.client.B().Time().Build()).AsIntSlice()
		t1 = cm.clock.local()
		if err != nil {
			return err
		}
		if len(v) != 2 {
			return errBadTime
		}
		server = time.Unix(v[0], v[1]*1000)
		return nil
	})
	if err != nil {
		return err
	}
	mid := t0.Add(t1.Sub(t0) / 2)
	cm.clock.offset.Store(int64(server.Sub(mid)))
	cm.clock.measured.Store(t1.UnixNano())
	return nil
}

var errBadTime = invalidArg("TIME returned an unexpected reply")
