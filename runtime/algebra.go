package runtime

import (
	"context"
	"fmt"

	"github.com/redis/rueidis"
)

// Set algebra. On a single server, and on a cluster when every key
// involved hashes to one slot (give them a common hash tag, see
// HashTagKey), Redis computes the result server-side and atomically
// (SUNION, SINTERSTORE, SMOVE, ...). On a cluster with keys in different
// slots, where Redis would answer CROSSSLOT, the runtime computes it
// instead: it reads every source (SSCAN batches for large sets), combines
// the members, and for the Store variants writes the result with one
// MULTI/EXEC on the destination's node. That path is correct but not
// atomic: writes to the sources made while it runs may or may not be
// reflected.

type algebraOp uint8

const (
	opUnion algebraOp = iota
	opInter
	opDiff
)

func (o algebraOp) name(store bool) string {
	n := [...]string{"Union", "Intersect", "Diff"}[o]
	if store {
		n += "Store"
	}
	return n
}

// keysOf checks the other sets and returns their keys.
func (s *Set[T]) keysOf(others []SetAPI[T]) ([]string, error) {
	return operandKeys(s.cm, others, func(api SetAPI[T]) (*ConnectionManager, string, error, bool) {
		o, ok := api.(*Set[T])
		switch {
		case !ok:
			return nil, "", nil, false
		case o == nil:
			return nil, "", o.ready(), true
		}
		return o.cm, o.key, o.ready(), true
	})
}

// operandKeys returns the keys of set-algebra operands, which must be real
// sets (of, says open, the receiver's kind) of the manager cm: a mock or
// another implementation has no key here.
func operandKeys[A any](cm *ConnectionManager, others []A, open func(A) (*ConnectionManager, string, error, bool)) ([]string, error) {
	keys := make([]string, 0, len(others))
	for i, api := range others {
		ocm, key, bad, ok := open(api)
		switch {
		case !ok:
			return nil, invalidArg("set %d is a %T, not a set of this kind and element type made by setgen's constructors", i, api)
		case bad != nil:
			return nil, invalidArg("set %d: %v", i, bad)
		case ocm != cm:
			return nil, invalidArg("set %d (%s) belongs to another ConnectionManager", i, key)
		}
		keys = append(keys, key)
	}
	return keys, nil
}

// serverSide reports whether Redis can run a multi-key command over keys.
func (cm *ConnectionManager) serverSide(keys []string) bool {
	return !cm.cluster || sameSlot(keys)
}

// Union returns the members of the receiver and of every other set.
func (s *Set[T]) Union(ctx context.Context, others ...SetAPI[T]) ([]T, error) {
	return s.algebra(ctx, opUnion, others)
}

// Intersect returns the members of the receiver that are in every other set.
func (s *Set[T]) Intersect(ctx context.Context, others ...SetAPI[T]) ([]T, error) {
	return s.algebra(ctx, opInter, others)
}

// Diff returns the members of the receiver that are in none of the others.
func (s *Set[T]) Diff(ctx context.Context, others ...SetAPI[T]) ([]T, error) {
	return s.algebra(ctx, opDiff, others)
}

func (s *Set[T]) algebra(ctx context.Context, op algebraOp, others []SetAPI[T]) (_ []T, err error) {
	name := op.name(false)
	defer s.wrap(s.begin(ctx, name), &err)
	if err := s.ready(); err != nil {
		return nil, err
	}
	okeys, err := s.keysOf(others)
	if err != nil {
		return nil, err
	}
	keys := append([]string{s.key}, okeys...)
	raw, err := s.cm.algebraRaw(ctx, op, keys)
	if err != nil {
		return nil, err
	}
	return s.decode(raw)
}

// algebraRaw computes op over keys (the first is the left operand).
func (cm *ConnectionManager) algebraRaw(ctx context.Context, op algebraOp, keys []string) ([]string, error) {
	if len(keys) == 1 {
		return cm.membersRaw(ctx, keys[0])
	}
	if !cm.serverSide(keys) {
		return cm.algebraLocal(ctx, op, keys)
	}
	var out []string
	err := cm.call(ctx, keys[0], retrySafe, func(ctx context.Context) error {
		b := cm.client.B()
		var c rueidis.Completed
		switch op {
		case opUnion:
			c = b.Sunion().Key(keys...).Build()
		case opInter:
			c = b.Sinter().Key(keys...).Build()
		default:
			c = b.Sdiff().Key(keys...).Build()
		}
		var err error
		out, err = cm.client.Do(ctx, c).AsStrSlice()
		return err
	})
	return out, err
}

// algebraLocal computes op over keys in this process.
func (cm *ConnectionManager) algebraLocal(ctx context.Context, op algebraOp, keys []string) ([]string, error) {
	return combine(ctx, op, keys, cm.membersRaw)
}

