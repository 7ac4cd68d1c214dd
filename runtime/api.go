package runtime

//go:generate go run go.uber.org/mock/mockgen@v0.6.0 -source=api.go -destination=setmock/setapi_mock.go -package=setmock -typed

import (
	"context"
	"iter"
	"reflect"
	"time"
)

// SetAPI is the interface of a set of T: what *Set[T] does, for code that
// wants to be tested with a mock. setgen names it per type (type
// UserSetAPI = runtime.SetAPI[User]) and generates the mock
// (usersmock.NewMockUserSetAPI). Set-algebra operands and Move's
// destination are SetAPI values, so a mock can be one; the real set
// returns ErrInvalidArgument for an operand that is not a *Set[T].
//
// It lists every exported method of *Set[T] (a test checks it).
type SetAPI[T any] interface {
	// Key returns the set's full key, Options.KeyPrefix included.
	Key() string
	// Manager returns the ConnectionManager the set belongs to.
	Manager() *ConnectionManager
	// Add adds members (SADD) and returns how many were not already
	// present. Add(ctx) does nothing. An input of more than 1,000 members is
	// sent in batches; one that stops part-way returns an error wrapping
	// ErrPartial.
	Add(ctx context.Context, members ...T) (int64, error)
	// Remove removes members (SREM) and returns how many were present.
	// Remove(ctx) does nothing. Batches as Add.
	Remove(ctx context.Context, members ...T) (int64, error)
	// Contains reports whether m is a member (SISMEMBER), served from the
	// client-side cache when possible.
	Contains(ctx context.Context, m T) (bool, error)
	// ContainsMany reports for each of ms, in order, whether it is a member,
	// served from the client-side cache (one entry per member) when possible.
	ContainsMany(ctx context.Context, ms ...T) ([]bool, error)
	// Members returns every member (SMEMBERS semantics, read with SSCAN:
	// atomically when the set fits one reply, else in batches that never
	// block the server). Members that do not decode are reported in an error
	// wrapping ErrDecode, beside the others.
	Members(ctx context.Context) ([]T, error)
	// All iterates over the members with SSCAN, in constant memory.
	All(ctx context.Context) iter.Seq2[T, error]
	// Size returns the number of members (SCARD).
	Size(ctx context.Context) (int64, error)
	// Clear deletes the set (UNLINK).
	Clear(ctx context.Context) error
	// Union returns the members of the receiver and of every other set
	// (SUNION).
	Union(ctx context.Context, others ...SetAPI[T]) ([]T, error)
	// Intersect returns the members of the receiver that are in every other
	// set (SINTER).
	Intersect(ctx context.Context, others ...SetAPI[T]) ([]T, error)
	// Diff returns the members of the receiver that are in none of the
	// other sets (SDIFF).
	Diff(ctx context.Context, others ...SetAPI[T]) ([]T, error)
	// UnionStore replaces the receiver with the union of sources
	// (SUNIONSTORE) and returns its size.
	UnionStore(ctx context.Context, sources ...SetAPI[T]) (int64, error)
	// IntersectStore replaces the receiver with the intersection of sources
	// (SINTERSTORE) and returns its size.
	IntersectStore(ctx context.Context, sources ...SetAPI[T]) (int64, error)
	// DiffStore replaces the receiver with the first source minus the others
	// (SDIFFSTORE) and returns its size.
	DiffStore(ctx context.Context, sources ...SetAPI[T]) (int64, error)
	// IntersectSize returns the size of the intersection of the receiver and
	// others (SINTERCARD), counting at most limit members when limit > 0.
	IntersectSize(ctx context.Context, limit int64, others ...SetAPI[T]) (int64, error)
	// Pop removes and returns up to n random members (SPOP); it is never
	// retried once sent.
	Pop(ctx context.Context, n int64) ([]T, error)
	// Random returns up to n distinct random members without removing them
	// (SRANDMEMBER).
	Random(ctx context.Context, n int64) ([]T, error)
	// Move moves m from the receiver to dst (SMOVE) and reports whether it
	// was a member; it is never retried once sent.
	Move(ctx context.Context, dst SetAPI[T], m T) (bool, error)
	// Expire sets the set's time to live (PEXPIRE) and reports whether the
	// set exists.
	Expire(ctx context.Context, ttl time.Duration) (bool, error)
	// TTL returns the set's remaining time to live (PTTL): NoExpiry when it
	// has none, NoKey when it does not exist.
	TTL(ctx context.Context) (time.Duration, error)
}

var _ SetAPI[string] = (*Set[string])(nil)

// TTLSetAPI is the interface of a TTL set of T (see TTLSet): setgen -ttl
// names it per type (type SessionTTLSetAPI = runtime.TTLSetAPI[Session])
// and generates its mock. It lists every exported method of *TTLSet[T].
type TTLSetAPI[T any] interface {
	// Key returns the set's full key, Options.KeyPrefix included.
	Key() string
	// Manager returns the ConnectionManager the set belongs to.
	Manager() *ConnectionManager
	// Add adds members, or refreshes their expiry, to expire ttl from now
	// on the server's clock, and returns how many were not live members;
	// ttl <= 0 is ErrInvalidArgument.
	Add(ctx context.Context, ttl time.Duration, members ...T) (int64, error)
	// Remove removes members and returns how many were live.
	Remove(ctx context.Context, members ...T) (int64, error)
	// Contains reports whether m is a live member; client-side cached, and
	// a cached answer turns false when m's expiry passes, with no round trip.
	Contains(ctx context.Context, m T) (bool, error)
	// ContainsMany is Contains for each of ms, in order.
	ContainsMany(ctx context.Context, ms ...T) ([]bool, error)
	// TTLOf returns m's remaining time to live; NoKey when m is not a live
	// member.
	TTLOf(ctx context.Context, m T) (time.Duration, error)
	// Members returns the live members.
	Members(ctx context.Context) ([]T, error)
	// All iterates over the live members.
	All(ctx context.Context) iter.Seq2[T, error]
	// Size returns the number of live members, without reading them.
	Size(ctx context.Context) (int64, error)
	// Clear deletes the set.
	Clear(ctx context.Context) error
	// Purge removes the expired members now and returns how many.
	Purge(ctx context.Context) (int64, error)
	// Union returns the live members of the receiver and of every other set.
	Union(ctx context.Context, others ...TTLSetAPI[T]) ([]T, error)
	// Intersect returns the live members of the receiver live in every other set.
	Intersect(ctx context.Context, others ...TTLSetAPI[T]) ([]T, error)
	// Diff returns the live members of the receiver live in none of the others.
	Diff(ctx context.Context, others ...TTLSetAPI[T]) ([]T, error)
	// IntersectSize returns the size of Intersect, at most limit when limit > 0.
	IntersectSize(ctx context.Context, limit int64, others ...TTLSetAPI[T]) (int64, error)
}

var _ TTLSetAPI[string] = (*TTLSet[string])(nil)

// setName is the name of the generated set type of T, for errors from a
// nil *Set[T] (which carries no name): "users.UserSet" for users.User.
func setName[T any]() string {
	t := reflect.TypeFor[T]()
	if t.Name() == "" || t.PkgPath() == "" {
		return "runtime.Set[" + t.String() + "]"
	}
	return t.String() + "Set"
}
