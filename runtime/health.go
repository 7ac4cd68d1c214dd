package runtime

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/rueidis"
	"github.com/sony/gobreaker/v2"
)

// HealthTimeout bounds Health when its context has a later deadline or none.
const HealthTimeout = 2 * time.Second

// Health statuses.
const (
	StatusHealthy   = "healthy"
	StatusDegraded  = "degraded"
	StatusUnhealthy = "unhealthy"
)

// Health is a snapshot of the manager and the server(s) it talks to. It
// marshals to JSON with the keys shown; figures are JSON numbers. It never
// holds a password.
type Health struct {
	// Status is "healthy" (every node answers and the breaker is closed),
	// "degraded" (answers, but the breaker is not closed or some cluster
	// node does not answer) or "unhealthy" (no answer).
	Status string `json:"status"`
	// LatencyMS is the PING round trip in milliseconds (the slowest node's
	// on a cluster).
	LatencyMS float64 `json:"latency_ms"`
	// Error says why the status is not healthy.
	Error          string        `json:"error,omitempty"`
	Mode           string        `json:"mode"` // "single" or "cluster"
	CircuitBreaker BreakerHealth `json:"circuit_breaker"`
	ConnectionPool PoolHealth    `json:"connection_pool"`
	Server         ServerHealth  `json:"server"`
	Cache          CacheHealth   `json:"cache"`
	Nodes          []NodeHealth  `json:"nodes"`
}

// BreakerHealth describes the circuit breaker.
type BreakerHealth struct {
	State        string  `json:"state"` // "closed", "half-open" or "open"
	FailureCount uint32  `json:"failure_count"`
	Threshold    int     `json:"threshold"`
	TimeoutS     float64 `json:"timeout_s"`
}

// PoolHealth describes the connections.
type PoolHealth struct {
	// Nodes is the number of servers connected to.
	Nodes int `json:"nodes"`
	// PipelineConnections is the number of shared auto-pipelined
	// connections (one per node).
	PipelineConnections int `json:"pipeline_connections"`
	// MaxConnections bounds the dedicated connections per node for large
	// pipelines (Options.MaxConnections).
	MaxConnections int `json:"max_connections"`
}

// ServerHealth holds figures from INFO (the first answering node's on a
// cluster, summed for clients and memory).
type ServerHealth struct {
	Version          string `json:"version"`
	ConnectedClients int64  `json:"connected_clients"`
	UsedMemory       int64  `json:"used_memory"`
}

// CacheHealth describes the client-side cache for Contains and ContainsMany.
type CacheHealth struct {
	Enabled  bool    `json:"enabled"`
	Hits     uint64  `json:"hits"`
	Misses   uint64  `json:"misses"`
	HitRatio float64 `json:"hit_ratio"`
	TTLS     float64 `json:"ttl_s"`
}

// NodeHealth describes one server.
type NodeHealth struct {
	Addr      string  `json:"addr"`
	Role      string  `json:"role"`
	LatencyMS float64 `json:"latency_ms"`
	Error     string  `json:"error,omitempty"`
}

