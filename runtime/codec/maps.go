package codec

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"slices"
)

// Entry is one entry of a map being encoded.
type Entry[K cmp.Ordered, V any] struct {
	Key K
	Val V
}

// SortedEntries appends m's entries to buf in ascending key order and
// returns it. Generated encoders pass a small array on their stack as buf,
// so maps of up to its size are sorted without allocating. Float keys go
// through SortedFloatEntries.
func SortedEntries[M ~map[K]V, K cmp.Ordered, V any](m M, buf []Entry[K, V]) []Entry[K, V] {
	for k, v := range m {
		buf = append(buf, Entry[K, V]{k, v})
	}
	if len(buf) <= 12 {
		// Insertion sort: the common, small maps, without the indirect calls of a sort.
		for i := 1; i < len(buf); i++ {
			for j := i; j > 0 && cmp.Less(buf[j].Key, buf[j-1].Key); j-- {
				buf[j], buf[j-1] = buf[j-1], buf[j]
			}
		}
		return buf
	}
	slices.SortFunc(buf, func(a, b Entry[K, V]) int { return cmp.Compare(a.Key, b.Key) })
	return buf
}

// Appender appends the encoding of one value at the given struct depth.
type Appender[T any] func(b []byte, v T, depth int) ([]byte, error)

// AppendMapByKeyBytes appends m with its entries in ascending order of
// their encoded keys' bytes: the canonical order for key types that are not
// ordered (bools, structs, arrays, times, marshalers).
func AppendMapByKeyBytes[M ~map[K]V, K comparable, V any](b []byte, m M, depth int, ak Appender[K], av Appender[V]) ([]byte, error) {
	type entry struct {
		start, end int
		val        V
	}
	var scratch []byte
	entries := make([]entry, 0, len(m))
	for k, v := range m { // the value is kept: m[k] finds nothing for a key holding a NaN
		start := len(scratch)
		var err error
		if scratch, err = ak(scratch, k, depth); err != nil {
			return b, err
		}
		entries = append(entries, entry{start, len(scratch), v})
	}
	slices.SortFunc(entries, func(x, y entry) int {
		return bytes.Compare(scratch[x.start:x.end], scratch[y.start:y.end])
	})
	for i := 1; i < len(entries); i++ {
		if bytes.Equal(scratch[entries[i-1].start:entries[i-1].end], scratch[entries[i].start:entries[i].end]) {
			// Distinct Go keys that are one stored key (a time in two zones,
			// a struct differing only in a field that is not stored).
			return b, &EncodeError{Err: fmt.Errorf("two map keys encode as the same bytes %x", scratch[entries[i].start:entries[i].end])}
		}
	}
	b = AppendMapHeader(b, len(entries))
	for _, e := range entries {
		b = append(b, scratch[e.start:e.end]...)
		var err error
		if b, err = av(b, e.val, depth); err != nil {
			return b, err
		}
	}
	return b, nil
}

// SortedFloatEntries is SortedEntries for float keys: a NaN key, which
// cannot be ordered (nor looked up), is an ErrEncode error.
func SortedFloatEntries[M ~map[K]V, K ~float32 | ~float64, V any](m M, buf []Entry[K, V]) ([]Entry[K, V], error) {
	for k := range m {
		if k != k {
			return nil, &EncodeError{Err: errors.New("a NaN map key")}
		}
	}
	return SortedEntries(m, buf), nil
}
