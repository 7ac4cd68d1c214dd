package redistest

import (
	"bytes"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Proxy forwards TCP connections to a server and injects network faults
// into them: into the connections open when a fault is set and into those
// made after. Point a client at Addr.
type Proxy struct {
	ln     net.Listener
	target string

	latency   atomic.Int64 // ns added before each chunk, both ways
	bandwidth atomic.Int64 // server -> client bytes per second; 0: unlimited
	halfOpen  atomic.Bool  // replies dropped, connections kept open
	blackHole atomic.Bool  // nothing forwarded either way
	trigger   atomic.Pointer[cutTrigger]
	cuts      atomic.Int32

	mu    sync.Mutex
	conns []net.Conn
}

// StartProxy starts a proxy to target ("host:port"), closed by t.Cleanup.
func StartProxy(t testing.TB, target string) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("redistest: proxy listen: %v", err)
	}
	p := &Proxy{ln: ln, target: target}
	go p.serve()
	t.Cleanup(func() {
		ln.Close()
		p.Reset()
	})
	return p
}

// Addr is the address clients connect to.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// SetLatency delays every chunk, both ways, by d (0: none).
func (p *Proxy) SetLatency(d time.Duration) { p.latency.Store(int64(d)) }

// SetBandwidth limits replies to bytesPerSecond (0: unlimited).
func (p *Proxy) SetBandwidth(bytesPerSecond int64) { p.bandwidth.Store(bytesPerSecond) }

// HalfOpen drops every reply while on, and keeps the connections open:
// the client's commands reach the server, nothing comes back. Replies
// dropped leave a connection out of step with its client: Reset before
// turning it off.
func (p *Proxy) HalfOpen(on bool) { p.halfOpen.Store(on) }

// BlackHole forwards nothing either way while on; connections stay open.
func (p *Proxy) BlackHole(on bool) { p.blackHole.Store(on) }

// Reset closes every connection, in the middle of a reply or not.
func (p *Proxy) Reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// cutTrigger is a pending CutAfter.
type cutTrigger struct {
	cmd []byte          // upper case
	cut <-chan struct{} // nil: 200 ms after the command
}

// CutAfter makes the next client chunk holding cmd (e.g. "SPOP") reach the
// server, then swallows every reply and cuts the connection 200 ms later:
// the server executed the command, the client never learns its outcome.
func (p *Proxy) CutAfter(cmd string) { p.CutAfterUntil(cmd, nil) }

// CutAfterUntil is CutAfter with the cut made when cut is closed, so a
// test can act while the command has run and its client still waits for
// the reply.
func (p *Proxy) CutAfterUntil(cmd string, cut <-chan struct{}) {
	p.trigger.Store(&cutTrigger{cmd: []byte(strings.ToUpper(cmd)), cut: cut})
}

// Cuts is how many connections CutAfter has cut.
func (p *Proxy) Cuts() int { return int(p.cuts.Load()) }

func (p *Proxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		s, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, c, s)
		p.mu.Unlock()
		var swallow atomic.Bool // after a CutAfter command
		go p.pipe(s, c, func(chunk []byte) bool {
			if swallow.Load() || p.halfOpen.Load() || p.blackHole.Load() {
				return false
			}
			if bps := p.bandwidth.Load(); bps > 0 {
				time.Sleep(time.Duration(int64(len(chunk)) * int64(time.Second) / bps))
			}
			return true
		})
		go p.pipe(c, s, func(chunk []byte) bool {
			if swallow.Load() || p.blackHole.Load() {
				return false
			}
			if trig := p.trigger.Load(); trig != nil && bytes.Contains(bytes.ToUpper(chunk), trig.cmd) &&
				p.trigger.CompareAndSwap(trig, nil) {
				swallow.Store(true) // before the server can answer
				_, _ = s.Write(chunk)
				go func() {
					// It executes, its reply is swallowed.
					if trig.cut != nil {
						<-trig.cut
					} else {
						time.Sleep(200 * time.Millisecond)
					}
					p.cuts.Add(1) // before the close a test may be waiting for
					c.Close()
					s.Close()
				}()
				return false
			}
			return true
		})
	}
}

// pipe copies from src to dst the chunks that pass, after the latency.
func (p *Proxy) pipe(src, dst net.Conn, pass func([]byte) bool) {
	defer dst.Close()
	buf := make([]byte, 64<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 && pass(buf[:n]) {
			if d := time.Duration(p.latency.Load()); d > 0 {
				time.Sleep(d)
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}