// combine computes op over the members of keys, each read by members.
func combine(ctx context.Context, op algebraOp, keys []string, members func(context.Context, string) ([]string, error)) ([]string, error) {
	first, err := members(ctx, keys[0])
	if err != nil {
		return nil, err
	}
	acc := make(map[string]struct{}, len(first))
	for _, m := range first {
		acc[m] = struct{}{}
	}
	for _, k := range keys[1:] {
		if op != opUnion && len(acc) == 0 {
			break
		}
		ms, err := members(ctx, k)
		if err != nil {
			return nil, err
		}
		switch op {
		case opUnion:
			for _, m := range ms {
				acc[m] = struct{}{}
			}
		case opInter:
			next := make(map[string]struct{}, min(len(acc), len(ms)))
			for _, m := range ms {
				if _, ok := acc[m]; ok {
					next[m] = struct{}{}
				}
			}
			acc = next
		case opDiff:
			for _, m := range ms {
				delete(acc, m)
			}
		}
	}
	out := make([]string, 0, len(acc))
	for m := range acc {
		out = append(out, m)
	}
	return out, nil
}

// UnionStore replaces the receiver with the union of sources and returns its
// new size. With no sources the receiver becomes empty.
func (s *Set[T]) UnionStore(ctx context.Context, sources ...SetAPI[T]) (int64, error) {
	return s.store(ctx, opUnion, sources)
}

// IntersectStore replaces the receiver with the intersection of sources and
// returns its new size. It needs at least one source.
func (s *Set[T]) IntersectStore(ctx context.Context, sources ...SetAPI[T]) (int64, error) {
	return s.store(ctx, opInter, sources)
}

// DiffStore replaces the receiver with sources[0] minus the other sources
// and returns its new size. It needs at least one source.
func (s *Set[T]) DiffStore(ctx context.Context, sources ...SetAPI[T]) (int64, error) {
	return s.store(ctx, opDiff, sources)
}

func (s *Set[T]) store(ctx context.Context, op algebraOp, sources []SetAPI[T]) (_ int64, err error) {
	name := op.name(true)
	defer s.wrap(s.begin(ctx, name), &err)
	if err := s.ready(); err != nil {
		return 0, err
	}
	keys, err := s.keysOf(sources)
	if err != nil {
		return 0, err
	}
	if len(keys) == 0 {
		if op != opUnion {
			return 0, invalidArg("%s needs at least one source", name)
		}
		_, err := s.cm.fencedCall(ctx, retryWrite, s.key, func(b rueidis.Builder) rueidis.Commands {
			return rueidis.Commands{b.Unlink().Key(s.key).Build()}
		})
		return 0, err
	}
	return s.cm.storeRaw(ctx, op, s.key, keys)
}

func (cm *ConnectionManager) storeRaw(ctx context.Context, op algebraOp, dst string, keys []string) (int64, error) {
	if cm.serverSide(append([]string{dst}, keys...)) {
		res, err := cm.fencedCall(ctx, retryWrite, dst, func(b rueidis.Builder) rueidis.Commands {
			switch op {
			case opUnion:
				return rueidis.Commands{b.Sunionstore().Destination(dst).Key(keys...).Build()}
			case opInter:
				return rueidis.Commands{b.Sinterstore().Destination(dst).Key(keys...).Build()}
			default:
				return rueidis.Commands{b.Sdiffstore().Destination(dst).Key(keys...).Build()}
			}
		})
		if err != nil {
			return 0, err
		}
		return res[0].AsInt64()
	}
	raw, err := cm.algebraLocal(ctx, op, keys)
	if err != nil {
		return 0, err
	}
	return int64(len(raw)), cm.replaceRaw(ctx, dst, raw)
}

// replaceRaw atomically replaces dst with exactly members, in one
// MULTI/EXEC on dst's node.
func (cm *ConnectionManager) replaceRaw(ctx context.Context, dst string, members []string) error {
	res, err := cm.fencedCall(ctx, retryWrite, dst, func(b rueidis.Builder) rueidis.Commands {
		cmds := rueidis.Commands{b.Multi().Build(), b.Del().Key(dst).Build()}
		for i := 0; i < len(members); i += batchSize {
			cmds = append(cmds, b.Sadd().Key(dst).Member(members[i:min(len(members), i+batchSize)]...).Build())
		}
		return append(cmds, b.Exec().Build())
	})
	if err != nil {
		return err
	}
	replies, err := res[len(res)-1].ToArray()
	if err != nil {
		return err
	}
	for _, r := range replies {
		if err := r.Error(); err != nil {
			return err
		}
	}
	return nil
}

// fencedCall runs build's commands as one fenced pipeline under the breaker
// and retry policy.
func (cm *ConnectionManager) fencedCall(ctx context.Context, p retryPolicy, fenceKey string, build func(rueidis.Builder) rueidis.Commands) ([]rueidis.RedisResult, error) {
	var out []rueidis.RedisResult
	err := cm.call(ctx, fenceKey, p, func(ctx context.Context) error {
		var err error
		out, err = cm.doFenced(ctx, fenceKey, build(cm.client.B()))
		return err
	})
	return out, err
}

