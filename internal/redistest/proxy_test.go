package redistest

import (
	"bufio"
	"net"
	"strings"
	"testing"
	"time"
)

// TestProxyFaults checks each fault of the proxy on a raw connection to a
// real server: the lower bounds of latency and bandwidth, replies that never
// come (half-open, black hole) while the command does or does not reach the
// server, and a reset.
func TestProxyFaults(t *testing.T) {
	srv := Start(t, Config{})
	p := StartProxy(t, srv.Addr)
	dial := func() (net.Conn, *bufio.Reader) {
		c, err := net.Dial("tcp", p.Addr())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c, bufio.NewReader(c)
	}
	send := func(c net.Conn, cmd string) {
		if _, err := c.Write([]byte(cmd + "\r\n")); err != nil {
			t.Fatal(err)
		}
	}
	reply := func(c net.Conn, r *bufio.Reader, within time.Duration) (string, error) {
		_ = c.SetReadDeadline(time.Now().Add(within))
		line, err := r.ReadString('\n')
		return strings.TrimSpace(line), err
	}
	calls := func(cmd string) string {
		out, _ := srv.CLI("INFO", "commandstats")
		for line := range strings.Lines(out) {
			if strings.HasPrefix(line, "cmdstat_"+cmd+":") {
				v, _, _ := strings.Cut(strings.TrimPrefix(line, "cmdstat_"+cmd+":calls="), ",")
				return v
			}
		}
		return "0"
	}

	c, r := dial()
	send(c, "PING")
	if got, err := reply(c, r, time.Second); err != nil || got != "+PONG" {
		t.Fatalf("through the proxy: %q, %v", got, err)
	}

	p.SetLatency(50 * time.Millisecond)
	start := time.Now()
	send(c, "PING")
	if got, err := reply(c, r, 5*time.Second); err != nil || got != "+PONG" || time.Since(start) < 100*time.Millisecond {
		t.Fatalf("with 50 ms latency each way: %q, %v after %v", got, err, time.Since(start))
	}
	p.SetLatency(0)

	p.SetBandwidth(1000) // bytes per second
	start = time.Now()
	send(c, "ECHO "+strings.Repeat("x", 500))
	if _, err := reply(c, r, 5*time.Second); err != nil || time.Since(start) < 500*time.Millisecond {
		t.Fatalf("a 500-byte reply at 1,000 B/s: %v after %v", err, time.Since(start))
	}
	_, _ = r.ReadString('\n') // the bulk string's data line
	p.SetBandwidth(0)

	p.HalfOpen(true)
	before := calls("get")
	send(c, "GET k")
	if got, err := reply(c, r, 300*time.Millisecond); err == nil {
		t.Fatalf("half-open: a reply came through: %q", got)
	}
	if after := calls("get"); after == before {
		t.Fatal("half-open: the command did not reach the server")
	}
	p.HalfOpen(false)

	c2, r2 := dial() // a fresh connection
	p.BlackHole(true)
	before = calls("strlen")
	send(c2, "STRLEN k")
	if got, err := reply(c2, r2, 300*time.Millisecond); err == nil {
		t.Fatalf("black hole: a reply came through: %q", got)
	}
	if after := calls("strlen"); after != before {
		t.Fatal("black hole: the command reached the server")
	}
	p.BlackHole(false)

	p.Reset()
	if _, err := reply(c2, r2, time.Second); err == nil || strings.Contains(err.Error(), "timeout") {
		t.Fatalf("after Reset the connection should be closed, got %v", err)
	}
	c3, r3 := dial()
	send(c3, "PING")
	if got, err := reply(c3, r3, time.Second); err != nil || got != "+PONG" {
		t.Fatalf("a new connection after Reset: %q, %v", got, err)
	}

	// CutAfterUntil: the command runs, no reply comes, and the connection
	// stays open until the test closes cut.
	cut := make(chan struct{})
	p.CutAfterUntil("incr", cut)
	send(c3, "INCR cutcount")
	if got, err := reply(c3, r3, 300*time.Millisecond); err == nil {
		t.Fatalf("CutAfterUntil: a reply came through: %q", got)
	} else if !strings.Contains(err.Error(), "timeout") {
		t.Fatalf("CutAfterUntil: the connection was cut before cut was closed: %v", err)
	}
	if v, err := srv.CLI("GET", "cutcount"); err != nil || v != "1" {
		t.Fatalf("CutAfterUntil: the command did not run once: %q, %v", v, err)
	}
	close(cut)
	if _, err := reply(c3, r3, time.Second); err == nil || strings.Contains(err.Error(), "timeout") {
		t.Fatalf("after cut was closed the connection should be closed, got %v", err)
	}
	if p.Cuts() != 1 {
		t.Fatalf("Cuts = %d, want 1", p.Cuts())
	}
}
