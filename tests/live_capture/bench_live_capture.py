"""Benchmark: how many concurrent G.711 calls `callvault capture` records from lo without
losing a packet. Run as root (capture permission):

    .venv/bin/python tests/live_capture/bench_live_capture.py --calls 400 --record

N synthetic calls (``callvault.synth``; both parties on 127.0.0.1, 20 ms PCMU each way)
are sent over loopback UDP at their own pace (real time: N concurrent calls are N x 100
packets/s) or, with ``--flood``, as fast as one Python sender can. The capture runs as a
separate process with a filter on the calls' ports; its closing summary gives the packets
read, the kernel's drops and callvault's own. The sender needs one core for itself at
about 100,000 packets/s, so on a small machine the figures say as much about the sender
as about callvault: the load average is printed with them.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ops"))
from lo_replay import frames_of, loopback_call, send_frames


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calls", type=int, default=400)
    ap.add_argument("--talk", type=float, default=10.0, help="seconds of talk per call")
    ap.add_argument("--record", action="store_true", help="record the audio too")
    ap.add_argument("--flood", action="store_true", help="send as fast as possible")
    ap.add_argument("--no-live-board", action="store_true",
                    help="capture with --no-live-board")
    ap.add_argument("--spread", type=float, default=2.0,
                    help="seconds over which the calls start (0: all at once, the worst case: "
                    "every recording file is created in the same moment)")
    ap.add_argument("--base-port", type=int, default=10000,
                    help="first of 4 x calls consecutive UDP ports (must be free)")
    args = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, 4 * args.calls + 256)), hard))
    base, n = args.base_port, args.calls
    now = time.time()
    calls = [loopback_call(f"bench-{i}@callvault", (base + 4 * i, base + 4 * i + 1,
                                                   base + 4 * i + 2, base + 4 * i + 3),
                           now + args.spread * i / n, talk_s=args.talk) for i in range(n)]
    frames = frames_of(calls)
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "capture.log"
        with log.open("w") as err:
            capture = subprocess.Popen(
                [sys.executable, "-m", "callvault", "capture", "-i", "lo", "-f",
                 f"udp and portrange {base}-{base + 4 * n - 1}", "--data-dir", tmp,
                 "--format", "json", *(["--record"] if args.record else []),
                 *(["--no-live-board"] if args.no_live_board else [])],
                stdout=subprocess.PIPE, stderr=err, text=True,
            )
        try:
            while "recording from" not in log.read_text():
                if capture.poll() is not None:
                    sys.exit(log.read_text())
                time.sleep(0.1)
            began = time.perf_counter()
            sent = send_frames(frames, paced=not args.flood)
            seconds = time.perf_counter() - began
            time.sleep(3)
        finally:
            capture.send_signal(signal.SIGTERM)
            out, _ = capture.communicate(120)
    summary = json.loads(out)
    own = sum(v for k, v in summary["own_dropped"].items() if k != "batches")
    print(json.dumps({
        "calls": n,
        "record": args.record,
        "paced": not args.flood,
        "live_board": not args.no_live_board,
        "sent": sent,
        "send_pps": round(sent / seconds),
        "read": summary["packets"],
        "kernel_dropped": summary["kernel_dropped"],
        "interface_dropped": summary["interface_dropped"],
        "own_dropped": own,
        "lost": sent - summary["packets"],
        "calls_saved": summary["statuses"],
        "load_average": os.getloadavg()[0],
    }))


if __name__ == "__main__":
    main()