// IntersectSize returns the size of the intersection of the receiver and
// others (SINTERCARD), stopping at limit when limit > 0.
func (s *Set[T]) IntersectSize(ctx context.Context, limit int64, others ...SetAPI[T]) (_ int64, err error) {
	defer s.wrap(s.begin(ctx, "IntersectSize"), &err)
	if err := s.ready(); err != nil {
		return 0, err
	}
	if limit < 0 {
		return 0, invalidArg("limit %d is negative", limit)
	}
	okeys, err := s.keysOf(others)
	if err != nil {
		return 0, err
	}
	keys := append([]string{s.key}, okeys...)
	if !s.cm.serverSide(keys) {
		raw, err := s.cm.algebraLocal(ctx, opInter, keys)
		if err != nil {
			return 0, err
		}
		n := int64(len(raw))
		if limit > 0 && n > limit {
			n = limit
		}
		return n, nil
	}
	var n int64
	err = s.cm.call(ctx, s.key, retrySafe, func(ctx context.Context) error {
		c := s.b().Sintercard().Numkeys(int64(len(keys))).Key(keys...).Limit(limit).Build()
		var err error
		n, err = s.cm.client.Do(ctx, c).AsInt64()
		return err
	})
	return n, err
}

// Move moves m from the receiver to dst and reports whether it was a
// member of the receiver (SMOVE). It is never retried once sent. On a
// cluster with the two keys in different slots it removes m from the
// receiver, then adds it to dst; if the add fails it puts m back and
// returns the error, so the member is never lost.
func (s *Set[T]) Move(ctx context.Context, dst SetAPI[T], m T) (_ bool, err error) {
	defer s.wrap(s.begin(ctx, "Move"), &err)
	if err := s.ready(); err != nil {
		return false, err
	}
	dkeys, err := s.keysOf([]SetAPI[T]{dst})
	if err != nil {
		return false, err
	}
	b, err := s.codec.Append(nil, &m)
	if err != nil {
		return false, encodeErr(err)
	}
	return s.cm.moveRaw(ctx, s.key, dkeys[0], string(b))
}

func (cm *ConnectionManager) moveRaw(ctx context.Context, src, dst, mem string) (bool, error) {
	if cm.serverSide([]string{src, dst}) {
		res, err := cm.fencedCall(ctx, retryUnsent, src, func(b rueidis.Builder) rueidis.Commands {
			return rueidis.Commands{b.Smove().Source(src).Destination(dst).Member(mem).Build()}
		})
		if err != nil {
			return false, err
		}
		return res[0].AsBool()
	}
	res, err := cm.fencedCall(ctx, retryUnsent, src, func(b rueidis.Builder) rueidis.Commands {
		return rueidis.Commands{b.Srem().Key(src).Member(mem).Build()}
	})
	if err != nil {
		return false, err
	}
	if n, err := res[0].AsInt64(); err != nil || n == 0 {
		return false, err
	}
	if _, err := cm.addRaw(ctx, dst, true, []string{mem}); err != nil {
		if _, err2 := cm.addRaw(context.WithoutCancel(ctx), src, true, []string{mem}); err2 != nil {
			where := moveLost(src, dst, outcomeUnknown(err), outcomeUnknown(err2))
			cm.log.Error("setgen: Move could not restore a member after a failed add; "+where,
				"src", src, "dst", dst, "error", err2)
			return false, fmt.Errorf("the member was removed from %s, adding it to %s failed (%w), and putting it back into %s failed too (%w): %s, member %q",
				src, dst, err, src, err2, where, truncated(mem))
		}
		if outcomeUnknown(err) {
			return false, fmt.Errorf("adding to %s may or may not have been applied; the member was put back into %s, so it is in %s and may be in %s too: %w", dst, src, src, dst, err)
		}
		return false, fmt.Errorf("adding to %s failed; the member was put back into %s: %w", dst, src, err)
	}
	return true, nil
}

// moveLost says where a member is after a cross-slot Move removed it from
// src and both the add to dst and the put-back into src failed, each
// either for sure or with its outcome unknown (maybe applied).
func moveLost(src, dst string, addMaybe, backMaybe bool) string {
	switch {
	case addMaybe && backMaybe:
		return fmt.Sprintf("it may be in %s, in %s, in both or in neither", src, dst)
	case addMaybe:
		return fmt.Sprintf("it is in %s or in neither set", dst)
	case backMaybe:
		return fmt.Sprintf("it is in %s or in neither set", src)
	}
	return "it is in neither set"
}

// truncated shows at most maxShownBytes of a member in an error.
func truncated(m string) string {
	if len(m) > maxShownBytes {
		return m[:maxShownBytes] + "…"
	}
	return m
}
