package runtime

import (
	"errors"
	"fmt"
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

// memberBuf holds one member being encoded on the hot path (Contains,
// …): a copy of the value, so that the caller's stays on its stack (the
// codec is called through an interface, which would move it to the heap),
// and the buffer it is encoded into. The encoding is handed to rueidis as
// a string that aliases the buffer, without a copy; rueidis copies what it
// keeps (the cache key), so the buffer is reused once the call has its
// reply. Each Set pools its own.
type memberBuf[T any] struct {
	v   T
	b   []byte
	str string
}

// maxPooledBuf keeps huge members' buffers out of the pool.
const maxPooledBuf = 64 << 10

// encodeMember encodes v into a pooled buffer. The caller must call
// release once the command that carries it has been answered.
func (s *Set[T]) encodeMember(v *T) (*memberBuf[T], error) {
	mb, _ := s.bufs.Get().(*memberBuf[T])
	if mb == nil {
		mb = &memberBuf[T]{b: make([]byte, 0, 256)}
	}
	mb.v = *v
	b, err := s.codec.Append(mb.b[:0], &mb.v)
	if err != nil {
		s.release(mb, nil)
		return nil, encodeErr(err)
	}
	mb.b = b
	mb.str = unsafe.String(unsafe.SliceData(b), len(b))
	return mb, nil
}

// release returns mb to the pool, unless err says the command may not
// have been written yet (a cancelled or timed-out call returns while it
// is still queued): then the buffer is left to the GC, so nothing can
// overwrite bytes that are still to be sent.
func (s *Set[T]) release(mb *memberBuf[T], err error) {
	if err != nil {
		if _, isRedis := rueidis.IsRedisErr(err); !isRedis {
			return
		}
	}
	if cap(mb.b) > maxPooledBuf {
		return
	}
	var zero T
	mb.v, mb.str = zero, "" // hold no references while pooled
	s.bufs.Put(mb)
}

func encodeErr(err error) error {
	if errors.Is(err, ErrEncode) {
		return err
	}
	return fmt.Errorf("%w: %w", ErrEncode, err)
}

// encodeAll encodes members into one arena and returns strings that alias
// it: one allocation per arena instead of one per member. The arena is
// never written below its length again, so the strings stay valid. base
// is the index of members[0] in the caller's arguments, for errors.
func (s *Set[T]) encodeAll(members []T, base int) ([]string, error) {
	out := make([]string, len(members))
	var arena []byte
	for i := range members {
		if cap(arena)-len(arena) < 512 {
			// Room for the rest at the average size so far, at least 4 KB.
			avg := 64
			if i > 0 && len(arena) > 0 {
				avg = len(arena)/i + 1
			}
			arena = make([]byte, 0, max(4096, min(avg*(len(members)-i), 1<<20)))
		}
		// Append into the arena's free part: if the codec grows it, only
		// this member's bytes move, into an array of their own.
		free := arena[len(arena):]
		b, err := s.codec.Append(free, &members[i])
		if err != nil {
			return nil, fmt.Errorf("member %d: %w", base+i, encodeErr(err))
		}
		if len(b) > 0 && cap(free) > 0 && unsafe.SliceData(b) == unsafe.SliceData(free) && len(b) <= cap(free) {
			arena = arena[:len(arena)+len(b)] // written in place: keep it
		}
		out[i] = unsafe.String(unsafe.SliceData(b), len(b))
	}
	return out, nil
}

// decodeMember decodes one stored member without copying it.
func (s *Set[T]) decodeMember(raw string, v *T) error {
	return s.codec.Decode(unsafe.Slice(unsafe.StringData(raw), len(raw)), v)
}
