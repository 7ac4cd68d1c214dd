package setmock

import (
	"bytes"
	"fmt"

	"go.uber.org/mock/gomock"

	"github.com/setgen/setgen/runtime"
)

// Eq returns a gomock matcher of the values that a set treats as the same
// member as v: those whose canonical encoding by codec is v's. gomock's own
// equality is reflect.DeepEqual, under which the same instant in two time
// zones, or a nil and an empty map, differ. The generated mock packages
// name it per type: usersmock.EqUser(alice).
func Eq[T any](codec runtime.Codec[T], v T) gomock.Matcher {
	b, err := codec.Append(nil, &v)
	return eqMatcher[T]{codec: codec, want: b, err: err, v: v}
}

type eqMatcher[T any] struct {
	codec runtime.Codec[T]
	want  []byte
	err   error
	v     T
}

// Matches reports whether x is a T that encodes to the same bytes as v.
func (m eqMatcher[T]) Matches(x any) bool {
	y, ok := x.(T)
	if !ok || m.err != nil {
		return false
	}
	b, err := m.codec.Append(nil, &y)
	return err == nil && bytes.Equal(b, m.want)
}

// String describes the matcher in gomock's failure messages.
func (m eqMatcher[T]) String() string {
	if m.err != nil {
		return fmt.Sprintf("the same member as %+v (which does not encode: %v)", m.v, m.err)
	}
	return fmt.Sprintf("the same member as %+v", m.v)
}
