package redistest

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"
)

// SentinelConfig describes a Redis Sentinel deployment to start.
type SentinelConfig struct {
	// Replicas is the number of replicas of the master (default 1).
	Replicas int
	// Sentinels is the number of sentinels (default 3; the quorum is a
	// majority of them).
	Sentinels int
	// DownAfter is how long a silent master takes to be judged down
	// (default 1s).
	DownAfter time.Duration
}

// Sentinel is a running master, its replicas and the sentinels that
// monitor them as the master set MasterSet.
type Sentinel struct {
	// MasterSet is the name the sentinels monitor the master under.
	MasterSet string
	// Servers are the data servers: the first master first, then the
	// replicas. Roles change on failover: Master asks the sentinels.
	Servers []*Server
	// Sentinels are the sentinel processes.
	Sentinels []*Server

	t testing.TB
}

// StartSentinel starts a master, its replicas and the sentinels, and waits
// until every sentinel knows every replica (in sync) and the other
// sentinels, so that a failover can be made at once.
func StartSentinel(t testing.TB, cfg SentinelConfig) *Sentinel {
	t.Helper()
	if cfg.Replicas <= 0 {
		cfg.Replicas = 1
	}
	if cfg.Sentinels <= 0 {
		cfg.Sentinels = 3
	}
	if cfg.DownAfter <= 0 {
		cfg.DownAfter = time.Second
	}
	s := &Sentinel{MasterSet: "mymaster", t: t}
	master := Start(t, Config{})
	s.Servers = append(s.Servers, master)
	for range cfg.Replicas {
		s.Servers = append(s.Servers, Start(t, Config{Args: []string{"--replicaof", "127.0.0.1", strconv.Itoa(master.Port)}}))
	}
	conf := fmt.Sprintf("sentinel monitor %s 127.0.0.1 %d %d\nsentinel down-after-milliseconds %s %d\nsentinel failover-timeout %s 10000\n",
		s.MasterSet, master.Port, cfg.Sentinels/2+1, s.MasterSet, cfg.DownAfter.Milliseconds(), s.MasterSet)
	for range cfg.Sentinels {
		s.Sentinels = append(s.Sentinels, Start(t, Config{Sentinel: conf}))
	}
	s.WaitReady(master, 30*time.Second)
	return s
}

// Addrs returns the sentinels' addresses.
func (s *Sentinel) Addrs() []string {
	out := make([]string, len(s.Sentinels))
	for i, sn := range s.Sentinels {
		out[i] = sn.Addr
	}
	return out
}

// Master returns the data server that the first answering sentinel names
// as the master, or nil.
func (s *Sentinel) Master() *Server {
	for _, sn := range s.Sentinels {
		if !sn.Running() {
			continue
		}
		out, err := sn.CLI("SENTINEL", "get-master-addr-by-name", s.MasterSet)
		if err != nil {
			continue
		}
		f := strings.Fields(out)
		if len(f) != 2 {
			continue
		}
		if srv := s.server(net.JoinHostPort(f[0], f[1])); srv != nil {
			return srv
		}
	}
	return nil
}

func (s *Sentinel) server(addr string) *Server {
	for _, srv := range s.Servers {
		if srv.Addr == addr {
			return srv
		}
	}
	return nil
}

// WaitReady waits until every running sentinel names master as the master,
// sees every other running data server as its replica, in sync, and sees
// the other sentinels; it fails the test after timeout.
func (s *Sentinel) WaitReady(master *Server, timeout time.Duration) {
	s.t.Helper()
	var why string
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		why = s.notReady(master)
		if why == "" {
			return
		}
	}
	s.t.Fatalf("redistest: sentinel deployment not ready after %v: %s", timeout, why)
}

func (s *Sentinel) notReady(master *Server) string {
	replicas, sentinels := 0, 0
	for _, srv := range s.Servers {
		if srv != master && srv.Running() {
			replicas++
			info, err := srv.CLI("INFO", "replication")
			if err != nil || !strings.Contains(info, "master_port:"+strconv.Itoa(master.Port)) || !strings.Contains(info, "master_link_status:up") {
				return fmt.Sprintf("replica %s not in sync with %s: %v %q", srv.Addr, master.Addr, err, info)
			}
		}
	}
	for _, sn := range s.Sentinels {
		if sn.Running() {
			sentinels++
		}
	}
	for _, sn := range s.Sentinels {
		if !sn.Running() {
			continue
		}
		out, err := sn.CLI("SENTINEL", "master", s.MasterSet)
		if err != nil {
			return fmt.Sprintf("sentinel %s: %v %s", sn.Addr, err, out)
		}
		f := strings.Split(out, "\n")
		fields := map[string]string{}
		for i := 0; i+1 < len(f); i += 2 {
			fields[strings.TrimSpace(f[i])] = strings.TrimSpace(f[i+1])
		}
		if fields["port"] != strconv.Itoa(master.Port) || strings.Contains(fields["flags"], "down") {
			return fmt.Sprintf("sentinel %s sees master %s:%s flags %s", sn.Addr, fields["ip"], fields["port"], fields["flags"])
		}
		if n, _ := strconv.Atoi(fields["num-slaves"]); n < replicas {
			return fmt.Sprintf("sentinel %s sees %d replicas, want %d", sn.Addr, n, replicas)
		}
		if n, _ := strconv.Atoi(fields["num-other-sentinels"]); n < sentinels-1 {
			return fmt.Sprintf("sentinel %s sees %d other sentinels, want %d", sn.Addr, n, sentinels-1)
		}
	}
	return ""
}

// Failover asks a sentinel for a failover (SENTINEL FAILOVER) and waits
// until the sentinels name another master; it returns it.
func (s *Sentinel) Failover(timeout time.Duration) *Server {
	s.t.Helper()
	old := s.Master()
	if old == nil {
		s.t.Fatal("redistest: no sentinel names a master")
	}
	for _, sn := range s.Sentinels {
		if sn.Running() {
			if out, err := sn.CLI("SENTINEL", "FAILOVER", s.MasterSet); err != nil || out != "OK" {
				s.t.Fatalf("redistest: SENTINEL FAILOVER on %s: %v %q", sn.Addr, err, out)
			}
			break
		}
	}
	return s.WaitNewMaster(old, timeout)
}

// WaitNewMaster waits until every running sentinel names a master other
// than old, which then answers as a master; it returns it.
func (s *Sentinel) WaitNewMaster(old *Server, timeout time.Duration) *Server {
	s.t.Helper()
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		m := s.Master()
		if m == nil || m == old {
			continue
		}
		agree := true
		for _, sn := range s.Sentinels {
			if !sn.Running() {
				continue
			}
			out, err := sn.CLI("SENTINEL", "get-master-addr-by-name", s.MasterSet)
			agree = agree && err == nil && strings.HasSuffix(strings.TrimSpace(out), strconv.Itoa(m.Port))
		}
		if info, err := m.CLI("INFO", "replication"); agree && err == nil && strings.Contains(info, "role:master") {
			return m
		}
	}
	s.t.Fatalf("redistest: no new master within %v (old %s)", timeout, old.Addr)
	return nil
}
