package runtime

import (
	"context"
	"errors"
	"net"
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
	Error string `json:"error,omitempty"`
	Mode  string `json:"mode"` // "single", "cluster" or "sentinel"
	// Sentinel is the topology under Redis Sentinel: the master set, the
	// master the manager talks to (also in Nodes) and the sentinels.
	Sentinel       *SentinelHealth `json:"sentinel,omitempty"`
	CircuitBreaker BreakerHealth   `json:"circuit_breaker"`
	ConnectionPool PoolHealth      `json:"connection_pool"`
	Server         ServerHealth    `json:"server"`
	Cache          CacheHealth     `json:"cache"`
	Nodes          []NodeHealth    `json:"nodes"`
}

// SentinelHealth describes a deployment under Redis Sentinel.
type SentinelHealth struct {
	MasterSet string   `json:"master_set"`
	Master    string   `json:"master"` // the master's address, as the sentinels name it
	Sentinels []string `json:"sentinels"`
}

// BreakerHealth describes the circuit breaker.
//
// FailureCount is the consecutive failed calls: while the breaker is open
// or half-open, the count that opened it (Threshold).
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
	// Name is the server's software: "redis" or "valkey" (INFO
	// server_name; Redis does not send one).
	Name string `json:"name"`
	// Version is the server's own version (INFO valkey_version on Valkey,
	// which reports a Redis-compatible redis_version too).
	Version          string `json:"version"`
	ConnectedClients int64  `json:"connected_clients"`
	UsedMemory       int64  `json:"used_memory"`
}

// CacheHealth describes the client-side cache for Contains and ContainsMany.
type CacheHealth struct {
	Enabled bool `json:"enabled"`
	// Serving reports whether cached answers are being served: the
	// heartbeat has heard from every node within the lease (1 s). While it
	// has not, reads go to the server.
	Serving  bool    `json:"serving"`
	Hits     uint64  `json:"hits"`
	Misses   uint64  `json:"misses"`
	HitRatio float64 `json:"hit_ratio"`
	TTLS     float64 `json:"ttl_s"`
}

// NodeHealth describes one server.
type NodeHealth struct {
	Addr      string  `json:"addr"`
	Role      string  `json:"role"` // "master" or "slave" (INFO replication)
	LatencyMS float64 `json:"latency_ms"`
	// ClusterState is the node's cluster_state ("ok" or "fail") on a
	// cluster; empty otherwise, or when the node refuses CLUSTER INFO.
	ClusterState string `json:"cluster_state,omitempty"`
	// Breaker is the state of the node's own circuit breaker, on a cluster
	// where calls met a failure of this node (see ConnectionManager).
	Breaker string `json:"breaker,omitempty"`
	Error   string `json:"error,omitempty"`
}

