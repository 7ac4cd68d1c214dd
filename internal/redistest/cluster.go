package redistest

import (
	"fmt"
	"net"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// ClusterConfig describes a Redis Cluster to start.
type ClusterConfig struct {
	// Masters is the number of masters (default 3, the minimum
	// redis-cli --cluster create accepts).
	Masters int
	// ReplicasPerMaster is the number of replicas of each master (0 or more).
	ReplicasPerMaster int
	// NodeTimeout is cluster-node-timeout (default 1s): how long a master
	// must be unreachable before its replica takes over.
	NodeTimeout time.Duration
	// Args are extra redis-server arguments given to every node.
	Args []string
}

// Cluster is a running Redis Cluster of real redis-server processes on
// loopback ports, stopped by t.Cleanup.
type Cluster struct {
	// Nodes are the servers, masters first (in the order redis-cli made
	// them masters), then the replicas. Roles change on failover: use
	// Master, MasterOfKey and Role for the current ones.
	Nodes []*Server

	t   testing.TB
	cfg ClusterConfig
}

// StartCluster starts Masters*(1+ReplicasPerMaster) cluster-enabled
// servers, joins them with `redis-cli --cluster create`, and waits until
// every node reports cluster_state:ok with all 16384 slots covered and
// every replica is in sync with its master.
func StartCluster(t testing.TB, cfg ClusterConfig) *Cluster {
	t.Helper()
	SkipIfShort(t)
	Binary(t)
	if _, err := exec.LookPath("redis-cli"); err != nil {
		t.Fatalf("redis-cli is not installed: run `make test`, which installs it (apt-get install -y redis-tools): %v", err)
	}
	if cfg.Masters == 0 {
		cfg.Masters = 3
	}
	if cfg.Masters < 3 {
		t.Fatalf("redistest: a cluster needs at least 3 masters, not %d", cfg.Masters)
	}
	if cfg.ReplicasPerMaster < 0 {
		t.Fatalf("redistest: negative ReplicasPerMaster %d", cfg.ReplicasPerMaster)
	}
	if cfg.NodeTimeout <= 0 {
		cfg.NodeTimeout = time.Second
	}
	c := &Cluster{t: t, cfg: cfg}
	n := cfg.Masters * (1 + cfg.ReplicasPerMaster)
	for range n {
		c.Nodes = append(c.Nodes, c.startNode())
	}
	args := []string{"--cluster", "create"}
	for _, s := range c.Nodes {
		args = append(args, s.Addr)
	}
	args = append(args, "--cluster-replicas", strconv.Itoa(cfg.ReplicasPerMaster), "--cluster-yes")
	cmd := exec.Command("redis-cli", args...)
	cmd.Env = append(cmd.Environ(), "TERM=dumb")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("redistest: redis-cli --cluster create: %v\n%s", err, out)
	}
	if err := c.WaitHealthy(30 * time.Second); err != nil {
		t.Fatalf("redistest: cluster did not become healthy: %v", err)
	}
	return c
}

// startNode starts one cluster-enabled server. The cluster bus port is
// chosen free too (the default, port+10000, may be taken or above 65535).
func (c *Cluster) startNode() *Server {
	t := c.t
	t.Helper()
	s := &Server{t: t, Dir: t.TempDir()}
	var err error
	for range 5 { // a free port can be taken between probe and bind
		s.Port = FreePort(t)
		bus := FreePort(t)
		if bus == s.Port {
			continue
		}
		s.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(s.Port))
		s.cfg = Config{Args: append([]string{
			"--cluster-enabled", "yes",
			"--cluster-config-file", "nodes.conf",
			"--cluster-node-timeout", strconv.FormatInt(c.cfg.NodeTimeout.Milliseconds(), 10),
			"--cluster-port", strconv.Itoa(bus),
			// A replica may always take over, however long ago it heard
			// from its master.
			"--cluster-replica-validity-factor", "0",
			// Full syncs start at once instead of after 5s.
			"--repl-diskless-sync-delay", "0",
			// Masters PING their replicas every second, so a replica's
			// replication offset is soon above 0 even with no writes:
			// CLUSTER SLOTS (which clients read the topology from) omits
			// replicas whose offset is still 0.
			"--repl-ping-replica-period", "1",
		}, c.cfg.Args...)}
		if err = s.start(); err == nil {
			t.Cleanup(s.Stop)
			return s
		}
	}
	t.Fatalf("redistest: start cluster node: %v", err)
	return nil
}

// Addrs returns the address of every node.
func (c *Cluster) Addrs() []string {
	out := make([]string, len(c.Nodes))
	for i, s := range c.Nodes {
		out[i] = s.Addr
	}
	return out
}

