// Package redistest starts real redis-server processes for tests: on free
// loopback ports, in temporary directories, stopped by t.Cleanup. It never
// skips: a missing redis-server fails the test with a message saying that
// `make test` installs it.
package redistest

import (
	"bufio"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Config describes a server to start.
type Config struct {
	// Args are extra redis-server arguments, e.g. "--appendonly", "yes".
	Args []string
	// Persist keeps the default persistence (otherwise: no RDB, no AOF
	// unless Args ask for it).
	Persist bool
	// TLS serves TLS only (no plain port), with certificates made for the
	// test (see Server.Certs).
	TLS bool
	// RequireClientCert makes a TLS server demand a client certificate.
	RequireClientCert bool
	// Password sets requirepass for the default user.
	Password string
	// ACL lines (e.g. "user app on >secret ~app:* +@all") are written to an
	// ACL file the server loads.
	ACL []string
	// Sentinel, when set, runs the server as a sentinel (--sentinel) with
	// this configuration (sentinel monitor ... lines); see StartSentinel.
	Sentinel string
}

// Server is a running redis-server.
type Server struct {
	// Addr is "127.0.0.1:port".
	Addr string
	// Port is the listening port (the TLS port when TLS is on).
	Port int
	// Dir is the server's working directory (a test temp dir).
	Dir string
	// Certs are the TLS files, when TLS is on.
	Certs *Certs

	t    testing.TB
	cfg  Config
	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
}

// ServerEnv names the environment variable that picks the server binary
// the tests start: redis-server (the default) or a compatible one, e.g.
// SETGEN_TEST_SERVER=valkey-server (make test runs the integration suite
// with both).
const ServerEnv = "SETGEN_TEST_SERVER"

// ServerName returns the server binary the tests start.
func ServerName() string {
	if name := os.Getenv(ServerEnv); name != "" {
		return name
	}
	return "redis-server"
}

// Binary returns the path of the server binary (ServerName), or fails t
// with instructions.
func Binary(t testing.TB) string {
	t.Helper()
	name := ServerName()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s is not installed: run `make test`, which installs it (redis-server and valkey-server from Debian's packages): %v", name, err)
	}
	return p
}

// Start starts a server and registers its stop with t.Cleanup.
func Start(t testing.TB, cfg Config) *Server {
	t.Helper()
	SkipIfShort(t)
	Binary(t)
	s := &Server{t: t, cfg: cfg, Dir: t.TempDir()}
	if cfg.TLS {
		s.Certs = MakeCerts(t, s.Dir)
	}
	var err error
	for range 5 { // a free port can be taken between probe and bind
		s.Port = FreePort(t)
		s.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(s.Port))
		if err = s.start(); err == nil {
			t.Cleanup(s.Stop)
			return s
		}
	}
	t.Fatalf("redistest: start redis-server: %v", err)
	return nil
}

// FreePort returns a loopback TCP port that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("redistest: find a free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func (s *Server) args() []string {
	a := []string{"--bind", "127.0.0.1", "--dir", s.Dir, "--protected-mode", "no",
		"--logfile", filepath.Join(s.Dir, "redis.log"), "--daemonize", "no"}
	if s.cfg.Sentinel != "" {
		// A sentinel rewrites its configuration file: one of its own.
		conf := filepath.Join(s.Dir, "sentinel.conf")
		if err := os.WriteFile(conf, []byte(s.cfg.Sentinel), 0o600); err != nil {
			s.t.Fatalf("redistest: write sentinel.conf: %v", err)
		}
		return append([]string{conf, "--sentinel", "--port", strconv.Itoa(s.Port)}, a...)
	}
	if !s.cfg.Persist {
		a = append(a, "--save", "", "--appendonly", "no")
	}
	if s.cfg.TLS {
		auth := "no"
		if s.cfg.RequireClientCert {
			auth = "yes"
		}
		a = append(a, "--port", "0", "--tls-port", strconv.Itoa(s.Port),
			"--tls-cert-file", s.Certs.ServerCert, "--tls-key-file", s.Certs.ServerKey,
			"--tls-ca-cert-file", s.Certs.CA, "--tls-auth-clients", auth)
	} else {
		a = append(a, "--port", strconv.Itoa(s.Port))
	}
	if s.cfg.Password != "" {
		a = append(a, "--requirepass", s.cfg.Password)
	}
	if len(s.cfg.ACL) > 0 {
		f := filepath.Join(s.Dir, "users.acl")
		if err := os.WriteFile(f, []byte(strings.Join(s.cfg.ACL, "\n")+"\n"), 0o600); err != nil {
			s.t.Fatalf("redistest: write ACL file: %v", err)
		}
		a = append(a, "--aclfile", f)
	}
	return append(a, s.cfg.Args...)
}

