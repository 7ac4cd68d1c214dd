package runtime

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"sync"
	"time"

	"github.com/redis/rueidis"
)

// Batching limits: a command carries at most batchSize members, so the
// server never spends long on one command, and one pipeline (DoMulti)
// carries at most pipelineSize commands, well under rueidis' threshold for
// moving a pipeline to a dedicated connection.
const (
	batchSize    = 1000
	pipelineSize = 256
	scanCount    = 10000
)

// TTL results that are not durations, as returned by Set.TTL.
const (
	// NoExpiry is returned by TTL for a key that exists and has no expiry.
	NoExpiry time.Duration = -1
	// NoKey is returned by TTL for a key that does not exist.
	NoKey time.Duration = -2

	maxDuration = time.Duration(1<<63 - 1)
)

// Set is the generic core behind every generated set type: a Redis set at
// one key whose members are values of T encoded by a Codec. Generated types
// are defined on it (type UserSet runtime.Set[User]) and only forward calls.
// A Set is safe for concurrent use. A nil *Set returns errors, never panics.
type Set[T any] struct {
	cm    *ConnectionManager
	codec Codec[T]
	name  string    // the generated type's name, for errors
	key   string    // the full key, prefix included
	bad   error     // why every call fails (bad construction), or nil
	bufs  sync.Pool // of *memberBuf[T]
}

// NewSet returns the set stored at key (Options.KeyPrefix is prepended).
// name is the type's name shown in errors, e.g. "users.UserSet". A nil
// manager or an empty key is reported by every call rather than a panic.
func NewSet[T any](cm *ConnectionManager, name, key string, codec Codec[T]) *Set[T] {
	s := &Set[T]{cm: cm, codec: codec, name: name}
	s.key, s.bad = checkNew(cm, key, codec)
	return s
}

// checkNew validates what a set is made of and returns its full key, or
// why every call of the set fails.
func checkNew[T any](cm *ConnectionManager, key string, codec Codec[T]) (string, error) {
	switch {
	case cm == nil:
		return key, invalidArg("nil ConnectionManager")
	case key == "":
		return key, invalidArg("empty key")
	case codec == nil:
		return key, invalidArg("nil codec")
	}
	return cm.key(key), nil
}

// Key returns the full key, prefix included.
func (s *Set[T]) Key() string {
	if s == nil {
		return ""
	}
	return s.key
}

// Manager returns the set's ConnectionManager.
func (s *Set[T]) Manager() *ConnectionManager {
	if s == nil {
		return nil
	}
	return s.cm
}

// begin starts a call of method name (its telemetry, when the manager has
// any); the method defers wrap with it.
func (s *Set[T]) begin(ctx context.Context, name string) op {
	if s == nil || s.cm == nil || s.cm.tel == nil {
		return op{name: name}
	}
	return s.cm.begin(ctx, s.name, name, setCommands[name])
}

// wrap ends the call o: it names the operation and the set in *err, if
// set, so every error a method returns says where it came from, and
// records the call's telemetry.
func (s *Set[T]) wrap(o op, err *error) {
	if s == nil {
		wrapOp(err, setName[T](), "", o.name)
		return
	}
	wrapOp(err, s.name, s.key, o.name)
	s.cm.end(&o, *err)
}

func (s *Set[T]) opErr(name string, err error) error {
	if s == nil {
		wrapOp(&err, setName[T](), "", name)
	} else {
		wrapOp(&err, s.name, s.key, name)
	}
	return err
}

// setCommands is the Redis command of each method, for spans.
var setCommands = map[string]string{
	"Add": "SADD", "Remove": "SREM", "Contains": "SISMEMBER", "ContainsMany": "SISMEMBER", "Members": "SSCAN",
	"All": "SSCAN", "Size": "SCARD", "Clear": "UNLINK", "Pop": "SPOP", "Random": "SRANDMEMBER", "Expire": "PEXPIRE",
	"TTL": "PTTL", "Union": "SUNION", "Intersect": "SINTER", "Diff": "SDIFF", "UnionStore": "SUNIONSTORE",
	"IntersectStore": "SINTERSTORE", "DiffStore": "SDIFFSTORE", "IntersectSize": "SINTERCARD", "Move": "SMOVE",
}

