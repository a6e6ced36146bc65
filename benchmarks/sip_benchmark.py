#!/usr/bin/env python3
"""SIP path alone: parse + correlate the SIP messages of a capture, CPU time per message.

The capture is ingested once with the engine (journal discarded) while every SIP datagram
handed to the correlator is recorded with its place among the engine's timer ticks; the
recording is kept next to the capture (``FILE.sip.pickle``). Then, best of ``--repeat``:

  parse      parse_message on every recorded message
  correlate  a fresh Correlator fed the parsed messages and the same ticks (no RTP)

both with the garbage collector set as ``callvault ingest`` sets it (fewer_collections: a
young collection every 50,000 allocations, start-up objects frozen): with Python's default
of 700, the parsed messages a run keeps alive are walked again and again, a cost that the
ingest, which drops each message once correlated, does not have. And a digest of the calls
the correlator writes, so that a change to the SIP path can be checked for identical
results as well as timed.

    .venv/bin/python benchmarks/sip_benchmark.py /tmp/bench/callcenter-500calls-c300-t25.pcap
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import pickle
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

from callvault.calls.correlator import Correlator, SipEnvelope  # noqa: E402
from callvault.commands.ingest import fewer_collections  # noqa: E402
from callvault.config import Settings  # noqa: E402
from callvault.engine import Engine, ingest_file  # noqa: E402
from callvault.sip.message import parse_message  # noqa: E402

Recording = tuple[list[tuple], object]
"""(("sip", data, ts, transport, src, sport, dst, dport) or ("tick", now) in order, addresses)."""


def record(path: Path) -> Recording:
    """Runs the engine over ``path`` and notes the SIP messages and ticks its correlator sees."""
    import callvault.engine as engine_module

    steps: list[tuple] = []
    tables: list[object] = []
    raw_of: dict[int, bytes] = {}
    on_sip, tick, init, parse = Correlator.on_sip, Correlator.tick, Engine.__init__, parse_message

    def noting_init(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        init(self, *args, **kwargs)
        tables.append(self.net.addresses)

    def noting_parse(data, *args, **kwargs):  # type: ignore[no-untyped-def]
        message = parse(data, *args, **kwargs)
        raw_of[id(message)] = bytes(data)
        return message

    def noting_sip(self, env: SipEnvelope) -> None:  # type: ignore[no-untyped-def]
        data = raw_of.pop(id(env.message))
        steps.append(("sip", data, env.ts, env.transport, env.src, env.sport, env.dst, env.dport))
        on_sip(self, env)

    def noting_tick(self, now: float) -> None:  # type: ignore[no-untyped-def]
        steps.append(("tick", now))
        tick(self, now)

    Engine.__init__ = noting_init  # type: ignore[method-assign]
    Correlator.on_sip, Correlator.tick = noting_sip, noting_tick  # type: ignore[method-assign]
    engine_module.parse_message = noting_parse
    try:
        ingest_file(path, Settings(), lambda call: None)
    finally:
        Engine.__init__ = init  # type: ignore[method-assign]
        Correlator.on_sip, Correlator.tick = on_sip, tick  # type: ignore[method-assign]
        engine_module.parse_message = parse
    return steps, tables[0]


def load(path: Path) -> Recording:
    cached = path.with_name(path.name + ".sip.pickle")
    if cached.exists():
        return pickle.loads(cached.read_bytes())
    recording = record(path)
    cached.write_bytes(pickle.dumps(recording))
    return recording


def _clear_caches() -> None:
    """Empties callvault's functools caches, module and class level, so that each run sees
    every header value and address for the first time, as a single ingest does."""
    for name, module in list(sys.modules.items()):
        if not name.startswith("callvault"):
            continue
        for value in list(vars(module).values()):
            members = vars(value).values() if isinstance(value, type) else ()
            for candidate in (value, *members):
                clear = getattr(candidate, "cache_clear", None)
                if callable(clear):
                    clear()


def run_once(steps: list[tuple], addresses: object) -> tuple[float, float, str]:
    """(parse CPU s, correlate CPU s, digest of the calls written)."""
    _clear_caches()
    gc.collect()  # each phase starts from the same heap: less noise from earlier runs' garbage
    began = time.process_time()
    parsed = [
        (s[0], SipEnvelope(s[2], parse_message(s[1]), *s[3:])) if s[0] == "sip" else s
        for s in steps
    ]
    parse_s = time.process_time() - began
    calls: list[object] = []
    correlator = Correlator(Settings(), addresses, calls.append, "bench")
    gc.collect()
    began = time.process_time()
    for kind, value in parsed:
        if kind == "sip":
            correlator.on_sip(value)
        else:
            correlator.tick(value)
    correlator.close()
    correlate_s = time.process_time() - began
    digest = hashlib.sha1(repr(calls).encode()).hexdigest()[:16]
    return parse_s, correlate_s, digest


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("capture", type=Path)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    steps, addresses = load(args.capture)
    n = sum(1 for s in steps if s[0] == "sip")
    with fewer_collections():
        runs = [run_once(steps, addresses) for _ in range(args.repeat)]
    parse_s = min(r[0] for r in runs)
    correlate_s = min(r[1] for r in runs)
    total_s = min(r[0] + r[1] for r in runs)
    digests = {r[2] for r in runs}
    print(f"{n:,} SIP messages, {len(steps) - n:,} ticks; best of {args.repeat} (CPU):")
    print(f"  parse      {parse_s:.3f} s  {parse_s / n * 1e6:6.1f} µs/message")
    print(f"  correlate  {correlate_s:.3f} s  {correlate_s / n * 1e6:6.1f} µs/message")
    print(f"  total      {total_s:.3f} s  {total_s / n * 1e6:6.1f} µs/message")
    print(f"  calls digest {', '.join(sorted(digests))}")


if __name__ == "__main__":
    main()
