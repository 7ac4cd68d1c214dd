package runtime_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/setgen/setgen/internal/redistest"
	"github.com/setgen/setgen/runtime"
)

// The linearizability check: concurrent Add, Remove, Contains and Size on
// a few sets of a few members, under connection resets and SIGKILL
// restarts (appendfsync always), checked with porcupine against a model
// of a set. A call that failed may or may not have been applied: it is
// given no return time (it may take effect at any point after its call,
// or never, which at the end of the history is the same), and its result
// is not checked; a failed read is dropped. Writes run with
// Options.LinearizableWrites (see opts below), so a write that succeeded
// was applied once and its count (1 when it changed the set) is checked
// too; one run without it is a control that logs what it saw, and checks
// only what reads see (a write sent again counts what its last attempt
// changed).

const (
	linKeys    = 4
	linMembers = 4
)

type linInput struct {
	key, member int
	op          string // "add", "remove", "contains", "size"
}

type linOutput struct {
	ok      bool
	n       int64
	maybe   bool // the call failed: maybe applied, result unknown
	counted bool // a write whose count n is checked
}

var linModel = porcupine.Model{
	Partition: func(history []porcupine.Operation) [][]porcupine.Operation {
		parts := make([][]porcupine.Operation, linKeys)
		for _, op := range history {
			k := op.Input.(linInput).key
			parts[k] = append(parts[k], op)
		}
		return parts
	},
	Init: func() any { return uint8(0) },
	Step: func(state, input, output any) (bool, any) {
		s, in, out := state.(uint8), input.(linInput), output.(linOutput)
		bit := uint8(1) << in.member
		switch in.op {
		case "add":
			return !out.counted || out.n == b2i(s&bit == 0), s | bit
		case "remove":
			return !out.counted || out.n == b2i(s&bit != 0), s &^ bit
		case "contains":
			return out.ok == (s&bit != 0), s
		default:
			return out.n == int64(bits.OnesCount8(s)), s
		}
	},
	DescribeOperation: func(input, output any) string {
		in, out := input.(linInput), output.(linOutput)
		return fmt.Sprintf("%s(k%d,m%d) -> %v/%d maybe=%v", in.op, in.key, in.member, out.ok, out.n, out.maybe)
	},
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// linHistory records operations from several goroutines.
type linHistory struct {
	mu  sync.Mutex
	ops []porcupine.Operation
	t0  time.Time
	// counts
	ok, failed int
	counts     bool // check the counts of writes that succeeded
}

func (h *linHistory) record(client int, in linInput, call time.Time, out linOutput, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	ret := time.Since(h.t0).Nanoseconds()
	if err != nil {
		h.failed++
		if in.op == "contains" || in.op == "size" {
			return // a failed read tells nothing
		}
		out.maybe, ret = true, math.MaxInt64
	} else {
		h.ok++
		out.counted = h.counts && (in.op == "add" || in.op == "remove")
	}
	h.ops = append(h.ops, porcupine.Operation{ClientId: client, Input: in, Call: call.Sub(h.t0).Nanoseconds(), Output: out, Return: ret})
}

// runLinearizable runs workers goroutines of random operations for d,
// each on the sets sets(worker) gives it, while faults run, checks the
// history (with the counts of writes when counts) and returns the
// verdict; it fails the test only when no call succeeded.
func runLinearizable(t *testing.T, workers int, d, callTimeout time.Duration, counts bool, sets func(worker int) []*runtime.Set[string], faults func(stop <-chan struct{})) porcupine.CheckResult {
	t.Helper()
	h := &linHistory{t0: time.Now(), counts: counts}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range workers {
		ss := sets(w)
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), uint64(time.Now().UnixNano())))
			for {
				select {
				case <-stop:
					return
				default:
				}
				in := linInput{key: rng.IntN(linKeys), member: rng.IntN(linMembers), op: [...]string{"add", "remove", "contains", "contains", "size"}[rng.IntN(5)]}
				s, m := ss[in.key], "m"+strconv.Itoa(in.member)
				ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
				call := time.Now()
				var out linOutput
				var err error
				switch in.op {
				case "add":
					out.n, err = s.Add(ctx, m)
				case "remove":
					out.n, err = s.Remove(ctx, m)
				case "contains":
					out.ok, err = s.Contains(ctx, m)
				default:
					out.n, err = s.Size(ctx)
				}
				cancel()
				h.record(w, in, call, out, err)
				if err != nil {
					// A server down fails calls at once: pace them, so the
					// history does not fill with maybe-applied writes.
					time.Sleep(20 * time.Millisecond)
				}
			}
		})
	}
	faultsDone := make(chan struct{})
	go func() { defer close(faultsDone); faults(stop) }()
	time.Sleep(d)
	close(stop)
	wg.Wait()
	<-faultsDone
	start := time.Now()
	res := porcupine.CheckOperationsTimeout(linModel, h.ops, 60*time.Second)
	t.Logf("%d operations (%d failed, kept as maybe applied when writes), checked in %v: %s",
		len(h.ops), h.failed, time.Since(start).Round(time.Millisecond), res)
	if res == porcupine.Unknown {
		t.Log("the check timed out; nothing concluded")
	}
	if h.ok == 0 {
		t.Fatal("no call succeeded")
	}
	return res
}