// Node returns the node listening on addr, or nil.
func (c *Cluster) Node(addr string) *Server {
	for _, s := range c.Nodes {
		if s.Addr == addr {
			return s
		}
	}
	return nil
}

// Running returns the nodes whose process is alive.
func (c *Cluster) Running() []*Server {
	var out []*Server
	for _, s := range c.Nodes {
		if s.Running() {
			out = append(out, s)
		}
	}
	return out
}

// ClusterNode is one line of CLUSTER NODES.
type ClusterNode struct {
	ID     string
	Addr   string   // "127.0.0.1:port"
	Flags  []string // e.g. "myself", "master", "slave", "fail", "fail?"
	Master string   // the master's ID for a replica, "" for a master
	Slots  [][2]int // inclusive ranges served by a master
}

// Is reports whether the node has flag f.
func (n ClusterNode) Is(f string) bool { return slices.Contains(n.Flags, f) }

// View returns the cluster as one running node sees it (CLUSTER NODES).
func (c *Cluster) View(s *Server) ([]ClusterNode, error) {
	out, err := s.CLI("CLUSTER", "NODES")
	if err != nil {
		return nil, fmt.Errorf("CLUSTER NODES on %s: %v: %s", s.Addr, err, out)
	}
	var nodes []ClusterNode
	for line := range strings.Lines(out) {
		f := strings.Fields(line)
		if len(f) < 8 {
			continue
		}
		n := ClusterNode{ID: f[0], Flags: strings.Split(f[2], ",")}
		n.Addr, _, _ = strings.Cut(f[1], "@")
		if f[3] != "-" {
			n.Master = f[3]
		}
		for _, r := range f[8:] {
			if strings.HasPrefix(r, "[") {
				continue // a slot being migrated or imported
			}
			lo, hi, ok := strings.Cut(r, "-")
			a, err1 := strconv.Atoi(lo)
			b := a
			var err2 error
			if ok {
				b, err2 = strconv.Atoi(hi)
			}
			if err1 != nil || err2 != nil {
				return nil, fmt.Errorf("CLUSTER NODES on %s: bad slot range %q", s.Addr, r)
			}
			n.Slots = append(n.Slots, [2]int{a, b})
		}
		nodes = append(nodes, n)
	}
	return nodes, nil
}

// Master returns the running node that serves slot as a master, as the
// first running node that answers sees it, or nil.
func (c *Cluster) Master(slot int) *Server {
	for _, s := range c.Running() {
		view, err := c.View(s)
		if err != nil {
			continue
		}
		for _, n := range view {
			if !n.Is("master") || n.Is("fail") || n.Is("fail?") {
				continue
			}
			for _, r := range n.Slots {
				if r[0] <= slot && slot <= r[1] {
					return c.Node(n.Addr)
				}
			}
		}
		return nil
	}
	return nil
}

// KeySlot returns the hash slot of key (CLUSTER KEYSLOT on a running node).
func (c *Cluster) KeySlot(key string) int {
	c.t.Helper()
	for _, s := range c.Running() {
		out, err := s.CLI("CLUSTER", "KEYSLOT", key)
		if err != nil {
			continue
		}
		n, err := strconv.Atoi(out)
		if err != nil {
			c.t.Fatalf("redistest: CLUSTER KEYSLOT %q: %q", key, out)
		}
		return n
	}
	c.t.Fatalf("redistest: CLUSTER KEYSLOT %q: no node answers", key)
	return 0
}

// MasterOfKey returns the node that currently serves key as a master.
func (c *Cluster) MasterOfKey(key string) *Server {
	c.t.Helper()
	m := c.Master(c.KeySlot(key))
	if m == nil {
		c.t.Fatalf("redistest: no master serves key %q", key)
	}
	return m
}

// KillMasterOfKey kills (SIGKILL, as a crash would) the master that
// serves key and returns it.
func (c *Cluster) KillMasterOfKey(key string) *Server {
	c.t.Helper()
	m := c.MasterOfKey(key)
	m.Kill()
	return m
}

// Role returns the node's role from INFO replication ("master" or
// "slave"), or "" when it does not answer.
func (c *Cluster) Role(s *Server) string {
	return infoField(s, "replication", "role")
}

func infoField(s *Server, section, field string) string {
	out, err := s.CLI("INFO", section)
	if err != nil {
		return ""
	}
	for line := range strings.Lines(out) {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), ":"); ok && k == field {
			return v
		}
	}
	return ""
}

