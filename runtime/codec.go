package runtime

import (
	"errors"
	"fmt"
	"sync"
	"unsafe"

	"github.com/redis/rueidis"

	"github.com/setgen/setgen/runtime/codec"
)

// Codec converts set members to and from their stored bytes; setgen
// generates one for every annotated type (UserCodec for User). See package
// github.com/setgen/setgen/runtime/codec for the canonical form.
type Codec[T any] = codec.Codec[T]

// MaxDepth bounds how deeply structs may nest in a member, when encoding (a
// cycle through pointers is an ErrEncode error, not a crash) and decoding.
const MaxDepth = codec.MaxDepth

// Buffers for encoding one member on the hot path (Contains, Move, …): a
// member is encoded into a pooled buffer and handed to rueidis as a string
// that aliases it, without a copy. rueidis copies what it keeps (the cache
// key), so the buffer goes back to the pool once the call has its reply.
var memberBufs = sync.Pool{New: func() any { b := make([]byte, 0, 256); return &b }}

// maxPooledBuf keeps huge members' buffers out of the pool.
const maxPooledBuf = 64 << 10

// member is one encoded member backed by a pooled buffer.
type member struct {
	s   string
	buf *[]byte
}

// encodeMember encodes v into a pooled buffer. The caller must call
// release once the command that carries it has been answered.
func (s *Set[T]) encodeMember(v *T) (member, error) {
	bp := memberBufs.Get().(*[]byte)
	b, err := s.codec.Append((*bp)[:0], v)
	if err != nil {
		memberBufs.Put(bp)
		return member{}, encodeErr(err)
	}
	*bp = b
	return member{s: unsafe.String(unsafe.SliceData(b), len(b)), buf: bp}, nil
}

// release returns the member's buffer to the pool, unless err says the
// command may not have been written yet (a cancelled or timed-out call
// returns while it is still queued): then the buffer is left to the GC, so
// nothing can overwrite bytes that are still to be sent.
func (m member) release(err error) {
	if m.buf == nil || cap(*m.buf) > maxPooledBuf {
		return
	}
	if err != nil {
		if _, isRedis := rueidis.IsRedisErr(err); !isRedis {
			return
		}
	}
	memberBufs.Put(m.buf)
}

func encodeErr(err error) error {
	if errors.Is(err, ErrEncode) {
		return err
	}
	return fmt.Errorf("%w: %w", ErrEncode, err)
}

// encodeAll encodes members into one arena and returns strings that alias
// it: one allocation for the arena (and its growth) instead of one per
// member. The arena is never written below its length again, so the
// strings stay valid.
func (s *Set[T]) encodeAll(members []T) ([]string, error) {
	out := make([]string, len(members))
	var arena []byte
	for i := range members {
		if cap(arena)-len(arena) < 64 {
			// Room for the rest at the average size so far, at least 4 KB.
			avg := 64
			if i > 0 && len(arena) > 0 {
				avg = len(arena)/i + 1
			}
			arena = make([]byte, 0, max(4096, min(avg*(len(members)-i), 1<<20)))
		}
		start := len(arena)
		b, err := s.codec.Append(arena, &members[i])
		if err != nil {
			return nil, fmt.Errorf("member %d: %w", i, encodeErr(err))
		}
		if cap(b) != cap(arena) {
			start = 0 // append moved the arena: this member starts a new one
			b = b[len(arena):]
		}
		arena = b
		m := arena[start:]
		out[i] = unsafe.String(unsafe.SliceData(m), len(m))
	}
	return out, nil
}

// decodeMember decodes one stored member without copying it.
func (s *Set[T]) decodeMember(raw string, v *T) error {
	return s.codec.Decode(unsafe.Slice(unsafe.StringData(raw), len(raw)), v)
}