func (s *Set[T]) ready() error {
	if s == nil {
		return invalidArg("nil *%s", setName[T]())
	}
	return s.bad
}

func (s *Set[T]) b() rueidis.Builder { return s.cm.client.B() }

// decode decodes raw members, keeping those that decode and joining the
// errors of those that do not.
func (s *Set[T]) decode(raw []string) ([]T, error) {
	out, _, err := s.decodeSplit(raw)
	return out, err
}

// decodeSplit is decode that also returns the raw members that failed.
func (s *Set[T]) decodeSplit(raw []string) ([]T, []string, error) {
	out := make([]T, 0, len(raw))
	var (
		errs []error
		bad  []string
	)
	for _, r := range raw {
		var v T
		if err := s.decodeMember(r, &v); err != nil {
			errs = append(errs, newDecodeError(s.key, r, err))
			bad = append(bad, r)
			continue
		}
		out = append(out, v)
	}
	return out, bad, joinDecodeErrors(errs)
}

func joinDecodeErrors(errs []error) error {
	const shown = 5
	switch {
	case len(errs) == 0:
		return nil
	case len(errs) > shown:
		more := fmt.Errorf("%w: and %d more members that do not decode", ErrDecode, len(errs)-shown)
		return errors.Join(append(errs[:shown:shown], more)...)
	default:
		return errors.Join(errs...)
	}
}

// read runs one read-only command.
func (s *Set[T]) read(ctx context.Context, build func(b rueidis.Builder) rueidis.Completed) (rueidis.RedisResult, error) {
	var out rueidis.RedisResult
	err := s.cm.call(ctx, s.key, retrySafe, func(ctx context.Context) error {
		out = s.cm.client.Do(ctx, build(s.b()))
		return out.Error()
	})
	return out, err
}

// Add adds members and returns how many were not already present.
// Large inputs are sent in batches of 1000 in one pipeline.
func (s *Set[T]) Add(ctx context.Context, members ...T) (_ int64, err error) {
	defer s.wrap(s.begin(ctx, "Add"), &err)
	return s.addOrRemove(ctx, true, members)
}

// Remove removes members and returns how many were present.
func (s *Set[T]) Remove(ctx context.Context, members ...T) (_ int64, err error) {
	defer s.wrap(s.begin(ctx, "Remove"), &err)
	return s.addOrRemove(ctx, false, members)
}

func (s *Set[T]) addOrRemove(ctx context.Context, add bool, members []T) (int64, error) {
	if err := s.ready(); err != nil {
		return 0, err
	}
	return s.cm.writeOverlapped(ctx, s.key, len(members), batchSize,
		func(start, end int) ([]string, error) { return s.encodeAll(members[start:end], start) },
		func(ctx context.Context, enc []string, fence bool) (int64, error) {
			return s.cm.sendBatches(ctx, s.key, add, enc, fence)
		})
}