// WaitHealthy waits until every running node reports cluster_state:ok
// with all slots assigned and served, knows every running node, lists
// every running node in CLUSTER SLOTS (as clients see the topology), and
// every running replica's link to its master is up. It returns the last
// reason it was not when timeout passes.
func (c *Cluster) WaitHealthy(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		err := c.healthy()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return err
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (c *Cluster) healthy() error {
	running := c.Running()
	if len(running) == 0 {
		return fmt.Errorf("no node is running")
	}
	for _, s := range running {
		out, err := s.CLI("CLUSTER", "INFO")
		if err != nil {
			return fmt.Errorf("CLUSTER INFO on %s: %v: %s", s.Addr, err, out)
		}
		info := map[string]string{}
		for line := range strings.Lines(out) {
			if k, v, ok := strings.Cut(strings.TrimSpace(line), ":"); ok {
				info[k] = v
			}
		}
		if info["cluster_state"] != "ok" || info["cluster_slots_assigned"] != "16384" || info["cluster_slots_ok"] != "16384" {
			return fmt.Errorf("%s: cluster_state:%s slots_assigned:%s slots_ok:%s", s.Addr,
				info["cluster_state"], info["cluster_slots_assigned"], info["cluster_slots_ok"])
		}
		view, err := c.View(s)
		if err != nil {
			return err
		}
		for _, r := range running {
			i := slices.IndexFunc(view, func(n ClusterNode) bool { return n.Addr == r.Addr })
			if i < 0 || view[i].Is("handshake") || view[i].Is("fail") || view[i].Is("fail?") || view[i].Is("noaddr") {
				return fmt.Errorf("%s does not see %s as a live member yet", s.Addr, r.Addr)
			}
		}
		slots, err := s.CLI("CLUSTER", "SLOTS")
		if err != nil {
			return fmt.Errorf("CLUSTER SLOTS on %s: %v: %s", s.Addr, err, slots)
		}
		ids := map[string]bool{}
		for line := range strings.Lines(slots) {
			if line = strings.TrimSpace(line); len(line) == 40 && strings.Trim(line, "0123456789abcdef") == "" {
				ids[line] = true
			}
		}
		if len(ids) != len(running) {
			return fmt.Errorf("CLUSTER SLOTS on %s lists %d nodes, %d are running", s.Addr, len(ids), len(running))
		}
		if c.Role(s) == "slave" {
			if st := infoField(s, "replication", "master_link_status"); st != "up" {
				return fmt.Errorf("replica %s: master_link_status:%s", s.Addr, st)
			}
		}
	}
	return nil
}

// MoveSlot migrates slot, with its keys, from its current master to the
// master to, the way redis-cli --cluster reshard does: IMPORTING on to,
// MIGRATING on the source, MIGRATE of every key, then SETSLOT NODE on
// every master. Clients learn of it from MOVED and ASK redirections.
func (c *Cluster) MoveSlot(slot int, to *Server) {
	c.t.Helper()
	from := c.Master(slot)
	if from == nil {
		c.t.Fatalf("redistest: MoveSlot: no master serves slot %d", slot)
	}
	if from == to {
		return
	}
	id := func(s *Server) string {
		out, err := s.CLI("CLUSTER", "MYID")
		if err != nil || len(out) != 40 {
			c.t.Fatalf("redistest: CLUSTER MYID on %s: %q, %v", s.Addr, out, err)
		}
		return out
	}
	fromID, toID := id(from), id(to)
	sl := strconv.Itoa(slot)
	run := func(s *Server, args ...string) string {
		c.t.Helper()
		out, err := s.CLI(args...)
		if err != nil || strings.HasPrefix(out, "ERR") || strings.HasPrefix(out, "(error)") {
			c.t.Fatalf("redistest: %s on %s: %q, %v", strings.Join(args, " "), s.Addr, out, err)
		}
		return out
	}
	run(to, "CLUSTER", "SETSLOT", sl, "IMPORTING", fromID)
	run(from, "CLUSTER", "SETSLOT", sl, "MIGRATING", toID)
	for {
		keys := strings.Fields(run(from, "CLUSTER", "GETKEYSINSLOT", sl, "100"))
		if len(keys) == 0 {
			break
		}
		args := append([]string{"MIGRATE", "127.0.0.1", strconv.Itoa(to.Port), "", "0", "5000", "KEYS"}, keys...)
		if out := run(from, args...); out != "OK" {
			c.t.Fatalf("redistest: MIGRATE %v: %q", keys, out)
		}
	}
	// The new owner first, then the old one, then everyone else.
	run(to, "CLUSTER", "SETSLOT", sl, "NODE", toID)
	run(from, "CLUSTER", "SETSLOT", sl, "NODE", toID)
	for _, s := range c.Running() {
		if s != to && s != from && c.Role(s) == "master" {
			run(s, "CLUSTER", "SETSLOT", sl, "NODE", toID)
		}
	}
}
