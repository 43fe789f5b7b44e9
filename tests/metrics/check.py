#!/usr/bin/env python3
"""Checks for the metrics test (run.sh): a statsD listener, the statsD
lines against the /metrics page, and the Grafana dashboard's queries
against the families the page exports.

  check.py port                       a free TCP port on 127.0.0.1
  check.py listen PORT OUT            receive statsD datagrams until SIGTERM
  check.py statsd OUT PAGE PREFIX     every line parses and matches the page
  check.py dashboard JSON PAGE        every metric a query names is exported;
                                      prints the queries, one a line
"""
import json
import re
import signal
import socket
import sys

# Families whose counters move while the test runs (the loop ticks, the
# push itself): their statsD sums may trail the page, never pass it.
MOVING = ("weir_loop_duration_seconds", "weir_statsd_")
LINE = re.compile(r"^([A-Za-z0-9_.-]+):(-?[0-9.e+-]+)\|(c|g)(?:\|@([0-9.]+))?$")
SERIES = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    print(s.getsockname()[1])
    s.close()


def listen(port, out):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", int(port)))
    sock.settimeout(0.2)
    open(out + ".ready", "w").close()
    datagrams = []
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    while not stop:
        try:
            data = sock.recv(65536)
        except socket.timeout:
            continue
        datagrams.append(data.decode("utf-8", "replace"))
    with open(out, "w") as f:
        json.dump(datagrams, f)


def read_page(path):
    """{family: type}, [(name, {label: value}, value)]"""
    types, series = {}, []
    for line in open(path):
        line = line.rstrip("\n")
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            types[name] = kind
        elif line and not line.startswith("#"):
            m = SERIES.match(line)
            if not m:
                fail("page: cannot read '%s'" % line)
            labels = dict((k, v) for k, v in LABEL.findall(m.group(3) or ""))
            series.append((m.group(1), labels, float(m.group(4))))
    return types, series


def family_of(name, types):
    for suffix in ("_bucket", "_sum", "_count"):
        base = name[: -len(suffix)]
        if name.endswith(suffix) and types.get(base) == "histogram":
            return base
    return name


def part(value):
    return re.sub(r"[^A-Za-z0-9-]", "_", value)


def statsd_name(prefix, name, labels, types):
    """The name weir gives a series, worked out independently of its C."""
    family = family_of(name, types)
    stem = family[len("weir_"):]
    suffix = name[len(family):]
    if types[family] == "counter" and stem.endswith("_total"):
        stem = stem[: -len("_total")]
    scope = [v for k, v in labels.items() if k not in ("reason", "le")]
    text = prefix
    if scope and "_" in stem:
        head, rest = stem.split("_", 1)
        text += head + "." + ".".join(part(v) for v in scope) + "." + rest
    else:
        text += stem
    if "reason" in labels:
        text += "." + part(labels["reason"])
    return text + suffix


def check_statsd(out, page, prefix):
    datagrams = json.load(open(out))
    if len(datagrams) < 3:
        fail("statsd: %d datagrams, expected several pushes" % len(datagrams))
    counters, gauges = {}, {}
    for d in datagrams:
        if len(d.encode()) > 1400:
            fail("statsd: a datagram of %d bytes" % len(d.encode()))
        for line in d.split("\n"):
            m = LINE.match(line)
            if not m:
                fail("statsd: cannot read '%s'" % line)
            name, value, kind, rate = m.group(1), float(m.group(2)), m.group(3), m.group(4)
            if not name.startswith(prefix):
                fail("statsd: %s lacks the prefix %s" % (name, prefix))
            if kind == "c":
                if value <= 0:
                    fail("statsd: counter %s sent %g" % (name, value))
                counters[name] = counters.get(name, 0) + value / float(rate or 1)
            else:
                gauges[name] = value
    types, series = read_page(page)
    expect = {}
    for name, labels, value in series:
        family = family_of(name, types)
        if family == "weir_build_info" or name.endswith("_bucket"):
            continue
        expect[statsd_name(prefix, name, labels, types)] = (types[family], value, family)
    for name in list(counters) + list(gauges):
        if name not in expect:
            fail("statsd: %s is no series of the page" % name)
    for name, (kind, value, family) in expect.items():
        if kind == "gauge":
            if name not in gauges:
                fail("statsd: gauge %s never sent" % name)
            if family.startswith(MOVING) or gauges[name] == value:
                continue
            fail("statsd: gauge %s is %g, the page says %g" % (name, gauges[name], value))
        got = counters.get(name, 0)
        if family.startswith(MOVING):
            if got > value + 1e-9:
                fail("statsd: counter %s adds up to %g, the page says %g" % (name, got, value))
        elif abs(got - value) > 1e-6:
            fail("statsd: counter %s adds up to %g, the page says %g" % (name, got, value))
    if counters.get(prefix + "loop_duration_seconds_count", 0) < 2:
        fail("statsd: the loop's count did not grow across pushes")
    print("statsd: %d datagrams, %d counters and %d gauges add up to the page"
          % (len(datagrams), len(counters), len(gauges)))


def check_dashboard(path, page):
    types, _ = read_page(page)
    dash = json.load(open(path))
    exprs = []

    def walk(o):
        if isinstance(o, dict):
            if isinstance(o.get("expr"), str):
                exprs.append(o["expr"])
            for v in o.values():
                walk(v)
        elif isinstance(o, list):
            for v in o:
                walk(v)

    walk(dash)
    for v in dash.get("templating", {}).get("list", []):
        q = v.get("query")
        if isinstance(q, dict):
            q = q.get("query")
        if isinstance(q, str) and "weir_" in q:
            exprs.append(q)
    if len(exprs) < 10:
        fail("dashboard: only %d queries" % len(exprs))
    names = set()
    for e in exprs:
        names.update(re.findall(r"\bweir_[a-zA-Z0-9_]+", e))
    unknown = sorted(n for n in names if family_of(n, types) not in types)
    if unknown:
        fail("dashboard: not exported by weir: " + ", ".join(unknown))
    for e in exprs:
        if e.startswith("label_values("):
            e = re.sub(r"^label_values\(([^,]+),.*\)$", r"group by (service) (\1)", e)
        print(e.replace("$__rate_interval", "1m").replace("$service", ".*"))
    print("dashboard: %d queries name %d families, all exported" % (len(exprs), len(names)),
          file=sys.stderr)


if __name__ == "__main__":
    cmd = sys.argv[1:2]
    if cmd == ["port"]:
        free_port()
    elif cmd == ["listen"]:
        listen(sys.argv[2], sys.argv[3])
    elif cmd == ["statsd"]:
        check_statsd(*sys.argv[2:5])
    elif cmd == ["dashboard"]:
        check_dashboard(*sys.argv[2:4])
    else:
        fail(__doc__)
