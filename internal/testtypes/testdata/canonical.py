"""setgen's canonical MessagePack, from Python, checked against setgen itself.

Run by internal/testtypes/interop_test.go: python3 canonical.py PORT
It writes members that setgen's Contains must find, one that setgen must
reject, and prints (as JSON) the members that setgen wrote.
"""
import datetime
import json
import sys

import msgpack
import redis

# --- canonical: this block is quoted in the README ---
class Struct(dict):
    """A Go struct: its fields at their zero value are left out."""


def canonical(value):
    """Return the one MessagePack encoding setgen stores for value."""
    return msgpack.packb(_canon(value), use_bin_type=True)


def _canon(v):
    if isinstance(v, Struct):
        fields = ((k, _canon(x)) for k, x in v.items())
        return dict(sorted(((k, x) for k, x in fields if not _zero(x)), key=lambda kv: kv[0].encode()))
    if isinstance(v, dict):  # a Go map: every entry, keys in ascending order
        return dict(sorted(((k, _canon(x)) for k, x in v.items()), key=lambda kv: _order(kv[0])))
    if isinstance(v, (list, tuple)):
        return [_canon(x) for x in v]
    if isinstance(v, float):
        if v != v:
            raise ValueError("NaN: setgen stores it as the bytes cb 7f f8 00 00 00 00 00 01")
        return v + 0.0  # -0.0 becomes 0.0
    if isinstance(v, datetime.datetime):  # must carry a timezone
        return msgpack.Timestamp.from_datetime(v)
    return v


def _order(k):
    return k.encode() if isinstance(k, str) else k


def _zero(x):
    return x is None or x is False or x == 0 and not isinstance(x, bool) or (
        isinstance(x, (str, bytes, list, dict)) and len(x) == 0)
# --- end canonical ---


def main():
    r = redis.Redis(host="127.0.0.1", port=int(sys.argv[1]))
    utc = datetime.timezone.utc
    ann = Struct(id="py-ann", name="Ann", joined=datetime.datetime(2026, 12, 2, 9, 30, tzinfo=utc),
                 scores={"redis": 8, "go": 9, "zero": 0})
    bob = Struct(id="py-bob", name="", joined=None, scores={})  # zero fields are left out
    r.sadd("py:users", canonical(ann), canonical(bob))
    # What msgpack.packb writes by itself: keys in declaration order.
    r.sadd("py:bad", msgpack.packb({"id": "py-ann", "name": "Ann", "joined": msgpack.Timestamp(0, 5)}))
    out = []
    for m in r.smembers("go:users"):
        v = msgpack.unpackb(m)  # timestamps as msgpack.Timestamp: nanoseconds kept
        if canonical(Struct(v)) != m:
            raise SystemExit("canonical() does not reproduce setgen's bytes: %r" % m)
        if "joined" in v:
            v["joined"] = v["joined"].to_datetime().isoformat()
        out.append(v)
    print(json.dumps(sorted(out, key=lambda v: v["id"])))


if __name__ == "__main__":
    main()