// Health pings every node, reads INFO, and reports the breaker and cache.
// It does not go through the breaker (it is how you see why it is open),
// and it returns within HealthTimeout even when ctx has no deadline and the
// server is gone.
func (cm *ConnectionManager) Health(ctx context.Context) Health {
	if cm == nil {
		return Health{Status: StatusUnhealthy, Error: "nil ConnectionManager", Nodes: []NodeHealth{}}
	}
	ctx, cancel := context.WithTimeout(ctx, HealthTimeout)
	defer cancel()

	h := Health{Mode: "single", Nodes: []NodeHealth{}}
	if cm.cluster {
		h.Mode = "cluster"
	}
	counts := cm.breaker.Counts()
	h.CircuitBreaker = BreakerHealth{
		State:        breakerState(cm.breaker.State()),
		FailureCount: counts.ConsecutiveFailures,
		Threshold:    cm.opts.BreakerThreshold,
		TimeoutS:     cm.opts.BreakerTimeout.Seconds(),
	}
	hits, misses := cm.hits.Load(), cm.misses.Load()
	h.Cache = CacheHealth{Enabled: cm.cacheOn, Hits: hits, Misses: misses, TTLS: cm.opts.CacheTTL.Seconds()}
	if hits+misses > 0 {
		h.Cache.HitRatio = float64(hits) / float64(hits+misses)
	}
	if cm.closed.Load() {
		h.Status, h.Error = StatusUnhealthy, ErrClosed.Error()
		return h
	}

	nodes := cm.client.Nodes()
	addrs := make([]string, 0, len(nodes))
	for a := range nodes {
		addrs = append(addrs, a)
	}
	slices.Sort(addrs)
	h.Nodes = make([]NodeHealth, len(addrs))
	infos := make([]map[string]string, len(addrs))
	var wg sync.WaitGroup
	for i, a := range addrs {
		wg.Go(func() { h.Nodes[i], infos[i] = cm.nodeHealth(ctx, a, nodes[a]) })
	}
	wg.Wait()
	h.ConnectionPool = PoolHealth{Nodes: len(addrs), PipelineConnections: len(addrs), MaxConnections: cm.opts.MaxConnections}

	var failed []string
	for i, n := range h.Nodes {
		if n.Error != "" {
			failed = append(failed, n.Addr+": "+n.Error)
			continue
		}
		h.LatencyMS = max(h.LatencyMS, n.LatencyMS)
		info := infos[i]
		if h.Server.Version == "" {
			h.Server.Version = info["redis_version"]
		}
		c, _ := strconv.ParseInt(info["connected_clients"], 10, 64)
		m, _ := strconv.ParseInt(info["used_memory"], 10, 64)
		h.Server.ConnectedClients += c
		h.Server.UsedMemory += m
	}
	switch {
	case len(addrs) == 0 || len(failed) == len(addrs):
		h.Status = StatusUnhealthy
		h.Error = "no server answers"
		if len(failed) > 0 {
			h.Error = strings.Join(failed, "; ")
		}
	case len(failed) > 0:
		h.Status, h.Error = StatusDegraded, strings.Join(failed, "; ")
	case h.CircuitBreaker.State != "closed":
		h.Status, h.Error = StatusDegraded, "circuit breaker is "+h.CircuitBreaker.State
	default:
		h.Status = StatusHealthy
	}
	h.Error = cm.redact(h.Error)
	return h
}

func (cm *ConnectionManager) nodeHealth(ctx context.Context, addr string, c rueidis.Client) (NodeHealth, map[string]string) {
	n := NodeHealth{Addr: addr}
	start := time.Now()
	res := c.DoMulti(ctx,
		c.B().Ping().Build(),
		c.B().Info().Section("server").Section("clients").Section("memory").Section("replication").Build())
	if err := res[0].Error(); err != nil {
		n.Error = cm.redact(healthErr(ctx, err))
		return n, nil
	}
	n.LatencyMS = float64(time.Since(start).Microseconds()) / 1000
	text, err := res[1].ToString()
	if err != nil {
		n.Error = cm.redact(healthErr(ctx, err))
		return n, nil
	}
	info := parseInfo(text)
	n.Role = info["role"]
	return n, info
}

func healthErr(ctx context.Context, err error) string {
	if errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil {
		return "no answer within the health check's deadline"
	}
	return err.Error()
}

// redact removes the password from s, should any error ever quote it.
func (cm *ConnectionManager) redact(s string) string {
	if p := cm.opts.Password; len(p) >= 3 && strings.Contains(s, p) {
		s = strings.ReplaceAll(s, p, "[redacted]")
	}
	return s
}

func parseInfo(text string) map[string]string {
	m := make(map[string]string)
	for line := range strings.Lines(text) {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		if k, v, ok := strings.Cut(line, ":"); ok {
			m[k] = v
		}
	}
	return m
}

func breakerState(s gobreaker.State) string {
	switch s {
	case gobreaker.StateOpen:
		return "open"
	case gobreaker.StateHalfOpen:
		return "half-open"
	default:
		return "closed"
	}
}
