package codec

// Codec converts values of T to and from their stored bytes. setgen
// generates one for every annotated type (UserCodec for User). It must be
// canonical: equal values give identical bytes, because Redis compares
// members byte by byte, and Decode accepts nothing but those bytes.
type Codec[T any] interface {
	// Append appends v's canonical encoding to dst and returns the
	// extended buffer. Errors wrap ErrEncode.
	Append(dst []byte, v *T) ([]byte, error)
	// Decode sets *v to the value src encodes. Anything but the canonical
	// encoding of one value is an error wrapping ErrDecode.
	Decode(src []byte, v *T) error
}