// requireLinearizable fails the test on a history that is not.
func requireLinearizable(t *testing.T, res porcupine.CheckResult) {
	t.Helper()
	if res == porcupine.Illegal {
		t.Fatal("the history is not linearizable")
	}
}

func TestLinearizable(t *testing.T) {
	srv := redistest.Start(t, redistest.Config{Persist: true, Args: []string{"--appendonly", "yes", "--appendfsync", "always"}})
	// LinearizableWrites: a write whose reply was lost is not sent again.
	// Sent again, it can be applied twice, and an opposite write by
	// another client between the two (an SADD between an SREM and its
	// retry) makes the history not linearizable: make test found such a
	// history once in six managers under resets with the default
	// at-least-once writes (the control below). Writes that certainly did
	// not run, and reads, are still retried, so the check also covers the
	// retries that LinearizableWrites keeps.
	opts := func(o *runtime.Options) {
		o.LinearizableWrites = true
		o.RetryMaxAttempts, o.RetryBaseDelay, o.RetryMaxDelay = 3, 5*time.Millisecond, 50*time.Millisecond
		o.BreakerThreshold, o.BreakerTimeout = 1000, 100*time.Millisecond
		o.CallTimeout, o.DialTimeout = time.Second, 500*time.Millisecond
	}
	keys := func(cm *runtime.ConnectionManager, prefix string) []*runtime.Set[string] {
		out := make([]*runtime.Set[string], linKeys)
		for k := range out {
			out[k] = runtime.NewSet[string](cm, "test.StrSet", prefix+strconv.Itoa(k), strCodec{})
		}
		return out
	}
	kill := func(at time.Duration) func(stop <-chan struct{}) {
		return func(stop <-chan struct{}) {
			select {
			case <-stop:
				return
			case <-time.After(at):
			}
			srv.Kill()
			time.Sleep(500 * time.Millisecond) // down for longer than the retries last
			srv.Restart()
		}
	}

	t.Run("one manager, cached", func(t *testing.T) {
		cm := newManager(t, srv, opts)
		ss := keys(cm, "lin:shared:")
		requireLinearizable(t, runLinearizable(t, 6, 4*time.Second, 2*time.Second, true, func(int) []*runtime.Set[string] { return ss }, kill(1500*time.Millisecond)))
	})
	// Six managers, each its own connection through a proxy that cuts
	// every connection every 700 ms, and one SIGKILL restart.
	resets := func(t *testing.T, prefix string, counts bool, mod func(*runtime.Options)) porcupine.CheckResult {
		p := redistest.StartProxy(t, srv.Addr)
		managers := make([]*runtime.ConnectionManager, 6)
		for i := range managers {
			managers[i] = newManager(t, &redistest.Server{Addr: p.Addr()}, func(o *runtime.Options) { opts(o); o.DisableCache = true; mod(o) })
		}
		faults := func(stop <-chan struct{}) {
			tick := time.NewTicker(700 * time.Millisecond)
			defer tick.Stop()
			killed := false
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				case <-tick.C:
				}
				if i == 2 && !killed {
					killed = true
					srv.Kill()
					time.Sleep(500 * time.Millisecond)
					srv.Restart()
					continue
				}
				p.Reset() // every connection cut, mid-reply or not
			}
		}
		return runLinearizable(t, 6, 4*time.Second, 2*time.Second, counts, func(w int) []*runtime.Set[string] { return keys(managers[w], prefix) }, faults)
	}
	t.Run("separate managers, uncached, resets", func(t *testing.T) {
		requireLinearizable(t, resets(t, "lin:separate:", true, func(*runtime.Options) {}))
	})
	// The control: the default at-least-once writes, sent again after a
	// lost reply. Whether a write is applied twice around another
	// client's opposite write depends on timing; the run logs what it saw.
	t.Run("separate managers, uncached, resets, at-least-once writes", func(t *testing.T) {
		res := resets(t, "lin:atleastonce:", false, func(o *runtime.Options) { o.LinearizableWrites = false })
		t.Logf("control: with writes sent again after a lost reply the history is %s (not linearizable is possible; see Options.LinearizableWrites)", res)
	})
	// Replies held back past the call's timeout, then delivered: the
	// suspected cause of a non-linearizable history seen once with
	// another harness (a late reply taken for a retry's). On one TCP
	// connection a late reply can only be the late command's: rueidis
	// matches replies in order, and a retry on a new connection has a
	// server connection of its own.
	t.Run("separate managers, uncached, late replies", func(t *testing.T) {
		p := redistest.StartProxy(t, srv.Addr)
		managers := make([]*runtime.ConnectionManager, 6)
		for i := range managers {
			managers[i] = newManager(t, &redistest.Server{Addr: p.Addr()}, func(o *runtime.Options) {
				opts(o)
				o.DisableCache = true
			})
		}
		faults := func(stop <-chan struct{}) {
			for {
				select {
				case <-stop:
					p.SetLatency(0)
					return
				case <-time.After(400 * time.Millisecond):
				}
				p.SetLatency(250 * time.Millisecond) // each way: calls time out, their replies come later
				time.Sleep(300 * time.Millisecond)
				p.SetLatency(0)
			}
		}
		// Calls give up after 100 ms; replies come 500 ms after their command
		// while the latency is on.
		requireLinearizable(t, runLinearizable(t, 6, 4*time.Second, 100*time.Millisecond, true, func(w int) []*runtime.Set[string] { return keys(managers[w], "lin:late:") }, faults))
	})
}

