#!/usr/bin/env python3
"""Usage: python3 internal/bench/pairs.py results/pairs-codec-set.txt

Paired medians: for each repetition k (k-th occurrence of each benchmark
name in the file), compute ratios between benchmarks measured in the same
repetition, then report the median of each figure and of each ratio."""
import re, sys, statistics as st
from collections import defaultdict
vals = defaultdict(list)   # name -> [(ns/op, {metric: value})]
for path in sys.argv[1:]:
    for line in open(path):
        m = re.match(r'^(Benchmark\S+?)(-\d+)?\s+\d+\s+(.*)$', line)
        if not m: continue
        name, rest = m.group(1), m.group(3)
        metrics = {u: float(v) for v, u in re.findall(r'([\d.]+) (\S+)', rest)}
        vals[name].append(metrics)
def med(name, unit='ns/op'):
    return st.median(x[unit] for x in vals[name])
for name, xs in vals.items():
    ns = [x['ns/op'] for x in xs]
    extra = ''
    if 'members/s' in xs[0]:
        extra = ' members/s median %.0f (min %.0f max %.0f)' % (st.median(x['members/s'] for x in xs), min(x['members/s'] for x in xs), max(x['members/s'] for x in xs))
    print('%-70s n=%d median %10.1f ns/op (min %.1f max %.1f) allocs %s%s' % (name, len(xs), st.median(ns), min(ns), max(ns), xs[0].get('allocs/op'), extra))
def ratio(a, b, label):
    # a / b in time per op; for throughput comparisons that is b's speed-up over a
    pa, pb = vals[a], vals[b]
    n = min(len(pa), len(pb))
    r = [pa[i]['ns/op'] / pb[i]['ns/op'] for i in range(n)]
    print('%-60s paired median %.3f (per run: %s)' % (label, st.median(r), ' '.join('%.2f' % x for x in r)))
pairs = [
    ('BenchmarkCodec/Encode/setgen', 'BenchmarkCodec/Encode/msgp',
     'encode time: setgen / tinylib/msgp, reused buffer (goal <= 1.0)'),
    ('BenchmarkCodec/Decode/setgen', 'BenchmarkCodec/Decode/msgp',
     'decode time: setgen / tinylib/msgp (goal <= 1.0)'),
    ('BenchmarkCodec/Encode/setgen-nil-buffer', 'BenchmarkCodec/Encode/msgp-nil-buffer',
     'encode time into a nil buffer: setgen / msgp'),
    ('BenchmarkCodec/Encode/setgen', 'BenchmarkCodec/Encode/msgpack-v5-reflect',
     'encode time: setgen / msgpack/v5 Marshal'),
    ('BenchmarkCodec/Decode/setgen', 'BenchmarkCodec/Decode/msgpack-v5-reflect',
     'decode time: setgen / msgpack/v5 Unmarshal'),
    ('BenchmarkSet/Contains/cached-hit/setgen', 'BenchmarkSet/Contains/cached-hit/rueidis-DoCache-preencoded',
     'cached hit time: setgen / raw DoCache pre-encoded (goal <= 1.5)'),
    ('BenchmarkSet/Contains/uncached/parallel32/rueidis-preencoded', 'BenchmarkSet/Contains/uncached/parallel32/setgen',
     'uncached, 32 goroutines, throughput: setgen / raw pre-encoded (goal >= 0.95)'),
    ('BenchmarkSet/Add100k/setgen', 'BenchmarkSet/Add100k/rueidis-preencoded',
     'Add 100k time: setgen / raw pre-encoded SADD batches (goal <= 1.1)'),
    ('BenchmarkSet/Members100k/setgen', 'BenchmarkSet/Members100k/rueidis-SMEMBERS+msgp',
     'Members 100k time: setgen / raw SMEMBERS + msgp decode (goal <= 1.1)'),
    ('BenchmarkSet/ContainsMany1000/cached/setgen', 'BenchmarkSet/ContainsMany1000/cached/rueidis-DoMultiCache-preencoded',
     'cached ContainsMany 1000 time: setgen / raw per-member DoMultiCache (goal <= 2)'),
    ('BenchmarkContains32/go-redis/SIsMember+msgpack.Marshal', 'BenchmarkContains32/setgen/Contains-uncached',
     'uncached, 32 goroutines, throughput: setgen / go-redis + msgpack.Marshal'),
    ('BenchmarkContains32/go-redis/SIsMember+msgpack.Marshal', 'BenchmarkContains32/rueidis/SISMEMBER-preencoded',
     'throughput: raw rueidis pre-encoded / go-redis (the ceiling of the line above)'),
]
for a, b, label in pairs:
    if a in vals and b in vals: ratio(a, b, label)
