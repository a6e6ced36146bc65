"""Capture reader/writer speed on ~1M-packet files (not a test: run it by hand).

    .venv/bin/python tests/capture/bench_capture.py [--packets 1000000] [--repeat 3]

Prints packets per second, best of --repeat runs, for the writer (write, write_many; pcap,
pcapng, gzip) and the reader (libpcap and pure-Python paths; pcap, pcapng, gzip) on frames of
214 bytes (Ethernet/IPv4/UDP/RTP carrying 20 ms of G.711) and on a real call's mix of sizes.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from callvault.capture.reader import open_capture
from callvault.capture.writer import PcapngWriter, PcapWriter

REAL_CALL = Path(__file__).resolve().parents[3] / "shared/testdata/pcaps/SIP_CALL_RTP_G711.pcap"


def best(run: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        run()
        times.append(time.perf_counter() - began)
    return min(times)


def read(path: Path, use_libpcap: bool) -> int:
    with open_capture(path, use_libpcap=use_libpcap) as reader:
        return sum(len(batch) for batch in reader)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--packets", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    n, repeat = args.packets, args.repeat
    rows = np.random.default_rng(1).integers(0, 256, size=(n, 214), dtype=np.uint8)
    frames = [row.tobytes() for row in rows]
    times = 1_700_000_000 + np.arange(n) * 20e-6
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)

        def write_loop(cls: type, name: str) -> None:
            with cls(d / name) as w:
                if cls is PcapngWriter:
                    w.add_interface()
                write = w.write
                for ts, frame in zip(times.tolist(), frames, strict=True):
                    write(ts, frame)

        def write_many(cls: type, name: str) -> None:
            with cls(d / name) as w:
                if cls is PcapngWriter:
                    w.add_interface()
                for i in range(0, n, 65536):
                    w.write_many(times[i : i + 65536], frames[i : i + 65536])

        def write_array(name: str) -> None:
            with PcapWriter(d / name) as w:
                for i in range(0, n, 65536):
                    w.write_many(times[i : i + 65536], rows[i : i + 65536])

        print(f"writer, {n} frames of 214 bytes (packets/s, best of {repeat}):")
        for label, run in [
            ("pcap   write()", lambda: write_loop(PcapWriter, "u.pcap")),
            ("pcap   write_many()", lambda: write_many(PcapWriter, "u.pcap")),
            ("pcap   write_many(2-D array)", lambda: write_array("a.pcap")),
            ("pcapng write()", lambda: write_loop(PcapngWriter, "u.pcapng")),
            ("pcapng write_many()", lambda: write_many(PcapngWriter, "u.pcapng")),
            ("pcap.gz write_many()", lambda: write_many(PcapWriter, "u.pcap.gz")),
        ]:
            print(f"  {label:28s} {n / best(run, repeat) / 1e6:6.2f} M")

        files = {
            "214-byte pcap": d / "u.pcap",
            "214-byte pcapng": d / "u.pcapng",
            "214-byte pcap.gz": d / "u.pcap.gz",
        }
        if REAL_CALL.is_file():
            with open_capture(REAL_CALL) as reader:
                batches = list(reader)
            mix = [b.frame(i) for b in batches for i in range(len(b))]
            mix_ts = np.concatenate([b.ts for b in batches])
            with PcapWriter(d / "mix.pcap") as w, PcapngWriter(d / "mix.pcapng") as ng:
                ng.add_interface()
                for k in range(n // len(mix) + 1):
                    w.write_many(mix_ts + 40 * k, mix)
                    ng.write_many(mix_ts + 40 * k, mix)
            files.update(
                {"real call mix pcap": d / "mix.pcap", "real call mix pcapng": d / "mix.pcapng"}
            )
        sizes = np.random.default_rng(2).choice([74, 90, 214, 342, 600], size=n)
        with PcapWriter(d / "sizes.pcap") as w:
            w.write_many(times, [bytes(int(s)) for s in sizes])
        files["random sizes pcap"] = d / "sizes.pcap"
        print(f"reader (packets/s, best of {repeat}):")
        for label, path in files.items():
            for engine in (True, False):
                if not engine and not label.endswith(" pcap"):
                    continue
                count = read(path, engine)
                with open_capture(path, use_libpcap=engine) as reader:
                    used = reader.engine
                seconds = best(lambda p=path, e=engine: read(p, e), repeat)
                print(f"  {label:22s} {used:8s} {count / seconds / 1e6:6.2f} M")


if __name__ == "__main__":
    main()