// writeOverlapped writes n members to key: encode(start, end) encodes
// members[start:end], send sends encoded members in batches and returns
// what the server counted. A large input is encoded overlapChunk members
// at a time, each chunk sent while the next is encoded (up to
// overlapWindow in flight), then fenced once at the end (see
// ConnectionManager); a small one is sent fenced. send batches by batch
// members (one command or script each). A write that stops after
// some batches were acknowledged returns their count and an error
// wrapping ErrPartial.
func (cm *ConnectionManager) writeOverlapped(ctx context.Context, key string, n, batch int,
	encode func(start, end int) ([]string, error),
	send func(ctx context.Context, enc []string, fence bool) (int64, error)) (int64, error) {
	if n == 0 {
		return 0, nil
	}
	if n <= overlapChunk {
		enc, err := encode(0, n)
		if err != nil {
			return 0, err
		}
		got, err := send(ctx, enc, true)
		if err != nil && n > batch { // several batches: some may have been applied
			err = partial(got, err)
		}
		return got, err
	}
	type sent struct {
		n   int64
		err error
	}
	var (
		total    int64
		inflight []chan sent
		failed   error
		sentAny  bool
	)
	wait := func() {
		r := <-inflight[0]
		inflight = inflight[1:]
		total += r.n
		// The first error; a later chunk's that says its outcome is
		// unknown is kept beside it: a caller must learn that.
		switch {
		case failed == nil:
			failed = r.err
		case r.err != nil && !outcomeUnknown(failed) && outcomeUnknown(r.err):
			failed = fmt.Errorf("%w; and a batch in flight: %w", failed, r.err)
		}
	}
	for start := 0; start < n && failed == nil; start += overlapChunk {
		enc, err := encode(start, min(n, start+overlapChunk))
		if err != nil {
			failed = err
			break
		}
		if len(inflight) == overlapWindow {
			wait()
		}
		ch := make(chan sent, 1)
		sentAny = true
		go func() {
			n, err := send(ctx, enc, false)
			ch <- sent{n, err}
		}()
		inflight = append(inflight, ch)
	}
	for len(inflight) > 0 {
		wait()
	}
	if failed != nil {
		if sentAny {
			failed = partial(total, failed)
		}
		return total, failed
	}
	if cm.cacheOn {
		if err := cm.call(ctx, key, retrySafe, func(ctx context.Context) error {
			return cm.client.Do(ctx, cm.client.B().Exists().Key(key).Build()).Error()
		}); err != nil {
			return total, fmt.Errorf("every batch was applied (%d members changed), but the read that waits for this manager's cache to drop what they changed failed: %w", total, err)
		}
	}
	return total, nil
}

// partial wraps the error of a write sent in several batches that stopped
// part-way: n batches' worth of members were acknowledged.
func partial(n int64, err error) error {
	return fmt.Errorf("%w: the batches acknowledged before it stopped changed %d members, and more may have been applied: %w", ErrPartial, n, err)
}

// Add and Remove of a large input encode overlapChunk members at a time,
// sending each chunk while encoding the next, with up to overlapWindow
// chunks in flight.
const (
	overlapChunk  = 8 * batchSize
	overlapWindow = 4
)

// addRaw runs SADD (add) or SREM on key with already encoded members,
// batched, and sums the replies; the last pipeline is fenced.
func (cm *ConnectionManager) addRaw(ctx context.Context, key string, add bool, enc []string) (int64, error) {
	return cm.sendBatches(ctx, key, add, enc, true)
}

// sendBatches is addRaw, fenced only when fence is set.
func (cm *ConnectionManager) sendBatches(ctx context.Context, key string, add bool, enc []string, fence bool) (int64, error) {
	var total int64
	for start := 0; start < len(enc); start += batchSize * pipelineSize {
		chunk := enc[start:min(len(enc), start+batchSize*pipelineSize)]
		var n int64
		err := cm.call(ctx, key, retryWrite, func(ctx context.Context) (err error) {
			b := cm.client.B()
			cmds := make(rueidis.Commands, 0, (len(chunk)+batchSize-1)/batchSize)
			for i := 0; i < len(chunk); i += batchSize {
				batch := chunk[i:min(len(chunk), i+batchSize)]
				if add {
					cmds = append(cmds, b.Sadd().Key(key).Member(batch...).Build())
				} else {
					cmds = append(cmds, b.Srem().Key(key).Member(batch...).Build())
				}
			}
			var res []rueidis.RedisResult
			if fence {
				res, err = cm.doFenced(ctx, key, cmds)
			} else {
				res, err = cm.doAll(ctx, cmds)
			}
			if err != nil {
				return err
			}
			n, err = sumInts(res)
			return err
		})
		if err != nil {
			return total, err
		}
		total += n
	}
	return total, nil
}

// sumInts adds up integer replies (the counts of batched SADD/SREM and
// their TTL-set scripts).
func sumInts(res []rueidis.RedisResult) (int64, error) {
	var n int64
	for _, r := range res {
		v, err := r.AsInt64()
		if err != nil {
			return 0, err
		}
		n += v
	}
	return n, nil
}

