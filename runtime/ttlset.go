package runtime

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"iter"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/rueidis"
)

// TTLSet is the generic core of generated TTL sets (setgen -ttl): a set
// whose members each carry their own time to live. It is stored as a
// sorted set scored by each member's expiry, in milliseconds of the
// server's clock, so that expiry never depends on the client's clock.
// Writes run as Lua scripts that read the server's TIME; each removes a
// bounded number of expired members as it goes (twice as many as it
// carries, at least 100, so that under steady writes of short-lived
// members garbage is removed faster than it is made and memory stays
// flat), and sets the key to expire with its last member, so an abandoned
// set leaves nothing behind.
// Expired members are never returned by any read. Cached Contains keeps the
// member's expiry and compares it with the server's clock as estimated
// here, so a cached answer turns false when the member expires, with no
// round trip.
//
// A TTLSet is safe for concurrent use. A nil *TTLSet returns errors.
type TTLSet[T any] struct {
	cm    *ConnectionManager
	codec Codec[T]
	name  string
	key   string
	bad   error
	plain *Set[T] // the same key seen as a plain set: its encoding helpers and buffers
}

// cleanupPerWrite is how many expired members one write removes at least;
// a write of n members removes up to 2n.
const cleanupPerWrite = 100

// NewTTLSet returns the TTL set stored at key (Options.KeyPrefix is
// prepended). name is the type's name shown in errors, e.g.
// "sessions.SessionTTLSet".
func NewTTLSet[T any](cm *ConnectionManager, name, key string, codec Codec[T]) *TTLSet[T] {
	s := &TTLSet[T]{cm: cm, codec: codec, name: name}
	s.key, s.bad = checkNew(cm, key, codec)
	s.plain = &Set[T]{cm: cm, codec: codec, name: name, key: s.key, bad: s.bad}
	return s
}

// core returns the plain-set view used for encoding and decoding.
func (s *TTLSet[T]) core() *Set[T] { return s.plain }

func (s *TTLSet[T]) ready() error {
	if s == nil {
		return invalidArg("nil *%s", ttlSetName[T]())
	}
	return s.bad
}

// begin is Set.begin.
func (s *TTLSet[T]) begin(ctx context.Context, name string) op {
	if s == nil || s.cm == nil || s.cm.tel == nil {
		return op{name: name}
	}
	return s.cm.begin(ctx, s.name, name, ttlCommands[name])
}

// wrap is Set.wrap.
func (s *TTLSet[T]) wrap(o op, err *error) {
	if s == nil {
		wrapOp(err, ttlSetName[T](), "", o.name)
		return
	}
	wrapOp(err, s.name, s.key, o.name)
	s.cm.end(&o, *err)
}

func (s *TTLSet[T]) opErr(name string, err error) error {
	if s == nil {
		wrapOp(&err, ttlSetName[T](), "", name)
	} else {
		wrapOp(&err, s.name, s.key, name)
	}
	return err
}

// ttlCommands is the Redis command of each method, for spans: most are
// scripts.
var ttlCommands = map[string]string{
	"Add": "EVALSHA", "Remove": "EVALSHA", "Contains": "ZSCORE", "ContainsMany": "ZSCORE", "TTLOf": "EVALSHA",
	"Size": "EVALSHA", "Purge": "EVALSHA", "Clear": "UNLINK", "Members": "EVALSHA", "All": "EVALSHA",
	"Union": "EVALSHA", "Intersect": "EVALSHA", "Diff": "EVALSHA", "IntersectSize": "EVALSHA",
}

func ttlSetName[T any]() string {
	n := setName[T]()
	if strings.HasSuffix(n, "Set") {
		return strings.TrimSuffix(n, "Set") + "TTLSet"
	}
	return "runtime.TTLSet" + strings.TrimPrefix(n, "runtime.Set")
}

// Key returns the full key, prefix included.
func (s *TTLSet[T]) Key() string {
	if s == nil {
		return ""
	}
	return s.key
}