// TestRetriedWriteAroundAnotherClientsWrite replays, step by step, the
// history that makes retried writes not linearizable, with each ordering
// forced (no timing involved): client A's Remove reaches the server and
// runs, its reply is held back; client B sees the member gone and adds it
// back, acknowledged; then A's connection is cut. By default A sends its
// Remove again, which removes B's acknowledged member. With
// LinearizableWrites it does not: A's call fails with ErrOutcomeUnknown
// and B's member stays.
func TestRetriedWriteAroundAnotherClientsWrite(t *testing.T) {
	srv := redistest.Start(t, redistest.Config{})
	p := redistest.StartProxy(t, srv.Addr)
	ctx := ctxT(t)
	for _, linearizable := range []bool{false, true} {
		t.Run(fmt.Sprintf("LinearizableWrites=%v", linearizable), func(t *testing.T) {
			key := fmt.Sprintf("around:%v", linearizable)
			a := runtime.NewSet[string](newManager(t, &redistest.Server{Addr: p.Addr()}, func(o *runtime.Options) {
				o.LinearizableWrites = linearizable
				// A's reply is held until the test cuts the connection:
				// nothing may time out before that, however slow the machine.
				o.CallTimeout = time.Minute
			}), "test.StrSet", key, strCodec{})
			b := runtime.NewSet[string](newManager(t, srv, nil), "test.StrSet", key, strCodec{})
			if n, err := b.Add(ctx, "x"); err != nil || n != 1 {
				t.Fatalf("B: Add = %d, %v", n, err)
			}
			isMember := func() string {
				out, err := srv.CLI("SISMEMBER", key, "x")
				if err != nil {
					t.Fatalf("SISMEMBER: %v %s", err, out)
				}
				return out
			}
			srems := cmdCalls(t, srv, "srem")

			cut := make(chan struct{})
			p.CutAfterUntil("SREM", cut)
			type result struct {
				n   int64
				err error
			}
			done := make(chan result, 1)
			go func() {
				n, err := a.Remove(ctx, "x")
				done <- result{n, err}
			}()
			for isMember() != "0" { // A's Remove has run; its reply is held
				select {
				case r := <-done:
					t.Fatalf("A: Remove returned %d, %v before it ran on the server", r.n, r.err)
				case <-ctx.Done():
					t.Fatal("A's SREM never reached the server")
				case <-time.After(time.Millisecond):
				}
			}
			if n, err := b.Add(ctx, "x"); err != nil || n != 1 {
				t.Fatalf("B: Add after A's Remove ran = %d, %v; want 1, acknowledged", n, err)
			}
			close(cut)
			r := <-done
			after, ran := isMember(), cmdCalls(t, srv, "srem")-srems
			t.Logf("A: Remove = %d, %v; SREM ran %d time(s); B's member there after: %s", r.n, r.err, ran, after)

			if !linearizable {
				// The documented default (at least once): the Remove is sent
				// again, and the member B added after it ran is gone.
				if r.err != nil || ran != 2 || after != "0" {
					t.Fatalf("default: Remove = %d, %v, SREM ran %d times, member %s; want a retried Remove (nil, 2 runs) that removed B's member", r.n, r.err, ran, after)
				}
				return
			}
			if !errors.Is(r.err, runtime.ErrOutcomeUnknown) || !strings.Contains(r.err.Error(), "test.StrSet("+key+").Remove: ") || r.n != 0 {
				t.Fatalf("Remove = %d, %v; want 0 and an error naming the call, wrapping ErrOutcomeUnknown", r.n, r.err)
			}
			if ran != 1 || after != "1" {
				t.Fatalf("SREM ran %d times, B's member there: %s; want 1 run and B's member kept", ran, after)
			}
		})
	}
}

