package codec

import (
	"bytes"
	"fmt"
	"io"
	"sync"

	"github.com/vmihailenco/msgpack/v5"
)

// Rejected is the error for a value whose UnmarshalBinary or UnmarshalText
// refused the bytes stored at offset at.
func Rejected(at int, err error) error {
	return &SyntaxError{Offset: at, Msg: "the type's unmarshaler refused the bytes: " + err.Error()}
}

// SameBytes checks that stored, the bytes a marshaler decoded at offset at,
// are what the decoded value marshals back to (again, err from that
// marshaling): anything else is a second encoding of one value.
func SameBytes(at int, stored, again []byte, err error) error {
	if err != nil {
		return &SyntaxError{Offset: at, Msg: "the decoded value does not marshal: " + err.Error()}
	}
	if !bytes.Equal(stored, again) {
		return &SyntaxError{Offset: at, Msg: fmt.Sprintf("not canonical: %q marshals back as %q", stored, again)}
	}
	return nil
}

// appendWriter lets a msgpack.Encoder append to a caller's buffer.
type appendWriter struct{ b []byte }

func (w *appendWriter) Write(p []byte) (int, error) { w.b = append(w.b, p...); return len(p), nil }
func (w *appendWriter) WriteByte(c byte) error      { w.b = append(w.b, c); return nil }

// customEncoder is a pooled msgpack.Encoder writing to its appendWriter.
type customEncoder struct {
	w   appendWriter
	enc *msgpack.Encoder
}

var customEncoders = sync.Pool{New: func() any {
	c := &customEncoder{}
	c.enc = msgpack.NewEncoder(&c.w)
	c.enc.SetSortMapKeys(true)
	return c
}}

// AppendCustom appends v encoded by its msgpack/v5 EncodeMsgpack method,
// with map keys sorted where msgpack/v5 can sort them. A type that encodes
// itself is responsible for writing one encoding per value; Decode checks
// that what it reads encodes back to the same bytes.
func AppendCustom(b []byte, v msgpack.CustomEncoder) ([]byte, error) {
	c := customEncoders.Get().(*customEncoder)
	c.w.b = b
	err := v.EncodeMsgpack(c.enc)
	b, c.w.b = c.w.b, nil
	customEncoders.Put(c)
	if err != nil {
		return b, EncodeFailed(err)
	}
	return b, nil
}

// customValue is what DecodeCustom needs: the type decodes and encodes itself.
type customValue interface {
	msgpack.CustomDecoder
	msgpack.CustomEncoder
}

// DecodeCustom decodes the next value into v with its DecodeMsgpack method
// and checks that v encodes back to the same bytes.
func DecodeCustom(r *Reader, v customValue) error {
	start := r.i
	rd := bytes.NewReader(r.b[r.i:])
	dec := msgpack.GetDecoder()
	defer msgpack.PutDecoder(dec)
	dec.Reset(rd)
	if err := v.DecodeMsgpack(dec); err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return r.eof("a value")
		}
		return Rejected(start, err)
	}
	end := len(r.b) - rd.Len()
	again, err := AppendCustom(nil, v)
	if err := SameBytes(start, r.b[start:end], again, err); err != nil {
		return err
	}
	r.i = end
	return nil
}
