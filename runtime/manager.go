package runtime

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/redis/rueidis"
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
	opts     Options
	client   rueidis.Client
	cluster  bool
	sentinel bool // Addrs are sentinels; the server is the master they name
	cacheOn  bool
	// breaker guards every call on a single server. On a cluster it guards
	// calls whose slot has no failing node on record; see nodeBreakers.
	breaker *breaker
	// On a cluster: nodeBreakers holds one breaker per node address, and
	// slotNode[slot] the node whose failure a call on that slot last met.
	// A call on such a slot goes through that node's breaker, so a dead
	// master fails fast for its own keys and leaves the others alone.
	nodeBreakers sync.Map // string -> *breaker
	slotNode     []atomic.Pointer[string]
	log          *slog.Logger
	closed       atomic.Bool
	hits         atomic.Uint64
	misses       atomic.Uint64
	clock        serverClock // the server's clock, as seen from here (TTL sets)
	lease        lease       // cached answers are served only while it holds (lease.go)
	tel          *telemetry  // OpenTelemetry instruments; nil: none (telemetry.go)
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
	log := opts.logger()
	cacheOn := !opts.DisableCache
	client, err := rueidis.NewClient(clientOption(opts, cacheOn))
	// rueidis reports a server without RESP3 (HELLO unknown) or without
	// CLIENT TRACKING (unknown, or denied by an ACL) as ErrNoCache, not as
	// the server's error.
	if err != nil && cacheOn && errors.Is(err, rueidis.ErrNoCache) && !isAuthErr(err) {
		log.Warn("setgen: server cannot track keys; client-side caching disabled", "error", err)
		cacheOn = false
		client, err = rueidis.NewClient(clientOption(opts, false))
	}
	if err != nil {
		return nil, fmt.Errorf("setgen: connect to %s: %w%s", strings.Join(opts.Addrs, ","), err, connectHint(opts, err))
	}
	cm := newManager(opts, client, cacheOn)
	cm.startHeartbeat()
	return cm, nil
}

// connectHint explains what the network error alone ("connection reset by
// peer", "EOF", "context deadline exceeded") does not: a server that closed
// the connection during the handshake (usually a TLS mismatch or a missing
// client certificate), or one that did not answer within DialTimeout.
func connectHint(o Options, err error) string {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) {
		h := fmt.Sprintf(" (no answer within Options.DialTimeout %v: the server is hung or overloaded", o.DialTimeout)
		if o.TLS != nil {
			h += ", or does not serve TLS on this port"
		}
		return h + ")"
	}
	if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) &&
		!errors.Is(err, syscall.ECONNRESET) && !errors.Is(err, syscall.EPIPE) {
		return ""
	}
	switch {
	case o.TLS == nil:
		return " (the server closed the connection during the handshake: if it serves TLS, set Options.TLS or use a rediss:// URL)"
	case len(o.TLS.Certificates) == 0 && o.TLS.GetClientCertificate == nil:
		return " (the server closed the connection during the TLS handshake: it may require a client certificate, see Options.TLS or tls_cert_file and tls_key_file in a rediss:// URL)"
	default:
		return " (the server closed the connection during the TLS handshake: it may not accept this client certificate)"
	}
}

// newManager wraps an existing rueidis client (a real one, or a mock in
// unit tests). opts must already carry defaults.
func newManager(opts Options, client rueidis.Client, cacheOn bool) *ConnectionManager {
	log := opts.logger()
	cm := &ConnectionManager{
		opts:     opts,
		client:   client,
		cluster:  client.Mode() == rueidis.ClientModeCluster,
		sentinel: client.Mode() == rueidis.ClientModeSentinel,
		cacheOn:  cacheOn,
		log:      log,
	}
	cm.breaker = newBreaker(opts, log)
	if cm.cluster {
		cm.slotNode = make([]atomic.Pointer[string], SlotCount)
	}
	cm.lease.ok.Store(cacheOn) // the connection was just made: the first lease
	tel, err := newTelemetry(cm)
	if err != nil {
		log.Warn("setgen: OpenTelemetry instruments unavailable; no metrics", "error", err)
		tel = &telemetry{}
		if opts.TracerProvider != nil {
			tel.tracer = opts.TracerProvider.Tracer(instrumentationName)
		}
	}
	cm.tel = tel
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
		// On a cluster, reread the topology every second: while the
		// breaker is open no call reaches rueidis, which otherwise rereads
		// it only after errors, so a probe would keep hitting a failed-over
		// master.
		ClusterOption: rueidis.ClusterOption{ShardsRefreshInterval: time.Second},
	}
	co.Dialer.Timeout = o.DialTimeout
	co.MaxFlushDelay = max(o.MaxFlushDelay, 0) // negative: off
	if o.SentinelMasterSet != "" {
		co.Sentinel = rueidis.SentinelOption{
			MasterSet: o.SentinelMasterSet,
			Username:  o.SentinelUsername,
			Password:  o.SentinelPassword,
			TLSConfig: o.TLS,
			// React to a missed +switch-master event within a second,
			// as the cluster client rereads its topology.
			TopologyRefreshInterval: time.Second,
		}
		co.Sentinel.Dialer.Timeout = o.DialTimeout
	}
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
// included, but formatting the result (fmt, slog) redacts it.
func (cm *ConnectionManager) Options() Options { return cm.opts }

// String describes the manager without secrets (fmt would otherwise print
// its unexported fields, password included).
func (cm *ConnectionManager) String() string {
	if cm == nil {
		return "setgen.ConnectionManager(nil)"
	}
	return fmt.Sprintf("setgen.ConnectionManager{addrs: %v, cluster: %v, cache: %v, closed: %v}",
		cm.opts.Addrs, cm.cluster, cm.cacheOn, cm.closed.Load())
}

// GoString is String for %#v.
func (cm *ConnectionManager) GoString() string { return cm.String() }

// LogValue makes slog log the manager as String does.
func (cm *ConnectionManager) LogValue() slog.Value { return slog.StringValue(cm.String()) }

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
	cm.stopHeartbeat()
	cm.tel.close()
	cm.client.Close()
}

// key returns the full key for a user key.
func (cm *ConnectionManager) key(k string) string { return cm.opts.KeyPrefix + k }