// Manager returns the set's ConnectionManager.
func (s *TTLSet[T]) Manager() *ConnectionManager {
	if s == nil {
		return nil
	}
	return s.cm
}

// The scripts. Every one reads the server's clock (TIME, in ms) and ends
// by making the key expire with its last member.
const ttlPrelude = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`

// ttlCleanup removes a bounded number of expired members.
var ttlCleanup = `
local dead = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, math.max(` + strconv.Itoa(cleanupPerWrite) + `, 2 * #ARGV))
if #dead > 0 then redis.call('ZREM', KEYS[1], unpack(dead)) end
`

// ttlExpireKey makes the key expire with its last member.
const ttlExpireKey = `
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
if #last > 0 then redis.call('PEXPIREAT', KEYS[1], last[2]) end
`

// ttlEpilogue ends every write.
var ttlEpilogue = ttlCleanup + ttlExpireKey

// ttlBatch is how many members one write script carries: as many as the
// server's Lua stack takes in one unpack (8,000 values: a score and a
// member each), with room to spare.
const ttlBatch = 2000

var (
	// ttlAdd cleans up first; then, when no expired member is left (the
	// common case), every member present is live and ZADD's count of new
	// members is the count of members that were not live. Otherwise
	// ZMSCORE tells which were.
	ttlAdd = newScript(ttlPrelude + ttlCleanup + `
local exp = now + tonumber(ARGV[1])
local args = {}
for i = 2, #ARGV do
  args[#args + 1] = exp
  args[#args + 1] = ARGV[i]
end
local fresh = 0
if redis.call('ZCOUNT', KEYS[1], '-inf', now) == 0 then
  fresh = redis.call('ZADD', KEYS[1], unpack(args))
else
  local old = redis.call('ZMSCORE', KEYS[1], unpack(ARGV, 2))
  local seen = {}
  for i = 2, #ARGV do
    local o = old[i - 1]
    if ((not o) or tonumber(o) <= now) and not seen[ARGV[i]] then fresh = fresh + 1 end
    seen[ARGV[i]] = true
  end
  redis.call('ZADD', KEYS[1], unpack(args))
end` + ttlExpireKey + `
return fresh`)
	ttlRemove = newScript(ttlPrelude + `
local old = redis.call('ZMSCORE', KEYS[1], unpack(ARGV))
local live = 0
local seen = {}
for i = 1, #ARGV do
  if old[i] and tonumber(old[i]) > now and not seen[ARGV[i]] then live = live + 1 end
  seen[ARGV[i]] = true
end
redis.call('ZREM', KEYS[1], unpack(ARGV))` + ttlEpilogue + `
return live`)
	ttlPurge = newScript(ttlPrelude + `
local n = redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
if #last > 0 then redis.call('PEXPIREAT', KEYS[1], last[2]) end
return n`)
	ttlSize = newScript(ttlPrelude + `
return redis.call('ZCOUNT', KEYS[1], '(' .. now, '+inf')`)
	ttlMembers = newScript(ttlPrelude + `
return redis.call('ZRANGE', KEYS[1], '(' .. now, '+inf', 'BYSCORE')`)
	// ttlAlgebra computes, on the server, the union (ARGV[1] 0),
	// intersection (1) or difference (2) of the live members of KEYS (one
	// slot): the members, or, when ARGV[2] is not negative, their number
	// (at most ARGV[2] when it is positive). ZMSCORE goes 2,000 members at
	// a time (the Lua stack's unpack limit).
	ttlAlgebra = newScript(ttlPrelude + `
local op, limit = tonumber(ARGV[1]), tonumber(ARGV[2])
local acc = redis.call('ZRANGE', KEYS[1], '(' .. now, '+inf', 'BYSCORE')
if op == 0 then
  local seen = {}
  for _, m in ipairs(acc) do seen[m] = true end
  for i = 2, #KEYS do
    for _, m in ipairs(redis.call('ZRANGE', KEYS[i], '(' .. now, '+inf', 'BYSCORE')) do
      if not seen[m] then
        seen[m] = true
        acc[#acc + 1] = m
      end
    end
  end
else
  for i = 2, #KEYS do
    if #acc == 0 then break end
    local keep = {}
    for j = 1, #acc, 2000 do
      local last = math.min(j + 1999, #acc)
      local scores = redis.call('ZMSCORE', KEYS[i], unpack(acc, j, last))
      for k = j, last do
        local sc = scores[k - j + 1]
        local live = sc and tonumber(sc) > now
        if (op == 1) == live then keep[#keep + 1] = acc[k] end
      end
    end
    acc = keep
  end
end
if limit < 0 then return acc end
if limit > 0 and #acc > limit then return limit end
return #acc`)
	ttlOf = newScript(ttlPrelude + `
local s = redis.call('ZSCORE', KEYS[1], ARGV[1])
if (not s) or tonumber(s) <= now then return -2 end
return tonumber(s) - now`)
)

// script is a Lua script run with EVALSHA, falling back to EVAL when the
// server does not have it yet.
type script struct {
	src, sha string
}

func newScript(src string) *script {
	sum := sha1.Sum([]byte(src))
	return &script{src: src, sha: hex.EncodeToString(sum[:])}
}

func (sc *script) build(b rueidis.Builder, eval bool, key string, args []string) rueidis.Completed {
	return sc.buildKeys(b, eval, []string{key}, args)
}

func (sc *script) buildKeys(b rueidis.Builder, eval bool, keys, args []string) rueidis.Completed {
	if eval {
		return b.Eval().Script(sc.src).Numkeys(int64(len(keys))).Key(keys...).Arg(args...).Build()
	}
	return b.Evalsha().Sha1(sc.sha).Numkeys(int64(len(keys))).Key(keys...).Arg(args...).Build()
}

// run runs sc on key in one attempt; write scripts go with the fence.
func (cm *ConnectionManager) run(ctx context.Context, sc *script, write bool, key string, args []string) (rueidis.RedisResult, error) {
	return cm.runKeys(ctx, sc, write, []string{key}, args)
}

// runKeys is run on several keys (of one slot); a write is fenced on the
// first.
func (cm *ConnectionManager) runKeys(ctx context.Context, sc *script, write bool, keys, args []string) (rueidis.RedisResult, error) {
	key := keys[0]
	do := func(eval bool) (rueidis.RedisResult, error) {
		cmd := sc.buildKeys(cm.client.B(), eval, keys, args)
		if write {
			res, err := cm.doFenced(ctx, key, rueidis.Commands{cmd})
			if err != nil {
				return rueidis.RedisResult{}, err
			}
			return res[0], nil
		}
		r := cm.client.Do(ctx, cmd)
		return r, r.Error()
	}
	r, err := do(false)
	if isNoScript(err) {
		r, err = do(true)
	}
	return r, err
}

// script runs sc through the breaker and retries, and returns its integer.
func (s *TTLSet[T]) scriptInt(ctx context.Context, sc *script, write bool, args []string) (int64, error) {
	var n int64
	// retrySafe for Purge too: it removes only members that have expired,
	// which no read shows, so repeating it cannot undo another write.
	err := s.cm.call(ctx, s.key, retrySafe, func(ctx context.Context) error {
		r, err := s.cm.run(ctx, sc, write, s.key, args)
		if err != nil {
			return err
		}
		n, err = r.AsInt64()
		return err
	})
	return n, err
}

// Add adds members, or refreshes their expiry, to expire ttl from now (on
// the server's clock, rounded up to a millisecond), and returns how many
// were not live members. ttl must be positive. Add(ctx, ttl) does nothing.
func (s *TTLSet[T]) Add(ctx context.Context, ttl time.Duration, members ...T) (_ int64, err error) {
	defer s.wrap(s.begin(ctx, "Add"), &err)
	return s.write(ctx, ttlAdd, ttl, true, members)
}

// Remove removes members and returns how many were live members.
func (s *TTLSet[T]) Remove(ctx context.Context, members ...T) (_ int64, err error) {
	defer s.wrap(s.begin(ctx, "Remove"), &err)
	return s.write(ctx, ttlRemove, 0, false, members)
}

func (s *TTLSet[T]) write(ctx context.Context, sc *script, ttl time.Duration, withTTL bool, members []T) (int64, error) {
	if err := s.ready(); err != nil {
		return 0, err
	}
	if withTTL && ttl <= 0 {
		return 0, invalidArg("ttl %v is not positive", ttl)
	}
	if len(members) == 0 {
		return 0, nil
	}
	var arg0 []string
	if withTTL {
		ms := int64(ttl / time.Millisecond)
		if ttl%time.Millisecond != 0 {
			ms++
		}
		arg0 = []string{strconv.FormatInt(ms, 10)}
	}
	return s.cm.writeOverlapped(ctx, s.key, len(members), ttlBatch,
		func(start, end int) ([]string, error) { return s.core().encodeAll(members[start:end], start) },
		func(ctx context.Context, enc []string, fence bool) (int64, error) {
			return s.cm.runBatches(ctx, sc, s.key, arg0, enc, fence)
		})
}

// runBatches runs sc on key once per ttlBatch members of enc (each after
// arg0), up to pipelineSize scripts a pipeline, and sums the replies.
func (cm *ConnectionManager) runBatches(ctx context.Context, sc *script, key string, arg0, enc []string, fence bool) (int64, error) {
	var total int64
	for start := 0; start < len(enc); start += ttlBatch * pipelineSize {
		chunk := enc[start:min(len(enc), start+ttlBatch*pipelineSize)]
		argss := make([][]string, 0, (len(chunk)+ttlBatch-1)/ttlBatch)
		for i := 0; i < len(chunk); i += ttlBatch {
			argss = append(argss, append(slices.Clip(arg0), chunk[i:min(len(chunk), i+ttlBatch)]...))
		}
		var n int64
		err := cm.call(ctx, key, retryWrite, func(ctx context.Context) error {
			res, err := cm.runAll(ctx, sc, key, argss, fence)
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

// runAll runs sc once per argument list, in one fenced pipeline; scripts
// the server did not have (NOSCRIPT) are sent again as EVAL.
func (cm *ConnectionManager) runAll(ctx context.Context, sc *script, key string, argss [][]string, fence bool) ([]rueidis.RedisResult, error) {
	fence = fence && cm.cacheOn
	b := cm.client.B()
	cmds := make(rueidis.Commands, len(argss))
	for i, args := range argss {
		cmds[i] = sc.build(b, false, key, args)
	}
	if fence {
		cmds = append(cmds, b.Exists().Key(key).Build())
	}
	res := cm.client.DoMulti(ctx, cmds...)
	var again []int
	for i := range argss {
		if err := res[i].Error(); isNoScript(err) {
			again = append(again, i)
		}
	}
	if len(again) > 0 {
		cmds := make(rueidis.Commands, 0, len(again)+1)
		for _, i := range again {
			cmds = append(cmds, sc.build(b, true, key, argss[i]))
		}
		if fence {
			cmds = append(cmds, b.Exists().Key(key).Build())
		}
		res2 := cm.client.DoMulti(ctx, cmds...)
		for j, i := range again {
			res[i] = res2[j]
		}
		if fence {
			res[len(res)-1] = res2[len(res2)-1]
		}
	}
	if err := pipelineErr(res, fence, false); err != nil {
		return nil, err
	}
	return res[:len(argss)], nil
}

// Contains reports whether m is a live member. It is served from the
// client-side cache when possible: the cache holds m's expiry, so a cached
// answer turns false when m expires, with no round trip.
func (s *TTLSet[T]) Contains(ctx context.Context, m T) (_ bool, err error) {
	o := s.begin(ctx, "Contains")
	defer func() { s.wrap(o, &err) }()
	if err := s.ready(); err != nil {
		return false, err
	}
	// The hot path, as for plain sets: one cached ZSCORE, no closures.
	if s.cm.cached() && s.cm.fast(ctx, s.key) {
		mem, err := s.plain.encodeMember(&m)
		if err != nil {
			return false, err
		}
		r := s.cm.client.DoCache(ctx, s.cm.client.B().Zscore().Key(s.key).Member(mem.str).Cache().ToStaticTTL(), s.cm.opts.CacheTTL)
		score, err := expiryOf(r)
		if err == nil || rueidis.IsRedisNil(err) {
			o.cacheHit(s.cm.countCache(r))
			s.plain.release(mem, nil)
			if err != nil {
				return false, nil
			}
			now, err := s.cm.serverNow(ctx, s.key)
			if err != nil {
				return false, err
			}
			return score > float64(now.UnixMilli()), nil
		}
		s.plain.release(mem, err)
		// Failed: the full path below retries it, through the breaker.
	}
	got, err := s.containsMany(ctx, []T{m}, &o)
	if err != nil {
		return false, err
	}
	return got[0], nil
}

// expiryOf returns a member's score (its expiry, in the server's ms) from
// a ZSCORE reply. Scores are whole milliseconds, which the server writes
// as digits: they are read as such, and anything else as a float.
func expiryOf(r rueidis.RedisResult) (float64, error) {
	s, err := r.ToString() // a RESP3 double's text
	if err != nil {
		return 0, err
	}
	if len(s) > 0 && len(s) <= 15 { // below 2^53: exact as a float64
		var v int64
		for i := 0; i < len(s); i++ {
			c := s[i] - '0'
			if c > 9 {
				return r.AsFloat64()
			}
			v = v*10 + int64(c)
		}
		return float64(v), nil
	}
	return r.AsFloat64()
}

// ContainsMany reports, for each of ms in order, whether it is a live
// member, cached per member as Contains.
func (s *TTLSet[T]) ContainsMany(ctx context.Context, ms ...T) (_ []bool, err error) {
	o := s.begin(ctx, "ContainsMany")
	defer func() { s.wrap(o, &err) }()
	if err := s.ready(); err != nil {
		return nil, err
	}
	if len(ms) == 0 {
		return []bool{}, nil
	}
	return s.containsMany(ctx, ms, &o)
}

func (s *TTLSet[T]) containsMany(ctx context.Context, ms []T, o *op) ([]bool, error) {
	enc, err := s.core().encodeAll(ms, 0)
	if err != nil {
		return nil, err
	}
	scores := make([]float64, len(enc)) // expiry in ms; NaN: not a member
	err = s.cm.call(ctx, s.key, retrySafe, func(ctx context.Context) error {
		b := s.cm.client.B()
		var res []rueidis.RedisResult
		cached := s.cm.cached()
		if cached {
			cmds := make([]rueidis.CacheableTTL, len(enc))
			for i, m := range enc {
				cmds[i] = rueidis.CT(b.Zscore().Key(s.key).Member(m).Cache().ToStaticTTL(), s.cm.opts.CacheTTL)
			}
			res = s.cm.client.DoMultiCache(ctx, cmds...)
		} else {
			cmds := make(rueidis.Commands, len(enc))
			for i, m := range enc {
				cmds[i] = b.Zscore().Key(s.key).Member(m).Build()
			}
			res = s.cm.client.DoMulti(ctx, cmds...)
		}
		for i, r := range res {
			if cached {
				o.cacheHit(s.cm.countCache(r))
			}
			v, err := expiryOf(r)
			switch {
			case rueidis.IsRedisNil(err):
				scores[i] = math.NaN()
			case err != nil:
				return err
			default:
				scores[i] = v
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	now, err := s.cm.serverNow(ctx, s.key)
	if err != nil {
		return nil, err
	}
	nowMs := float64(now.UnixMilli())
	out := make([]bool, len(enc))
	for i, sc := range scores {
		out[i] = sc == sc && sc > nowMs
	}
	return out, nil
}

// TTLOf returns m's remaining time to live, or NoKey when m is not a live
// member.
func (s *TTLSet[T]) TTLOf(ctx context.Context, m T) (_ time.Duration, err error) {
	defer s.wrap(s.begin(ctx, "TTLOf"), &err)
	if err := s.ready(); err != nil {
		return 0, err
	}
	enc, err := s.core().encodeAll([]T{m}, 0)
	if err != nil {
		return 0, err
	}
	ms, err := s.scriptInt(ctx, ttlOf, false, enc)
	if err != nil {
		return 0, err
	}
	if ms < 0 {
		return NoKey, nil
	}
	if ms > int64(maxDuration/time.Millisecond) {
		return maxDuration, nil // saturate: ms * 1e6 would overflow
	}
	return time.Duration(ms) * time.Millisecond, nil
}

// Size returns the number of live members, without reading them
// (ZCOUNT: O(log N)).
func (s *TTLSet[T]) Size(ctx context.Context) (_ int64, err error) {
	defer s.wrap(s.begin(ctx, "Size"), &err)
	if err := s.ready(); err != nil {
		return 0, err
	}
	return s.scriptInt(ctx, ttlSize, false, nil)
}

// Purge removes every expired member now and returns how many.
func (s *TTLSet[T]) Purge(ctx context.Context) (_ int64, err error) {
	defer s.wrap(s.begin(ctx, "Purge"), &err)
	if err := s.ready(); err != nil {
		return 0, err
	}
	return s.scriptInt(ctx, ttlPurge, true, nil)
}

// Clear deletes the set (UNLINK).
func (s *TTLSet[T]) Clear(ctx context.Context) (err error) {
	defer s.wrap(s.begin(ctx, "Clear"), &err)
	if err := s.ready(); err != nil {
		return err
	}
	_, err = s.cm.fencedCall(ctx, retryWrite, s.key, func(b rueidis.Builder) rueidis.Commands {
		return rueidis.Commands{b.Unlink().Key(s.key).Build()}
	})
	return err
}

// membersRaw reads the live members of key in one script (ZRANGE BYSCORE:
// atomic, and one reply however large the set).
func (cm *ConnectionManager) ttlMembersRaw(ctx context.Context, key string) ([]string, error) {
	var out []string
	err := cm.call(ctx, key, retrySafe, func(ctx context.Context) error {
		r, err := cm.run(ctx, ttlMembers, false, key, nil)
		if err != nil {
			return err
		}
		out, err = r.AsStrSlice()
		return err
	})
	return out, err
}

// Members returns every live member, read atomically in one reply. Members
// that do not decode are reported in an error wrapping ErrDecode, beside
// the others.
func (s *TTLSet[T]) Members(ctx context.Context) (_ []T, err error) {
	defer s.wrap(s.begin(ctx, "Members"), &err)
	if err := s.ready(); err != nil {
		return nil, err
	}
	raw, err := s.cm.ttlMembersRaw(ctx, s.key)
	if err != nil {
		return nil, err
	}
	return s.core().decode(raw)
}

// All iterates over the live members (read as Members does). A member
// that does not decode yields an error wrapping ErrDecode and the
// iteration goes on.
func (s *TTLSet[T]) All(ctx context.Context) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		if err := s.ready(); err != nil {
			yield(zero, s.opErr("All", err))
			return
		}
		raw, err := s.cm.ttlMembersRaw(ctx, s.key)
		if err != nil {
			yield(zero, s.opErr("All", err))
			return
		}
		c := s.core()
		for _, r := range raw {
			var v T
			if err := c.decodeMember(r, &v); err != nil {
				if !yield(zero, s.opErr("All", newDecodeError(s.key, r, err))) {
					return
				}
				continue
			}
			if !yield(v, nil) {
				return
			}
		}
	}
}

// ttlKeysOf returns the keys of others, which must be TTL sets of the
// same manager.
func (s *TTLSet[T]) ttlKeysOf(others []TTLSetAPI[T]) ([]string, error) {
	return operandKeys(s.cm, others, func(api TTLSetAPI[T]) (*ConnectionManager, string, error, bool) {
		o, ok := api.(*TTLSet[T])
		switch {
		case !ok:
			return nil, "", nil, false
		case o == nil:
			return nil, "", o.ready(), true
		}
		return o.cm, o.key, o.ready(), true
	})
}

// algebra computes op over the live members of the receiver and others:
// in one script on the server when the keys share a slot (always, on a
// single server), atomic; else in the client, each set read in one reply,
// one after the other (not atomic). With count it returns no members, only
// their number (at most limit when limit > 0).
func (s *TTLSet[T]) algebra(ctx context.Context, op algebraOp, others []TTLSetAPI[T], count bool, limit int64) ([]string, int64, error) {
	if err := s.ready(); err != nil {
		return nil, 0, err
	}
	okeys, err := s.ttlKeysOf(others)
	if err != nil {
		return nil, 0, err
	}
	keys := append([]string{s.key}, okeys...)
	if !s.cm.serverSide(keys) {
		raw, err := combine(ctx, op, keys, s.cm.ttlMembersRaw)
		n := int64(len(raw))
		if limit > 0 && n > limit {
			n = limit
		}
		return raw, n, err
	}
	mode := "-1"
	if count {
		mode = strconv.FormatInt(limit, 10)
	}
	var (
		raw []string
		n   int64
	)
	err = s.cm.call(ctx, s.key, retrySafe, func(ctx context.Context) error {
		r, err := s.cm.runKeys(ctx, ttlAlgebra, false, keys, []string{strconv.Itoa(int(op)), mode})
		if err != nil {
			return err
		}
		if count {
			n, err = r.AsInt64()
		} else {
			raw, err = r.AsStrSlice()
		}
		return err
	})
	return raw, n, err
}

func (s *TTLSet[T]) algebraDecoded(ctx context.Context, name string, op algebraOp, others []TTLSetAPI[T]) (_ []T, err error) {
	defer s.wrap(s.begin(ctx, name), &err)
	raw, _, err := s.algebra(ctx, op, others, false, 0)
	if err != nil {
		return nil, err
	}
	return s.core().decode(raw)
}

// Union returns the live members of the receiver and of every other set.
func (s *TTLSet[T]) Union(ctx context.Context, others ...TTLSetAPI[T]) ([]T, error) {
	return s.algebraDecoded(ctx, "Union", opUnion, others)
}

// Intersect returns the live members of the receiver that are live in
// every other set.
func (s *TTLSet[T]) Intersect(ctx context.Context, others ...TTLSetAPI[T]) ([]T, error) {
	return s.algebraDecoded(ctx, "Intersect", opInter, others)
}

// Diff returns the live members of the receiver that are live in none of
// the other sets.
func (s *TTLSet[T]) Diff(ctx context.Context, others ...TTLSetAPI[T]) ([]T, error) {
	return s.algebraDecoded(ctx, "Diff", opDiff, others)
}

// IntersectSize returns the number of live members of the receiver that
// are live in every other set, at most limit when limit > 0.
func (s *TTLSet[T]) IntersectSize(ctx context.Context, limit int64, others ...TTLSetAPI[T]) (_ int64, err error) {
	defer s.wrap(s.begin(ctx, "IntersectSize"), &err)
	if limit < 0 {
		return 0, invalidArg("limit %d is negative", limit)
	}
	_, n, err := s.algebra(ctx, opInter, others, true, limit)
	return n, err
}
