#!/usr/bin/env python3
"""Usage: python3 internal/bench/pairs.py runtime.txt goredis.txt

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
    ('BenchmarkRuntime/Contains/uncached/parallel32/rueidis',
     'BenchmarkRuntime/Contains/uncached/parallel32/typed',
     'typed/raw throughput, uncached, 32 goroutines (goal >= 0.9)'),
    ('BenchmarkRuntime/Contains/cached-hit/typed',
     'BenchmarkRuntime/Contains/cached-hit/rueidis-preencoded',
     'cached hit: typed / raw DoCache pre-encoded (time ratio)'),
    ('BenchmarkRuntime/Contains/cached-hit/typed',
     'BenchmarkRuntime/Contains/cached-hit/rueidis+runtime.Marshal',
     'cached hit: typed / raw DoCache+canonical encode (goal <= 1.5)'),
    ('BenchmarkRuntime/Contains/cached-hit/typed',
     'BenchmarkRuntime/Contains/cached-hit/rueidis+msgpack.Marshal',
     'cached hit: typed / raw DoCache+msgpack.Marshal (goal <= 1.5)'),
    ('BenchmarkRuntime/Contains/uncached/serial/typed',
     'BenchmarkRuntime/Contains/cached-hit/typed',
     'uncached round trip / cached hit, typed (goal >= 50)'),
    ('BenchmarkRuntime/Contains/uncached/serial/rueidis',
     'BenchmarkRuntime/Contains/cached-hit/typed',
     'raw uncached round trip / typed cached hit'),
    ('BenchmarkRuntime/Add100k/typed',
     'BenchmarkRuntime/Add100k/rueidis-preencoded',
     'Add100k time: typed / raw pre-encoded'),
    ('BenchmarkCodec/Encode/msgpack-sorted',
     'BenchmarkCodec/Encode/setgen',
     'encode speedup: msgpack(SetSortMapKeys, reused) / setgen'),
    ('BenchmarkCodec/Encode/msgpack.Marshal',
     'BenchmarkCodec/Encode/setgen',
     'encode speedup: msgpack.Marshal / setgen'),
    ('BenchmarkCodec/Decode/msgpack.Unmarshal',
     'BenchmarkCodec/Decode/setgen',
     'decode speedup: msgpack.Unmarshal / setgen'),
    ('BenchmarkContains32/go-redis/SIsMember+msgpack.Marshal',
     'BenchmarkContains32/setgen/Contains-uncached',
     'typed uncached vs go-redis throughput (goal >= 2)'),
    ('BenchmarkContains32/go-redis/SIsMember+msgpack.Marshal',
     'BenchmarkContains32/setgen/Contains-cached',
     'typed cached (hits) vs go-redis throughput'),
    ('BenchmarkRuntime/Contains/uncached/parallel32/rueidis+runtime.Marshal',
     'BenchmarkRuntime/Contains/uncached/parallel32/typed',
     'typed/(raw+canonical encode) throughput, uncached, 32 goroutines'),
    ('BenchmarkRuntime/Contains/uncached/parallel32/rueidis',
     'BenchmarkRuntime/Contains/uncached/parallel32/rueidis+runtime.Marshal',
     '(raw+encode)/raw throughput, 32 goroutines'),
    ('BenchmarkContains32/go-redis/SIsMember+msgpack.Marshal',
     'BenchmarkContains32/rueidis/SISMEMBER-preencoded',
     'raw rueidis pre-encoded vs go-redis throughput (ceiling)'),
    ('BenchmarkContains32/rueidis/SISMEMBER-preencoded',
     'BenchmarkContains32/setgen/Contains-uncached',
     'typed/raw throughput (nested module run)'),
]
for a, b, label in pairs:
    if a in vals and b in vals: ratio(a, b, label)
