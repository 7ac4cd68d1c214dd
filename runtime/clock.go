package runtime

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// serverClock estimates the server's clock from the client's: TTL sets
// decide expiry on the server's clock, and cached answers compare a
// member's expiry with this estimate, with no round trip. A sample reads
// TIME and takes the midpoint of the round trip; of three samples the one
// with the shortest round trip is kept, and the estimate advances with the
// client's monotonic clock from it (so a step of the client's wall clock
// changes nothing). It is renewed every clockRefresh, and within
// stepCheckEvery of a step of this host's wall clock. Its error is at most
// half the kept round trip plus the drift of the two clocks since.
type serverClock struct {
	sample atomic.Pointer[clockSample]
	mu     sync.Mutex
	now    func() time.Time // the local clock; tests skew it
}

// clockSample is the server's time at a local instant.
type clockSample struct {
	local  time.Time // with its monotonic reading
	wall   time.Time // local's wall reading alone, to notice a step
	server time.Time
	rtt    time.Duration
	// checked is when (ns after local) the wall clock was last compared
	// with the monotonic clock: a hit reads only the monotonic clock,
	// which costs half as much, and compares every stepCheckEvery.
	checked atomic.Int64
}

// stepCheckEvery is how often serverNow looks for a step of the wall clock.
const stepCheckEvery = 250 * time.Millisecond

const clockRefresh = 30 * time.Second

func (c *serverClock) local() time.Time {
	if c.now != nil {
		return c.now()
	}
	return time.Now()
}

// since is the monotonic time elapsed since t (time.Since reads only the
// monotonic clock).
func (c *serverClock) since(t time.Time) time.Duration {
	if c.now != nil {
		return c.now().Sub(t)
	}
	return time.Since(t)
}

// serverNow returns the estimated server time, measuring on key's node the
// first time; later calls renew the estimate in the background once it is
// stale.
func (cm *ConnectionManager) serverNow(ctx context.Context, key string) (time.Time, error) {
	c := &cm.clock
	if s := c.sample.Load(); s != nil {
		el := c.since(s.local)
		renew := el > clockRefresh
		if last := s.checked.Load(); !renew && el-time.Duration(last) > stepCheckEvery && s.checked.CompareAndSwap(last, int64(el)) {
			renew = s.stepped(c.local())
		}
		if renew && c.mu.TryLock() {
			go func() {
				defer c.mu.Unlock()
				ctx, cancel := context.WithTimeout(context.Background(), cm.opts.CallTimeout)
				defer cancel()
				_ = cm.measureClock(ctx, key)
			}()
		}
		return s.server.Add(el), nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sample.Load() == nil {
		if err := cm.measureClock(ctx, key); err != nil {
			return time.Time{}, err
		}
	}
	s := c.sample.Load()
	return s.server.Add(c.local().Sub(s.local)), nil
}

// clockStep is how far this host's wall clock may move against its
// monotonic clock before the estimate is renewed early: a step (NTP
// setting the clock of a machine that just started) usually comes to the
// server's host too, and the estimate would be off by it until renewed.
const clockStep = 50 * time.Millisecond

// stepped reports whether the wall clock has moved by more than clockStep
// against the monotonic clock since the sample was taken.
func (s *clockSample) stepped(now time.Time) bool {
	d := now.Round(0).Sub(s.wall) - now.Sub(s.local)
	return d > clockStep || d < -clockStep
}

// timeScript reads the server's clock on the node of its key.
var timeScript = newScript(`return redis.call('TIME')`)

// measureClock takes three samples of the server's TIME on key's node and
// keeps the one with the shortest round trip.
func (cm *ConnectionManager) measureClock(ctx context.Context, key string) error {
	var best *clockSample
	for range 3 {
		var s clockSample
		err := cm.call(ctx, key, retrySafe, func(ctx context.Context) error {
			t0 := cm.clock.local()
			r, err := cm.run(ctx, timeScript, false, key, nil)
			t1 := cm.clock.local()
			if err != nil {
				return err
			}
			v, err := r.AsIntSlice()
			if err != nil {
				return err
			}
			if len(v) != 2 {
				return errBadTime
			}
			local := t0.Add(t1.Sub(t0) / 2)
			s = clockSample{local: local, wall: local.Round(0), server: time.Unix(v[0], v[1]*1000), rtt: t1.Sub(t0)}
			return nil
		})
		if err != nil {
			return err
		}
		if best == nil || s.rtt < best.rtt {
			best = &s
		}
	}
	cm.clock.sample.Store(best)
	return nil
}

var errBadTime = invalidArg("TIME returned an unexpected reply")
