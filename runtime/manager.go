package runtime

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync/atomic"

	"github.com/redis/rueidis"
	"github.com/sony/gobreaker/v2"
)

// ConnectionManager owns the connection to one Redis server or cluster and
// everything around it: the circuit breaker, retries with backoff, the
// client-side cache and its statistics. Create one per process (or per
// Redis deployment) and share it between all sets; it is safe for
// concurrent use, and concurrent calls are auto-pipelined.
//
// # Read-your-writes with the client-side cache
//
// Contains and ContainsMany are served from rueidis' client-side cache,
// which the server keeps correct with RESP3 CLIENT TRACKING invalidations.
// Redis sends the invalidation for a key modified by this very connection
// after the write's reply, so a cached read right after the write returned
// could still see the old answer. The manager closes that gap by routing
// every command through one pipelined connection per node (the one holding
// the cache) and sending each write in the same pipeline as a cheap fence
// command on the same key (EXISTS). Redis answers in order, and the
// invalidation arrives before the fence's reply, so when a write returns
// its invalidation has already been applied. This costs no extra round trip
// and leaves the cache-hit path untouched. It holds only for writes that
// returned without error.
type ConnectionManager struct {
	opts    Options
	client  rueidis.Client
	cluster bool
	cacheOn bool
	breaker *gobreaker.CircuitBreaker[struct{}]
	log     *slog.Logger
	closed  atomic.Bool
	hits    atomic.Uint64
	misses  atomic.Uint64
}

// NewConnectionManager connects to the server or cluster described by opts.
// It fails when no server answers, when authentication fails, or when opts
// are invalid. When the server cannot track keys for client-side caching
// (RESP2 only, or no CLIENT TRACKING), caching is turned off and a warning
// is logged instead of failing.
func NewConnectionManager(opts Options) (*ConnectionManager, error) {
	opts = opts.withDefaults()
	if err := opts.validate(); err != nil {
		return nil, err
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cacheOn := !opts.DisableCache
	client, err := rueidis.NewClient(clientOption(opts, cacheOn))
	if err != nil && cacheOn && isRedisErr(err) && !isAuthErr(err) {
		log.Warn("setgen: server cannot track keys; client-side caching disabled", "error", err)
		cacheOn = false
		client, err = rueidis.NewClient(clientOption(opts, false))
	}
	if err != nil {
		return nil, fmt.Errorf("setgen: connect to %s: %w", strings.Join(opts.Addrs, ","), err)
	}
	return newManager(opts, client, cacheOn), nil
}

// newManager wraps an existing rueidis client (a real one, or a mock in
// unit tests). opts must already carry defaults.
func newManager(opts Options, client rueidis.Client, cacheOn bool) *ConnectionManager {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cm := &ConnectionManager{
		opts:    opts,
		client:  client,
		cluster: client.Mode() == rueidis.ClientModeCluster,
		cacheOn: cacheOn,
		log:     log,
	}
	cm.breaker = newBreaker(opts, log)
	return cm
}

// clientOption maps Options onto rueidis.ClientOption.
func clientOption(o Options, cache bool) rueidis.ClientOption {
	co := rueidis.ClientOption{
		InitAddress: append([]string(nil), o.Addrs...),
		Username:    o.Username,
		Password:    o.Password,
		SelectDB:    o.DB,
		TLSConfig:   o.TLS,
		ClientName:  o.ClientName,
		// One pipelined connection per node: writes and cached reads of a
		// key share it, which read-your-writes relies on (see the type's
		// doc). Auto-pipelining stays on.
		PipelineMultiplex: -1,
		// Large pipelines and blocking commands use dedicated connections.
		BlockingPoolSize: o.MaxConnections,
		// Retries are ours: we know which commands are safe to repeat.
		DisableRetry: true,
		DisableCache: !cache,
		// Bounds every attempt when the caller's context has no deadline.
		ConnWriteTimeout:  o.CallTimeout,
		ForceSingleClient: o.ForceSingleNode,
	}
	co.Dialer.Timeout = o.DialTimeout
	if len(o.Addrs) > 0 && strings.HasPrefix(o.Addrs[0], "/") {
		co.ForceSingleClient = true
		co.DialCtxFn = func(ctx context.Context, addr string, d *net.Dialer, cfg *tls.Config) (net.Conn, error) {
			conn, err := d.DialContext(ctx, "unix", addr)
			if err != nil || cfg == nil {
				return conn, err
			}
			return tls.Client(conn, cfg), nil
		}
	}
	return co
}

// Options returns the options in force, defaults applied. The password is
// included: do not log the result.
func (cm *ConnectionManager) Options() Options { return cm.opts }

// IsCluster reports whether the manager talks to a Redis Cluster.
func (cm *ConnectionManager) IsCluster() bool { return cm.cluster }

// CacheEnabled reports whether client-side caching is in use.
func (cm *ConnectionManager) CacheEnabled() bool { return cm.cacheOn }

// Client returns the underlying rueidis client, for commands this package
// does not offer. Writes made through it bypass the read-your-writes fence.
func (cm *ConnectionManager) Client() rueidis.Client { return cm.client }

// Close closes every connection. Calls made after Close return ErrClosed.
func (cm *ConnectionManager) Close() {
	if cm == nil || cm.closed.Swap(true) {
		return
	}
	cm.client.Close()
}

// key returns the full key for a user key.
func (cm *ConnectionManager) key(k string) string { return cm.opts.KeyPrefix + k }

func isRedisErr(err error) bool {
	var re *rueidis.RedisError
	return errors.As(err, &re)
}

func isAuthErr(err error) bool {
	var re *rueidis.RedisError
	if !errors.As(err, &re) {
		return false
	}
	p := re.Error()
	return strings.HasPrefix(p, "WRONGPASS") || strings.HasPrefix(p, "NOAUTH") || strings.HasPrefix(p, "NOPERM")
}