// doAll sends cmds in one pipeline and returns their replies, or the
// first error among them (see pipelineErr).
func (cm *ConnectionManager) doAll(ctx context.Context, cmds rueidis.Commands) ([]rueidis.RedisResult, error) {
	res := cm.client.DoMulti(ctx, cmds...)
	if err := pipelineErr(res, false, false); err != nil {
		return nil, err
	}
	return res, nil
}

// isMulti reports whether cmd is MULTI, so that the pipeline it starts is
// a transaction.
func isMulti(cmd rueidis.Completed) bool {
	c := cmd.Commands()
	return len(c) > 0 && c[0] == "MULTI"
}

// doFenced sends cmds in one pipeline, followed, when the cache is on, by
// an EXISTS on fenceKey whose reply Redis sends only after the
// invalidations caused by cmds (see ConnectionManager). It returns the
// replies of cmds, or the first error among them, the fence's last (a
// fence that fails after the writes ran is a pipeline that ran in part).
func (cm *ConnectionManager) doFenced(ctx context.Context, fenceKey string, cmds rueidis.Commands) ([]rueidis.RedisResult, error) {
	if cm.cacheOn {
		cmds = append(cmds, cm.client.B().Exists().Key(fenceKey).Build())
	}
	txn := len(cmds) > 0 && isMulti(cmds[0])
	res := cm.client.DoMulti(ctx, cmds...)
	if err := pipelineErr(res, cm.cacheOn, txn); err != nil {
		return nil, err
	}
	if cm.cacheOn {
		res = res[:len(res)-1]
	}
	return res, nil
}

// Contains reports whether m is a member. It is served from the
// client-side cache when possible (see ConnectionManager).
func (s *Set[T]) Contains(ctx context.Context, m T) (_ bool, err error) {
	o := s.begin(ctx, "Contains")
	defer func() { s.wrap(o, &err) }()
	if err := s.ready(); err != nil {
		return false, err
	}
	mem, err := s.encodeMember(&m)
	if err != nil {
		return false, err
	}
	// The hot path: one SISMEMBER (cached when the cache is on), no
	// closures, when the breaker and retries would have nothing to do.
	var first error
	if s.cm.fast(ctx, s.key) {
		found, err := s.isMember(ctx, mem.str, &o)
		if err == nil {
			s.release(mem, nil)
			return found, nil
		}
		first = err
	}
	var found bool
	attempt := func(ctx context.Context) error {
		var err error
		found, err = s.isMember(ctx, mem.str, &o)
		return err
	}
	if first != nil {
		err = s.cm.replay(ctx, s.key, retrySafe, first, attempt)
	} else {
		err = s.cm.call(ctx, s.key, retrySafe, attempt)
	}
	s.release(mem, err)
	return found, err
}

// isMember runs one SISMEMBER of an encoded member, from the cache when it
// is on.
func (s *Set[T]) isMember(ctx context.Context, mem string, o *op) (bool, error) {
	if s.cm.cached() {
		r := s.cm.client.DoCache(ctx, s.b().Sismember().Key(s.key).Member(mem).Cache().ToStaticTTL(), s.cm.opts.CacheTTL)
		o.cacheHit(s.cm.countCache(r))
		return r.AsBool()
	}
	return s.cm.client.Do(ctx, s.b().Sismember().Key(s.key).Member(mem).Build()).AsBool()
}

