package testtypes_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/setgen/setgen/internal/redistest"
	"github.com/setgen/setgen/internal/testtypes"
	"github.com/setgen/setgen/runtime"
	"github.com/setgen/setgen/runtime/codec"
)

// python finds a Python 3 with the msgpack and redis modules (Debian's
// python3-msgpack and python3-redis, which make test installs).
func python(t *testing.T) string {
	t.Helper()
	var tried []string
	for _, p := range []string{"/usr/bin/python3", "python3"} {
		path, err := exec.LookPath(p)
		if err != nil {
			continue
		}
		if out, err := exec.Command(path, "-c", "import msgpack, redis").CombinedOutput(); err != nil {
			tried = append(tried, path+": "+strings.TrimSpace(string(out)))
			continue
		}
		return path
	}
	t.Fatalf("no python3 with the msgpack and redis modules (apt-get install python3-msgpack python3-redis; make test does): %v", tried)
	return ""
}

// TestPythonInterop runs the README's Python snippet against a real
// server: members it writes are found by Contains and read by Members,
// setgen's members are read by msgpack.unpackb and re-encoded by the
// snippet to the same bytes, and what msgpack.packb writes by itself (keys
// in declaration order) is reported, never taken for a member.
func TestPythonInterop(t *testing.T) {
	if testing.Short() {
		t.Skip("starts redis-server and python3")
	}
	py := python(t)
	srv := redistest.Start(t, redistest.Config{})
	cm, err := runtime.NewConnectionManager(runtime.Options{Addrs: []string{srv.Addr}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cm.Close)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	goUsers := testtypes.NewUserSet(cm, "go:users")
	carol := testtypes.User{ID: "go-carol", Name: "Carol", Joined: time.Date(2025, 3, 4, 5, 6, 7, 1890, time.UTC), Scores: map[string]int{"b": -300, "a": 70000}}
	dave := testtypes.User{ID: "go-dave"}
	if _, err := goUsers.Add(ctx, carol, dave); err != nil {
		t.Fatal(err)
	}
	_, port, _ := strings.Cut(srv.Addr, ":")
	cmd := exec.CommandContext(ctx, py, filepath.Join("testdata", "canonical.py"), port)
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("canonical.py: %v\n%s", err, ee.Stderr)
		}
		t.Fatal(err)
	}

	// Python read what setgen wrote.
	var read []map[string]any
	if err := json.Unmarshal(out, &read); err != nil {
		t.Fatalf("canonical.py printed %q: %v", out, err)
	}
	if len(read) != 2 || read[0]["id"] != "go-carol" || read[0]["name"] != "Carol" || !strings.HasPrefix(fmt.Sprint(read[0]["joined"]), "2025-03-04T05:06:07.00000") ||
		read[1]["id"] != "go-dave" || len(read[1]) != 1 {
		t.Fatalf("Python read %v", read)
	}
	if s := read[0]["scores"].(map[string]any); s["a"] != 70000.0 || s["b"] != -300.0 {
		t.Fatalf("Python read scores %v", s)
	}

	// setgen finds and reads what Python wrote.
	pyUsers := testtypes.NewUserSet(cm, "py:users")
	ann := testtypes.User{ID: "py-ann", Name: "Ann", Joined: time.Date(2026, 12, 2, 9, 30, 0, 0, time.FixedZone("CET", 3600)).Add(time.Hour),
		Scores: map[string]int{"go": 9, "redis": 8, "zero": 0}}
	bob := testtypes.User{ID: "py-bob"}
	got, err := pyUsers.ContainsMany(ctx, ann, bob, carol)
	if err != nil || !got[0] || !got[1] || got[2] {
		t.Fatalf("ContainsMany(Python's members, Carol) = %v, %v", got, err)
	}
	ms, err := pyUsers.Members(ctx)
	if err != nil || len(ms) != 2 {
		t.Fatalf("Members of Python's set = %v, %v", ms, err)
	}
	// Adding the same values from Go adds nothing: one encoding per value.
	if n, err := pyUsers.Add(ctx, ann, bob); err != nil || n != 0 {
		t.Fatalf("Add of Python's members from Go = %d, %v; want 0", n, err)
	}

	// A member packed in declaration order is an error, not a duplicate.
	bad := testtypes.NewUserSet(cm, "py:bad")
	ms, err = bad.Members(ctx)
	if !errors.Is(err, runtime.ErrDecode) || len(ms) != 0 || !strings.Contains(err.Error(), "out of order") {
		t.Fatalf("Members of a non-canonical member = %v, %v", ms, err)
	}
}

