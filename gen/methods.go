package gen

import "github.com/dave/jennifer/jen"

// The method table of generated sets: one entry per method of the generated set,
// rendered three times (interface, forwarding method, mock) from here.

type pkind int

const (
	pCtx      pkind = iota // ctx context.Context
	pElem                  // m T
	pElems                 // ms ...T
	pSets                  // others ...*TSet
	pSet                   // dst *TSet
	pInt64                 // n int64
	pDuration              // ttl time.Duration
)

type param struct {
	name string
	kind pkind
}

type rkind int

const (
	rInt64 rkind = iota
	rBool
	rBools
	rElems
	rSeq
	rDuration
	rString
	rError
)

type method struct {
	name    string
	doc     string
	params  []param
	results []rkind
}

var ctxParam = param{"ctx", pCtx}

var methods = []method{
	{"Key", "Key returns the set's full key, Options.KeyPrefix included.", nil, []rkind{rString}},
	{"Add", "Add adds members (SADD) and returns how many were not already present. Add(ctx) does nothing.",
		[]param{ctxParam, {"members", pElems}}, []rkind{rInt64, rError}},
	{"Remove", "Remove removes members (SREM) and returns how many were present. Remove(ctx) does nothing.",
		[]param{ctxParam, {"members", pElems}}, []rkind{rInt64, rError}},
	{"Contains", "Contains reports whether m is a member (SISMEMBER), served from the client-side cache when possible.",
		[]param{ctxParam, {"m", pElem}}, []rkind{rBool, rError}},
	{"ContainsMany", "ContainsMany reports for each of ms, in order, whether it is a member (SMISMEMBER), served from the client-side cache when possible.",
		[]param{ctxParam, {"ms", pElems}}, []rkind{rBools, rError}},
	{"Members", "Members returns every member (SMEMBERS semantics, read with SSCAN: atomically when the set fits one reply, else in batches that never block the server). Members that do not decode are reported in an error wrapping runtime.ErrDecode, beside the others.",
		[]param{ctxParam}, []rkind{rElems, rError}},
	{"All", "All iterates over the members with SSCAN, in constant memory.",
		[]param{ctxParam}, []rkind{rSeq}},
	{"Size", "Size returns the number of members (SCARD).", []param{ctxParam}, []rkind{rInt64, rError}},
	{"Clear", "Clear deletes the set (UNLINK).", []param{ctxParam}, []rkind{rError}},
	{"Union", "Union returns the members of the receiver and of every other set (SUNION).",
		[]param{ctxParam, {"others", pSets}}, []rkind{rElems, rError}},
	{"Intersect", "Intersect returns the members of the receiver that are in every other set (SINTER).",
		[]param{ctxParam, {"others", pSets}}, []rkind{rElems, rError}},
	{"Diff", "Diff returns the members of the receiver that are in none of the other sets (SDIFF).",
		[]param{ctxParam, {"others", pSets}}, []rkind{rElems, rError}},
	{"UnionStore", "UnionStore replaces the receiver with the union of sources (SUNIONSTORE) and returns its size.",
		[]param{ctxParam, {"sources", pSets}}, []rkind{rInt64, rError}},
	{"IntersectStore", "IntersectStore replaces the receiver with the intersection of sources (SINTERSTORE) and returns its size.",
		[]param{ctxParam, {"sources", pSets}}, []rkind{rInt64, rError}},
	{"DiffStore", "DiffStore replaces the receiver with the first source minus the others (SDIFFSTORE) and returns its size.",
		[]param{ctxParam, {"sources", pSets}}, []rkind{rInt64, rError}},
	{"IntersectSize", "IntersectSize returns the size of the intersection of the receiver and others (SINTERCARD), counting at most limit members when limit > 0.",
		[]param{ctxParam, {"limit", pInt64}, {"others", pSets}}, []rkind{rInt64, rError}},
	{"Pop", "Pop removes and returns up to n random members (SPOP); it is never retried once sent.",
		[]param{ctxParam, {"n", pInt64}}, []rkind{rElems, rError}},
	{"Random", "Random returns up to n distinct random members without removing them (SRANDMEMBER).",
		[]param{ctxParam, {"n", pInt64}}, []rkind{rElems, rError}},
	{"Move", "Move moves m from the receiver to dst (SMOVE) and reports whether it was a member; it is never retried once sent.",
		[]param{ctxParam, {"dst", pSet}, {"m", pElem}}, []rkind{rBool, rError}},
	{"Expire", "Expire sets the set's time to live (PEXPIRE) and reports whether the set exists.",
		[]param{ctxParam, {"ttl", pDuration}}, []rkind{rBool, rError}},
	{"TTL", "TTL returns the set's remaining time to live (PTTL): runtime.NoExpiry when it has none, runtime.NoKey when it does not exist.",
		[]param{ctxParam}, []rkind{rDuration, rError}},
}

// sig holds what rendering a method needs about the element type.
type sig struct {
	elem    jen.Code // T, qualified as the file needs
	setType jen.Code // TSet, qualified as the file needs
}

func (s sig) paramType(k pkind) *jen.Statement {
	switch k {
	case pCtx:
		return jen.Qual("context", "Context")
	case pElem:
		return jen.Add(s.elem)
	case pElems:
		return jen.Op("...").Add(s.elem)
	case pSets:
		return jen.Op("...").Op("*").Add(s.setType)
	case pSet:
		return jen.Op("*").Add(s.setType)
	case pInt64:
		return jen.Int64()
	default:
		return jen.Qual("time", "Duration")
	}
}

func (s sig) resultType(k rkind) *jen.Statement {
	switch k {
	case rInt64:
		return jen.Int64()
	case rBool:
		return jen.Bool()
	case rBools:
		return jen.Index().Bool()
	case rElems:
		return jen.Index().Add(s.elem)
	case rSeq:
		return jen.Qual("iter", "Seq2").Types(s.elem, jen.Error())
	case rDuration:
		return jen.Qual("time", "Duration")
	case rString:
		return jen.String()
	default:
		return jen.Error()
	}
}

func (s sig) params(m method) []jen.Code {
	out := make([]jen.Code, len(m.params))
	for i, p := range m.params {
		out[i] = jen.Id(p.name).Add(s.paramType(p.kind))
	}
	return out
}

func (s sig) results(m method) []jen.Code {
	out := make([]jen.Code, len(m.results))
	for i, r := range m.results {
		out[i] = s.resultType(r)
	}
	return out
}