func (s *Server) start() error { return s.startUntil(false) }

// startUntil starts the process and waits until it answers PING; with
// loading, an answer that it is still loading its dataset will do.
func (s *Server) startUntil(loading bool) error {
	cmd := exec.Command(Binary(s.t), s.args()...)
	cmd.Dir = s.Dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	s.mu.Lock()
	s.cmd, s.done = cmd, done
	s.mu.Unlock()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-done:
			return fmt.Errorf("redis-server exited at start: %s", s.logTail())
		default:
		}
		if err := s.ping(); err == nil || (loading && errors.Is(err, errLoading)) {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.Kill()
	return fmt.Errorf("redis-server did not answer within 10s: %s", s.logTail())
}

// ping sends PING over a raw connection and expects PONG (or NOAUTH, which
// also proves the server is up).
func (s *Server) ping() error {
	conn, err := net.DialTimeout("tcp", s.Addr, time.Second)
	if err != nil {
		return err
	}
	if s.cfg.TLS {
		tc := tls.Client(conn, s.Certs.ClientConfig(s.cfg.RequireClientCert))
		conn = tc
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(time.Second))
	if _, err := conn.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return err
	}
	if strings.HasPrefix(line, "+PONG") || strings.HasPrefix(line, "-NOAUTH") {
		return nil
	}
	if strings.HasPrefix(line, "-LOADING") {
		return errLoading
	}
	return fmt.Errorf("unexpected PING reply %q", line)
}

func (s *Server) logTail() string {
	b, _ := os.ReadFile(filepath.Join(s.Dir, "redis.log"))
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return strings.Join(lines[max(0, len(lines)-5):], " | ")
}

// Kill stops the server with SIGKILL, as a crash would, and waits for it.
func (s *Server) Kill() { s.signal(syscall.SIGKILL) }

// Stop stops the server with SIGTERM and waits for it (SIGKILL after 5s).
func (s *Server) Stop() { s.signal(syscall.SIGTERM) }

func (s *Server) signal(sig syscall.Signal) {
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.mu.Unlock()
	if cmd == nil || cmd.Process == nil {
		return
	}
	_ = cmd.Process.Signal(sig)
	if sig != syscall.SIGKILL {
		_ = cmd.Process.Signal(syscall.SIGCONT) // a paused server must see it
	}
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = cmd.Process.Kill()
		<-done
	}
}

// Pause stops the server process with SIGSTOP: its sockets stay open and
// connections are accepted by the kernel, but nothing answers, as with a
// hung or overloaded server. Resume (or Stop, Kill, Restart) ends it.
func (s *Server) Pause() { s.sendOnly(syscall.SIGSTOP) }

// Resume continues a paused server (SIGCONT).
func (s *Server) Resume() { s.sendOnly(syscall.SIGCONT) }

// PID returns the process id of the running server, or 0.
func (s *Server) PID() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil || s.cmd.Process == nil {
		return 0
	}
	return s.cmd.Process.Pid
}

func (s *Server) sendOnly(sig syscall.Signal) {
	s.mu.Lock()
	cmd := s.cmd
	s.mu.Unlock()
	if cmd != nil && cmd.Process != nil {
		_ = cmd.Process.Signal(sig)
	}
}

// Running reports whether the process is alive.
func (s *Server) Running() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done == nil {
		return false
	}
	select {
	case <-s.done:
		return false
	default:
		return true
	}
}