// TestLinModel: the model accepts a right sequential history and rejects
// wrong reads and, when counted, wrong write counts (so the check above
// can fail).
func TestLinModel(t *testing.T) {
	op := func(i int, in linInput, out linOutput) porcupine.Operation {
		return porcupine.Operation{ClientId: 0, Input: in, Output: out, Call: int64(2 * i), Return: int64(2*i + 1)}
	}
	add, remove := linInput{op: "add"}, linInput{op: "remove"}
	contains, size := linInput{op: "contains"}, linInput{op: "size"}
	cases := []struct {
		name string
		outs []linOutput
		ins  []linInput
		want porcupine.CheckResult
	}{
		{"right", []linOutput{{n: 1, counted: true}, {n: 0, counted: true}, {ok: true}, {n: 1}, {n: 1, counted: true}, {ok: false}},
			[]linInput{add, add, contains, size, remove, contains}, porcupine.Ok},
		{"count of a write applied twice", []linOutput{{n: 1, counted: true}, {n: 1, counted: true}},
			[]linInput{add, add}, porcupine.Illegal},
		{"uncounted", []linOutput{{n: 1}, {n: 1}}, []linInput{add, add}, porcupine.Ok},
		{"stale read", []linOutput{{n: 1, counted: true}, {n: 1, counted: true}, {ok: true}},
			[]linInput{add, remove, contains}, porcupine.Illegal},
		{"wrong size", []linOutput{{n: 1}, {n: 2}}, []linInput{add, size}, porcupine.Illegal},
	}
	for _, c := range cases {
		var h []porcupine.Operation
		for i := range c.ins {
			h = append(h, op(i, c.ins[i], c.outs[i]))
		}
		if got := porcupine.CheckOperations(linModel, h); got != (c.want == porcupine.Ok) {
			t.Errorf("%s: linearizable = %v, want %v", c.name, got, c.want)
		}
	}
}