// TestReadmeQuotesTheTestedSnippet: the README's Python code is the code
// this test runs.
func TestReadmeQuotesTheTestedSnippet(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("testdata", "canonical.py"))
	if err != nil {
		t.Fatal(err)
	}
	const begin, end = "# --- canonical: this block is quoted in the README ---\n", "# --- end canonical ---"
	s := string(src)
	i, j := strings.Index(s, begin), strings.Index(s, end)
	if i < 0 || j < i {
		t.Fatal("canonical.py lacks its markers")
	}
	snippet := s[i+len(begin) : j]
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), snippet) {
		t.Fatalf("README.md does not quote testdata/canonical.py's canonical block:\n%s", snippet)
	}
}

// TestDecimalElementsAreIntset: a set of a named integer type is stored
// as decimal text, which redis-cli reads and writes and which Redis keeps
// as an intset while it is small. It logs the memory per member against
// the same integers stored as MessagePack.
func TestDecimalElementsAreIntset(t *testing.T) {
	if testing.Short() {
		t.Skip("starts redis-server")
	}
	srv := redistest.Start(t, redistest.Config{})
	cm, err := runtime.NewConnectionManager(runtime.Options{Addrs: []string{srv.Addr}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cm.Close)
	ctx := context.Background()
	ids := testtypes.NewNumSet(cm, "ids")
	nums := make([]testtypes.Num, 500)
	for i := range nums {
		nums[i] = testtypes.Num(i*7919 - 1_000_000)
	}
	if n, err := ids.Add(ctx, nums...); err != nil || n != 500 {
		t.Fatalf("Add = %d, %v", n, err)
	}
	if out, err := srv.CLI("OBJECT", "ENCODING", "ids"); err != nil || out != "intset" {
		t.Fatalf("OBJECT ENCODING ids = %q, %v; want intset", out, err)
	}
	// redis-cli writes what setgen reads, and reads what it writes.
	if out, err := srv.CLI("SADD", "ids", "42"); err != nil || out != "1" {
		t.Fatalf("redis-cli SADD ids 42 = %q, %v", out, err)
	}
	if ok, err := ids.Contains(ctx, 42); err != nil || !ok {
		t.Fatalf("Contains(42) after redis-cli SADD = %v, %v", ok, err)
	}
	if out, err := srv.CLI("SISMEMBER", "ids", "-1000000"); err != nil || out != "1" {
		t.Fatalf("redis-cli SISMEMBER ids -1000000 = %q, %v", out, err)
	}
	// The same integers as MessagePack, for comparison.
	c := cm.Client()
	packed := make([]string, len(nums))
	for i, n := range nums {
		packed[i] = string(codec.AppendInt(nil, int64(n)))
	}
	if err := c.Do(ctx, c.B().Sadd().Key("packed").Member(packed...).Build()).Error(); err != nil {
		t.Fatal(err)
	}
	usage := func(key string) int64 {
		n, err := c.Do(ctx, c.B().MemoryUsage().Key(key).Samples(0).Build()).AsInt64()
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	enc, _ := srv.CLI("OBJECT", "ENCODING", "packed")
	t.Logf("500 int64 members: decimal text %d B (%.1f B/member, intset), MessagePack %d B (%.1f B/member, %s)",
		usage("ids"), float64(usage("ids"))/501, usage("packed"), float64(usage("packed"))/500, enc)
}