// Health pings every node, reads INFO, and reports the breaker and cache.
// It does not go through the breaker (it is how you see why it is open),
// and it returns within HealthTimeout even when ctx has no deadline and the
// server is gone.
//
// On a cluster it reports every node the cluster knows (CLUSTER NODES on
// an answering node), not only those the client holds connections to:
// replicas that CLUSTER SLOTS omits and nodes that joined or came back
// after the client last read the topology are pinged over a temporary
// connection, and a node the cluster marks as failing (fail or fail?) is
// reported with an error. The status is degraded when a node does not
// answer, is marked failing, or says cluster_state is not ok.
func (cm *ConnectionManager) Health(ctx context.Context) Health {
	if cm == nil {
		return Health{Status: StatusUnhealthy, Error: "nil ConnectionManager", Nodes: []NodeHealth{}}
	}
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, cancel := context.WithTimeout(ctx, HealthTimeout)
	defer cancel()

	h := Health{Mode: "single", Nodes: []NodeHealth{}}
	if cm.cluster {
		h.Mode = "cluster"
	}
	if cm.sentinel {
		h.Mode = "sentinel"
		h.Sentinel = &SentinelHealth{MasterSet: cm.opts.SentinelMasterSet, Sentinels: slices.Clone(cm.opts.Addrs)}
	}
	var nodeBreakers map[string]string
	h.CircuitBreaker, nodeBreakers = cm.breakerHealth()
	hits, misses := cm.hits.Load(), cm.misses.Load()
	h.Cache = CacheHealth{Enabled: cm.cacheOn, Serving: cm.cached(), Hits: hits, Misses: misses, TTLS: cm.opts.CacheTTL.Seconds()}
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
	if h.Sentinel != nil && len(addrs) > 0 {
		h.Sentinel.Master = addrs[0] // a sentinel client's one node is the master
	}
	h.Nodes = make([]NodeHealth, len(addrs))
	infos := make([]map[string]string, len(addrs))
	var wg sync.WaitGroup
	for i, a := range addrs {
		wg.Go(func() { h.Nodes[i], infos[i] = cm.nodeHealth(ctx, a, nodes[a]) })
	}
	wg.Wait()
	h.ConnectionPool = PoolHealth{Nodes: len(addrs), PipelineConnections: len(addrs), MaxConnections: cm.opts.MaxConnections}
	if cm.cluster {
		more, moreInfos := cm.otherClusterNodes(ctx, h.Nodes, nodes)
		if len(more) > 0 {
			h.Nodes = append(h.Nodes, more...)
			infos = append(infos, moreInfos...)
			order := make([]int, len(h.Nodes))
			for i := range order {
				order[i] = i
			}
			slices.SortFunc(order, func(a, b int) int { return strings.Compare(h.Nodes[a].Addr, h.Nodes[b].Addr) })
			ns, is := make([]NodeHealth, len(order)), make([]map[string]string, len(order))
			for i, j := range order {
				ns[i], is[i] = h.Nodes[j], infos[j]
			}
			h.Nodes, infos = ns, is
		}
	}

	for i := range h.Nodes {
		h.Nodes[i].Breaker = nodeBreakers[h.Nodes[i].Addr]
	}
	var failed []string
	answered := 0
	for i, n := range h.Nodes {
		if n.Error != "" {
			failed = append(failed, n.Addr+": "+n.Error)
			continue
		}
		answered++
		if n.ClusterState != "" && n.ClusterState != "ok" {
			failed = append(failed, n.Addr+": cluster_state:"+n.ClusterState)
		}
		h.LatencyMS = max(h.LatencyMS, n.LatencyMS)
		info := infos[i]
		if h.Server.Version == "" {
			h.Server.Name, h.Server.Version = serverOf(info)
		}
		c, _ := strconv.ParseInt(info["connected_clients"], 10, 64)
		m, _ := strconv.ParseInt(info["used_memory"], 10, 64)
		h.Server.ConnectedClients += c
		h.Server.UsedMemory += m
	}
	switch {
	case answered == 0:
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
	cmds := rueidis.Commands{c.B().Ping().Build(),
		c.B().Info().Build()} // plain INFO: every server (and test servers) answers it
	if cm.cluster {
		cmds = append(cmds, c.B().ClusterInfo().Build())
	}
	res := c.DoMulti(ctx, cmds...)
	if err := res[0].Error(); err != nil {
		n.Error = cm.redact(healthErr(ctx, err))
		return n, nil
	}
	n.LatencyMS = float64(time.Since(start).Microseconds()) / 1000
	// The node answered PING: an INFO it refuses (an ACL without +info)
	// only leaves the server figures empty.
	text, _ := res[1].ToString()
	info := parseInfo(text)
	n.Role = info["role"]
	if cm.cluster {
		// Like INFO, a CLUSTER INFO the node refuses leaves it empty.
		if text, err := res[2].ToString(); err == nil {
			n.ClusterState = parseInfo(stripVerbatim(text))["cluster_state"]
		}
	}
	return n, info
}

// otherClusterNodes reads CLUSTER NODES from the first node in known that
// answered and returns the health of the cluster's nodes missing from
// known: a node marked failing is reported with an error, any other is
// pinged over a temporary connection. The client holds no connection to
// them: CLUSTER SLOTS, from which it reads the topology, omits replicas
// that have not replicated anything yet and nodes without slots, and the
// client rereads it only after errors or redirections, so it has not seen
// a node that joined or came back since.
func (cm *ConnectionManager) otherClusterNodes(ctx context.Context, known []NodeHealth, clients map[string]rueidis.Client) ([]NodeHealth, []map[string]string) {
	have := make(map[string]bool, len(known))
	from := ""
	for _, n := range known {
		have[n.Addr] = true
		if from == "" && n.Error == "" {
			from = n.Addr
		}
	}
	if from == "" {
		return nil, nil
	}
	c := clients[from]
	text, err := c.Do(ctx, c.B().ClusterNodes().Build()).ToString()
	if err != nil {
		return nil, nil // the node answered PING a moment ago; its own entry tells the rest
	}
	host, _, _ := net.SplitHostPort(from)
	var (
		out   []NodeHealth
		probe []int
	)
	for _, e := range parseClusterNodes(stripVerbatim(text), host) {
		if have[e.addr] {
			continue
		}
		have[e.addr] = true
		n := NodeHealth{Addr: e.addr, Role: e.role}
		if e.failing != "" {
			n.Error = "marked as failing by the cluster (" + e.failing + ")"
		} else {
			probe = append(probe, len(out))
		}
		out = append(out, n)
	}
	infos := make([]map[string]string, len(out))
	var wg sync.WaitGroup
	for _, i := range probe {
		wg.Go(func() { out[i], infos[i] = cm.probeNode(ctx, out[i]) })
	}
	wg.Wait()
	return out, infos
}

// probeNode checks a node over a temporary connection, within ctx's
// deadline.
func (cm *ConnectionManager) probeNode(ctx context.Context, n NodeHealth) (NodeHealth, map[string]string) {
	o := clientOption(cm.opts, false)
	o.InitAddress = []string{n.Addr}
	o.ForceSingleClient = true
	o.BlockingPoolSize = 1
	if dl, ok := ctx.Deadline(); ok {
		left := time.Until(dl)
		if left <= 0 {
			n.Error = "no answer within the health check's deadline"
			return n, nil
		}
		o.Dialer.Timeout = min(o.Dialer.Timeout, left)
		o.ConnWriteTimeout = left
	}
	c, err := rueidis.NewClient(o)
	if err != nil {
		n.Error = cm.redact("not connected: " + err.Error())
		return n, nil
	}
	defer c.Close()
	return cm.nodeHealth(ctx, n.Addr, c)
}

// stripVerbatim removes the "txt:" format of a RESP3 verbatim string
// (CLUSTER INFO and CLUSTER NODES reply with one), which rueidis keeps.
func stripVerbatim(s string) string {
	if len(s) >= 4 && s[3] == ':' && (s[:3] == "txt" || s[:3] == "mkd") {
		return s[4:]
	}
	return s
}

type clusterNodeEntry struct {
	addr    string
	role    string // "master" or "slave"
	failing string // "fail" or "fail?" when the cluster marks it so
}

// parseClusterNodes parses CLUSTER NODES lines
// "<id> <ip:port@cport[,hostname]> <flags> <master> ...". A node whose
// address is unknown (noaddr) or that is still in handshake is left out;
// an empty ip is host's.
func parseClusterNodes(text, host string) []clusterNodeEntry {
	var out []clusterNodeEntry
	for line := range strings.Lines(text) {
		f := strings.Fields(line)
		if len(f) < 3 {
			continue
		}
		flags := strings.Split(f[2], ",")
		if slices.Contains(flags, "noaddr") || slices.Contains(flags, "handshake") {
			continue
		}
		addr, _, _ := strings.Cut(f[1], "@")
		addr, _, _ = strings.Cut(addr, ",")
		h, port, err := net.SplitHostPort(addr)
		if err != nil || port == "" || port == "0" {
			continue
		}
		if h == "" {
			h = host
		}
		e := clusterNodeEntry{addr: net.JoinHostPort(h, port)}
		switch {
		case slices.Contains(flags, "master"):
			e.role = "master"
		case slices.Contains(flags, "slave"):
			e.role = "slave"
		}
		switch {
		case slices.Contains(flags, "fail"):
			e.failing = "fail"
		case slices.Contains(flags, "fail?"):
			e.failing = "fail?"
		}
		out = append(out, e)
	}
	return out
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

// breakerHealth reports the manager's breaker, or on a cluster the worst of
// it and the nodes' breakers, whose states it also returns by address.
func (cm *ConnectionManager) breakerHealth() (BreakerHealth, map[string]string) {
	h := BreakerHealth{Threshold: cm.opts.BreakerThreshold, TimeoutS: cm.opts.BreakerTimeout.Seconds()}
	worstState := gobreaker.StateClosed
	worst := func(b *breaker) {
		st, n := b.State(), b.Counts().ConsecutiveFailures
		if st != gobreaker.StateClosed {
			// gobreaker resets its counts when the state changes; an open
			// breaker opened after Threshold consecutive failures.
			n = max(n, uint32(cm.opts.BreakerThreshold))
		}
		if rank(st) > rank(worstState) {
			worstState = st
		}
		h.FailureCount = max(h.FailureCount, n)
	}
	worst(cm.breaker)
	nodes := map[string]string{}
	cm.nodeBreakers.Range(func(k, v any) bool {
		b := v.(*breaker)
		worst(b)
		nodes[k.(string)] = breakerState(b.State())
		return true
	})
	h.State = breakerState(worstState)
	return h, nodes
}

// rank orders breaker states from best to worst: 0 closed, 1 half-open,
// 2 open (also the value of the setgen.breaker.state gauge).
func rank(s gobreaker.State) int {
	switch s {
	case gobreaker.StateOpen:
		return 2
	case gobreaker.StateHalfOpen:
		return 1
	}
	return 0
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

// serverOf returns the server's software and version from its INFO.
func serverOf(info map[string]string) (name, version string) {
	if v := info["valkey_version"]; v != "" {
		return "valkey", v
	}
	if n := info["server_name"]; n != "" {
		return n, info["redis_version"]
	}
	return "redis", info["redis_version"]
}
