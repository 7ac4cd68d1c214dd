package codec

import (
	"errors"
	"fmt"
	"strings"
)

var (
	// ErrDecode means bytes are not the canonical encoding of the type they
	// were decoded as. Every error from a Reader or a generated Decode wraps
	// it (as a *SyntaxError).
	ErrDecode = errors.New("setgen: member does not decode")

	// ErrEncode means a value cannot be encoded: it nests deeper than
	// MaxDepth, or a marshaler it holds failed.
	ErrEncode = errors.New("setgen: value does not encode")
)

// MaxDepth bounds how many levels structs may nest, when encoding (a cycle
// through pointers would otherwise recurse forever) and when decoding (a
// hostile member cannot exhaust the stack). Values nested deeper are an
// ErrEncode error and are never stored.
const MaxDepth = 1000

// SyntaxError says what is wrong with bytes being decoded and where. It
// wraps ErrDecode.
type SyntaxError struct {
	Offset int    // byte offset in the member where the problem was found
	Path   string // the struct fields, map keys or indexes leading there, e.g. "scores" or "projects[2].name"
	Msg    string // what is wrong
}

// Error formats as `at byte 12 (scores): map keys out of order`.
func (e *SyntaxError) Error() string {
	if e.Path == "" {
		return fmt.Sprintf("at byte %d: %s", e.Offset, e.Msg)
	}
	return fmt.Sprintf("at byte %d (%s): %s", e.Offset, e.Path, e.Msg)
}

// Unwrap returns ErrDecode.
func (e *SyntaxError) Unwrap() error { return ErrDecode }

// InField records that err happened inside the struct field name; generated
// decoders call it on their error path only.
func InField(err error, name string) error {
	var se *SyntaxError
	if errors.As(err, &se) {
		if se.Path == "" || strings.HasPrefix(se.Path, "[") {
			se.Path = name + se.Path
		} else {
			se.Path = name + "." + se.Path
		}
	}
	return err
}

// InIndex records that err happened at index i of an array or map.
func InIndex(err error, i int) error {
	var se *SyntaxError
	if errors.As(err, &se) {
		if se.Path == "" || strings.HasPrefix(se.Path, "[") {
			se.Path = fmt.Sprintf("[%d]%s", i, se.Path)
		} else {
			se.Path = fmt.Sprintf("[%d].%s", i, se.Path)
		}
	}
	return err
}

// EncodeError is returned by generated Append methods; it wraps ErrEncode
// and the cause.
type EncodeError struct {
	Path string // where in the value
	Err  error  // why
}

// Error formats as `field.path: cause`.
func (e *EncodeError) Error() string {
	if e.Path == "" {
		return e.Err.Error()
	}
	return e.Path + ": " + e.Err.Error()
}

// Unwrap returns ErrEncode and the cause.
func (e *EncodeError) Unwrap() []error { return []error{ErrEncode, e.Err} }

var errTooDeep = fmt.Errorf("nested deeper than MaxDepth (%d): a cycle through pointers?", MaxDepth)

// TooDeep returns the error for a value nested deeper than MaxDepth.
func TooDeep() error { return &EncodeError{Err: errTooDeep} }

// EncodeFailed wraps the error of a marshaler a value holds.
func EncodeFailed(err error) error {
	var ee *EncodeError
	if errors.As(err, &ee) {
		return err
	}
	return &EncodeError{Err: err}
}

// EncodeInField records that err happened inside the struct field name.
func EncodeInField(err error, name string) error {
	var ee *EncodeError
	if errors.As(err, &ee) {
		if ee.Path == "" {
			ee.Path = name
		} else {
			ee.Path = name + "." + ee.Path
		}
		return err
	}
	return &EncodeError{Path: name, Err: err}
}