// ContainsMany reports, for each of ms in order, whether it is a member.
// It is served from the client-side cache when possible, one entry per
// member, so that any subset of members asked before hits.
func (s *Set[T]) ContainsMany(ctx context.Context, ms ...T) (_ []bool, err error) {
	o := s.begin(ctx, "ContainsMany")
	defer func() { s.wrap(o, &err) }()
	if err := s.ready(); err != nil {
		return nil, err
	}
	if len(ms) == 0 {
		return []bool{}, nil
	}
	enc, err := s.encodeAll(ms, 0)
	if err != nil {
		return nil, err
	}
	out := make([]bool, 0, len(enc))
	// Cached, each member is its own cache entry (SISMEMBER), so any subset
	// of members asked before hits; uncached, SMISMEMBER in batches.
	cached := s.cm.cached()
	step := batchSize * pipelineSize
	if cached {
		step = pipelineSize
	}
	for start := 0; start < len(enc); start += step {
		chunk := enc[start:min(len(enc), start+step)]
		var part []bool
		err := s.cm.call(ctx, s.key, retrySafe, func(ctx context.Context) error {
			part = part[:0]
			b := s.b()
			if cached {
				cmds := make([]rueidis.CacheableTTL, len(chunk))
				for i, m := range chunk {
					cmds[i] = rueidis.CT(b.Sismember().Key(s.key).Member(m).Cache().ToStaticTTL(), s.cm.opts.CacheTTL)
				}
				for _, r := range s.cm.client.DoMultiCache(ctx, cmds...) {
					o.cacheHit(s.cm.countCache(r))
					v, err := r.AsBool()
					if err != nil {
						return err
					}
					part = append(part, v)
				}
				return nil
			}
			cmds := make(rueidis.Commands, 0, (len(chunk)+batchSize-1)/batchSize)
			for i := 0; i < len(chunk); i += batchSize {
				cmds = append(cmds, b.Smismember().Key(s.key).Member(chunk[i:min(len(chunk), i+batchSize)]...).Build())
			}
			for _, r := range s.cm.client.DoMulti(ctx, cmds...) {
				v, err := r.AsIntSlice()
				if err != nil {
					return err
				}
				for _, x := range v {
					part = append(part, x == 1)
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		out = append(out, part...)
	}
	return out, nil
}

// countCache counts a cached read as a hit or a miss (errors are neither).
// countCache counts a cacheable read's hit or miss and reports whether it
// was a hit.
func (cm *ConnectionManager) countCache(r rueidis.RedisResult) bool {
	if r.Error() != nil {
		return false
	}
	hit := r.IsCacheHit()
	if hit {
		cm.hits.Add(1)
	} else {
		cm.misses.Add(1)
	}
	cm.countCacheTel(hit)
	return hit
}

// Members returns every member. A set small enough for one SSCAN reply is
// read atomically; a larger one is read in SSCAN batches (so the server is
// never blocked by one huge reply), which is not a snapshot: members added
// or removed meanwhile may or may not appear. Each member appears once.
// Members that do not decode are reported in an error wrapping ErrDecode,
// beside all those that did. Each batch is decoded while the next one is
// on its way.
func (s *Set[T]) Members(ctx context.Context) (_ []T, err error) {
	defer s.wrap(s.begin(ctx, "Members"), &err)
	if err := s.ready(); err != nil {
		return nil, err
	}
	var (
		out  []T
		errs []error
	)
	err = s.cm.scanPages(ctx, s.key, true, func(page []string, size int64) bool {
		if out == nil {
			out = make([]T, 0, max(int64(len(page)), size))
		}
		for _, r := range page {
			out = append(out, *new(T))
			if err := s.decodeMember(r, &out[len(out)-1]); err != nil {
				out = out[:len(out)-1]
				errs = append(errs, newDecodeError(s.key, r, err))
			}
		}
		return true
	})
	if err != nil {
		return nil, err
	}
	if out == nil {
		out = []T{}
	}
	return out, joinDecodeErrors(errs)
}

// membersRaw returns the raw members of key, without duplicates.
func (cm *ConnectionManager) membersRaw(ctx context.Context, key string) ([]string, error) {
	var out []string
	err := cm.scanPages(ctx, key, true, func(page []string, size int64) bool {
		if out == nil {
			out = make([]string, 0, max(int64(len(page)), size))
		}
		out = append(out, page...)
		return true
	})
	return out, err
}

// scanPages reads key's members with SSCAN and calls visit with each
// batch, in the caller's goroutine, while the next batch is on its way.
// size is the set's size when the first batch was read (SCARD, sent with
// it), for preallocation. With dedupe, members already visited are left
// out of later batches (SSCAN may return a member twice when the set
// changes meanwhile). visit returns false to stop.
func (cm *ConnectionManager) scanPages(ctx context.Context, key string, dedupe bool, visit func(page []string, size int64) bool) error {
	type page struct {
		e   rueidis.ScanEntry
		err error
	}
	// The first batch, with the set's size.
	var (
		first rueidis.ScanEntry
		size  int64
	)
	err := cm.call(ctx, key, retrySafe, func(ctx context.Context) error {
		b := cm.client.B()
		res := cm.client.DoMulti(ctx, b.Scard().Key(key).Build(), b.Sscan().Key(key).Cursor(0).Count(scanCount).Build())
		var err error
		if size, err = res[0].AsInt64(); err != nil {
			return err
		}
		first, err = res[1].AsScanEntry()
		return err
	})
	if err != nil {
		return err
	}
	if first.Cursor == 0 {
		visit(first.Elements, size) // one reply: atomic and duplicate-free
		return nil
	}
	var seen map[string]struct{}
	if dedupe {
		seen = make(map[string]struct{}, size+size/8)
	}
	fetch := func(cursor uint64) <-chan page {
		ch := make(chan page, 1)
		go func() {
			e, err := cm.scan(ctx, key, cursor)
			ch <- page{e, err}
		}()
		return ch
	}
	cur := first
	for {
		var next <-chan page
		if cur.Cursor != 0 {
			next = fetch(cur.Cursor)
		}
		elems := cur.Elements
		if dedupe {
			kept := elems[:0]
			for _, m := range elems {
				if _, dup := seen[m]; !dup {
					seen[m] = struct{}{}
					kept = append(kept, m)
				}
			}
			elems = kept
		}
		if !visit(elems, size) {
			if next != nil {
				<-next // let the fetch finish before returning
			}
			return nil
		}
		if next == nil {
			return nil
		}
		p := <-next
		if p.err != nil {
			return p.err
		}
		cur = p.e
	}
}

func (cm *ConnectionManager) scan(ctx context.Context, key string, cursor uint64) (rueidis.ScanEntry, error) {
	var e rueidis.ScanEntry
	err := cm.call(ctx, key, retrySafe, func(ctx context.Context) error {
		var err error
		e, err = cm.client.Do(ctx, cm.client.B().Sscan().Key(key).Cursor(cursor).Count(scanCount).Build()).AsScanEntry()
		return err
	})
	return e, err
}

// All iterates over the members with SSCAN, holding one batch at a time
// (and fetching the next while the caller works through it). A member that
// does not decode yields an error wrapping ErrDecode and the iteration
// goes on; a failed command yields its error and ends it. As with SSCAN, a
// member may be yielded twice if the set changes meanwhile.
func (s *Set[T]) All(ctx context.Context) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		if err := s.ready(); err != nil {
			yield(zero, s.opErr("All", err))
			return
		}
		stopped := false
		err := s.cm.scanPages(ctx, s.key, false, func(page []string, _ int64) bool {
			for _, r := range page {
				var v T
				if err := s.decodeMember(r, &v); err != nil {
					if !yield(zero, s.opErr("All", newDecodeError(s.key, r, err))) {
						stopped = true
						return false
					}
					continue
				}
				if !yield(v, nil) {
					stopped = true
					return false
				}
			}
			return true
		})
		if err != nil && !stopped {
			yield(zero, s.opErr("All", err))
		}
	}
}

// Size returns the number of members.
func (s *Set[T]) Size(ctx context.Context) (_ int64, err error) {
	defer s.wrap(s.begin(ctx, "Size"), &err)
	if err := s.ready(); err != nil {
		return 0, err
	}
	r, err := s.read(ctx, func(b rueidis.Builder) rueidis.Completed { return b.Scard().Key(s.key).Build() })
	if err != nil {
		return 0, err
	}
	return r.AsInt64()
}

// Clear deletes the set (UNLINK: the memory is freed in the background).
func (s *Set[T]) Clear(ctx context.Context) (err error) {
	defer s.wrap(s.begin(ctx, "Clear"), &err)
	if err := s.ready(); err != nil {
		return err
	}
	_, err = s.cm.fencedCall(ctx, retryWrite, s.key, func(b rueidis.Builder) rueidis.Commands {
		return rueidis.Commands{b.Unlink().Key(s.key).Build()}
	})
	return err
}

// Pop removes and returns up to n random members (SPOP). It is never
// retried once sent, so a member is never lost to a retry. Popped members
// that do not decode are put back (SADD) and reported in an error wrapping
// ErrDecode, beside the members that did.
func (s *Set[T]) Pop(ctx context.Context, n int64) (_ []T, err error) {
	defer s.wrap(s.begin(ctx, "Pop"), &err)
	if err := s.ready(); err != nil {
		return nil, err
	}
	if n <= 0 {
		return nil, invalidArg("count %d is not positive", n)
	}
	res, err := s.cm.fencedCall(ctx, retryUnsent, s.key, func(b rueidis.Builder) rueidis.Commands {
		return rueidis.Commands{b.Spop().Key(s.key).Count(n).Build()}
	})
	if err != nil {
		return nil, err
	}
	raw, err := res[0].AsStrSlice()
	if err != nil {
		return nil, err
	}
	out, bad, err := s.decodeSplit(raw)
	if err != nil {
		// Nothing is deleted for not decoding: put those members back.
		if _, perr := s.cm.addRaw(context.WithoutCancel(ctx), s.key, true, bad); perr != nil {
			err = errors.Join(err, fmt.Errorf("putting back the %d members that do not decode: %w", len(bad), perr))
		} else {
			err = fmt.Errorf("%w (they were put back)", err)
		}
	}
	return out, err
}

// Random returns up to n distinct random members without removing them
// (SRANDMEMBER).
func (s *Set[T]) Random(ctx context.Context, n int64) (_ []T, err error) {
	defer s.wrap(s.begin(ctx, "Random"), &err)
	if err := s.ready(); err != nil {
		return nil, err
	}
	if n <= 0 {
		return nil, invalidArg("count %d is not positive", n)
	}
	r, err := s.read(ctx, func(b rueidis.Builder) rueidis.Completed { return b.Srandmember().Key(s.key).Count(n).Build() })
	if err != nil {
		return nil, err
	}
	raw, err := r.AsStrSlice()
	if err != nil {
		return nil, err
	}
	return s.decode(raw)
}

// Expire sets the set's time to live (PEXPIRE, rounded up to a
// millisecond) and reports whether the key exists. ttl must be positive:
// use Clear to delete.
func (s *Set[T]) Expire(ctx context.Context, ttl time.Duration) (_ bool, err error) {
	defer s.wrap(s.begin(ctx, "Expire"), &err)
	if err := s.ready(); err != nil {
		return false, err
	}
	if ttl <= 0 {
		return false, invalidArg("ttl %v is not positive", ttl)
	}
	ms := int64(ttl / time.Millisecond) // rounded up without overflowing near MaxInt64
	if ttl%time.Millisecond != 0 {
		ms++
	}
	res, err := s.cm.fencedCall(ctx, retryWrite, s.key, func(b rueidis.Builder) rueidis.Commands {
		return rueidis.Commands{b.Pexpire().Key(s.key).Milliseconds(ms).Build()}
	})
	if err != nil {
		return false, err
	}
	return res[0].AsBool()
}

// TTL returns the set's remaining time to live, NoExpiry when it has none,
// or NoKey when the set does not exist (is empty).
func (s *Set[T]) TTL(ctx context.Context) (_ time.Duration, err error) {
	defer s.wrap(s.begin(ctx, "TTL"), &err)
	if err := s.ready(); err != nil {
		return 0, err
	}
	r, err := s.read(ctx, func(b rueidis.Builder) rueidis.Completed { return b.Pttl().Key(s.key).Build() })
	if err != nil {
		return 0, err
	}
	ms, err := r.AsInt64()
	if err != nil {
		return 0, err
	}
	switch ms {
	case -1:
		return NoExpiry, nil
	case -2:
		return NoKey, nil
	}
	if ms > int64(maxDuration/time.Millisecond) {
		return maxDuration, nil // saturate: ms * 1e6 would overflow
	}
	return time.Duration(ms) * time.Millisecond, nil
}