// Restart starts the server again on the same port and directory (so an
// AOF or RDB written before is loaded). It stops it first if needed.
func (s *Server) Restart() {
	s.t.Helper()
	if s.Running() {
		s.Stop()
	}
	var err error
	for range 50 { // the port may linger briefly after a kill
		if err = s.start(); err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.t.Fatalf("redistest: restart redis-server on %s: %v", s.Addr, err)
}

// StartForExample starts a throwaway server for an Example function, which
// has no *testing.T: on a free loopback port, in a temporary directory, no
// persistence. stop kills it and removes the directory. Examples that use
// it must be left out of -short runs (see SkipServerExamples).
func StartForExample() (addr string, stop func(), err error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	dir, err := os.MkdirTemp("", "setgen-example-")
	if err != nil {
		return "", nil, err
	}
	cmd := exec.Command(ServerName(), "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "",
		"--appendonly", "no", "--dir", dir, "--logfile", "")
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return "", nil, fmt.Errorf("%s is not installed (make test installs it): %w", ServerName(), err)
	}
	addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	stop = func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		_ = os.RemoveAll(dir)
	}
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			return addr, stop, nil
		}
	}
	stop()
	return "", nil, fmt.Errorf("%s did not start on %s", ServerName(), addr)
}

// SkipServerExamples, called by a package's TestMain after flag.Parse,
// leaves the Example functions matching pattern out of a -short run (an
// example cannot skip itself) with -test.skip, unless the run gave one.
func SkipServerExamples(pattern string) {
	if !testing.Short() {
		return
	}
	if f := flag.Lookup("test.skip"); f != nil && f.Value.String() == "" {
		_ = f.Value.Set(pattern)
	}
}

// RestartLoading is Restart, returning as soon as the server answers,
// while it may still be loading its dataset (answering LOADING).
func (s *Server) RestartLoading() {
	s.t.Helper()
	if s.Running() {
		s.Stop()
	}
	var err error
	for range 50 {
		if err = s.startUntil(true); err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.t.Fatalf("redistest: restart redis-server on %s: %v", s.Addr, err)
}

var errLoading = errors.New("the server is loading its dataset")

// Info returns the fields of one INFO section ("stats", "cpu", ...).
func (s *Server) Info(section string) (map[string]string, error) {
	out, err := s.CLI("INFO", section)
	if err != nil {
		return nil, fmt.Errorf("INFO %s on %s: %v: %s", section, s.Addr, err, out)
	}
	fields := map[string]string{}
	for line := range strings.Lines(out) {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), ":"); ok {
			fields[k] = v
		}
	}
	return fields, nil
}

// CPUTime returns the CPU time the server has used (INFO cpu:
// used_cpu_sys + used_cpu_user).
func (s *Server) CPUTime() (time.Duration, error) {
	f, err := s.Info("cpu")
	if err != nil {
		return 0, err
	}
	var total float64
	for _, k := range []string{"used_cpu_sys", "used_cpu_user"} {
		v, err := strconv.ParseFloat(f[k], 64)
		if err != nil {
			return 0, fmt.Errorf("INFO cpu on %s: %s = %q", s.Addr, k, f[k])
		}
		total += v
	}
	return time.Duration(total * float64(time.Second)), nil
}

// CLI runs redis-cli against the server and returns its trimmed output.
func (s *Server) CLI(args ...string) (string, error) {
	a := []string{"-h", "127.0.0.1", "-p", strconv.Itoa(s.Port)}
	if s.cfg.TLS {
		a = append(a, "--tls", "--cacert", s.Certs.CA, "--cert", s.Certs.ClientCert, "--key", s.Certs.ClientKey)
	}
	if s.cfg.Password != "" {
		a = append(a, "--no-auth-warning", "-a", s.cfg.Password)
	}
	out, err := exec.Command("redis-cli", append(a, args...)...).CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

// SkipIfShort skips t under go test -short: the fast tier (make
// test-short) runs the unit tests only. The full run (make test) never
// skips a test that needs a server; it starts one.
func SkipIfShort(t testing.TB) {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: this test starts redis-server")
	}
}
