#!/usr/bin/env python3
"""Ingest throughput and peak memory, side by side with tshark on the same capture.

Builds a G.711 capture of a busy call center with callvault's own writer (Poisson arrivals,
exponential talk times, 80 % answered, DTMF on half the calls), then in one run:

  callvault ingest --no-audio FILE  capture → journal (SQLite), one process, timed
  tshark -q -z sip,stat -z rtp,streams -r FILE   (when tshark is installed)

and prints packets/s, MB/s, CPU seconds and peak resident memory of each, and the ratio.
Peak memory is measured on two capture sizes to show it does not grow with the file.

    .venv/bin/python benchmarks/ingest_benchmark.py                 # 2,000 calls (~4 M packets)
    .venv/bin/python benchmarks/ingest_benchmark.py --calls 500 --sizes 1
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

from callvault.synth import call_center_calls, write_capture  # noqa: E402


def build(path: Path, calls: int, concurrency: float, mean_talk: float) -> None:
    if path.exists():
        return
    began = time.perf_counter()
    frames = write_capture(path, call_center_calls(calls, concurrency=concurrency, mean_talk_s=mean_talk))
    print(f"built {path.name}: {frames:,} packets, {path.stat().st_size / 1e6:,.0f} MB "
          f"in {time.perf_counter() - began:.0f} s", file=sys.stderr)


def compile_package() -> None:
    """Byte-compile callvault as installing it does, so a timed run loads .pyc files instead
    of compiling every module first (where PYTHONDONTWRITEBYTECODE is set, as on some
    machines, each run would otherwise compile them all again, ≈ 0.1 CPU-s)."""
    import compileall

    import callvault

    compileall.compile_dir(Path(callvault.__file__).parent, quiet=1)


def cpu_model() -> str:
    """The processor's name and clock as the kernel reports them: absolute figures (packets/s)
    move with the machine, so every result names it (the ratio to tshark, taken in the same
    run, moves far less)."""
    try:
        info = Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.processor() or platform.machine()
    fields = dict(
        (key.strip(), value.strip())
        for key, _, value in (line.partition(":") for line in info.splitlines())
        if key.strip() in ("model name", "cpu MHz", "cache size")
    )
    name = fields.get("model name") or platform.machine()
    extra = [f"{float(fields['cpu MHz']):,.0f} MHz"] if "cpu MHz" in fields else []
    extra += [f"{fields['cache size']} cache"] if "cache size" in fields else []
    return f"{platform.machine()} {name} ({', '.join(extra)})" if extra else name


def median_run(runs: list[dict[str, object]]) -> dict[str, object]:
    """The run of median CPU time (one run's figures, never a mix of several)."""
    return sorted(runs, key=lambda run: run["cpu_s"])[len(runs) // 2]


def run_isolated(command: list[str]) -> dict[str, float | str]:
    """measure() in a fresh Python so RUSAGE_CHILDREN covers exactly one command."""
    code = (
        "import json,resource,subprocess,sys,time;"
        "t=time.perf_counter();p=subprocess.run(sys.argv[1:],capture_output=True,text=True);"
        "w=time.perf_counter()-t;u=resource.getrusage(resource.RUSAGE_CHILDREN);"
        "print(json.dumps({'rc':p.returncode,'wall_s':w,'cpu_s':u.ru_utime+u.ru_stime,"
        "'maxrss_mb':u.ru_maxrss/1024,'stdout':p.stdout,'stderr':p.stderr[-2000:]}))"
    )
    done = subprocess.run([sys.executable, "-c", code, *command], capture_output=True, text=True)
    result = json.loads(done.stdout)
    if result["rc"] != 0:
        raise SystemExit(f"{command[0]} failed ({result['rc']}): {result['stderr']}")
    return result


def ingest(path: Path, *options: str) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as data:
        result = run_isolated([sys.executable, "-m", "callvault", "ingest", str(path),
                               "--data-dir", data, "--no-progress", "--format", "json", *options])
        recordings = Path(data) / "recordings"
        files = [f for f in recordings.rglob("*") if f.is_file()] if recordings.exists() else []
        result["recorded_bytes"] = sum(f.stat().st_size for f in files)
        result["recordings"] = len(files)
        if files:
            import soundfile

            result["recorded_minutes"] = sum(soundfile.info(str(f)).duration for f in files) / 60
    summary = json.loads(result["stdout"])
    return {**result, "summary": summary}


def tshark_payloads(path: Path) -> dict[str, object] | None:
    """tshark pulling every RTP payload out of the same capture (its payload export)."""
    if not shutil.which("tshark"):
        return None
    return run_isolated(["sh", "-c", f"tshark -r '{path}' -o rtp.heuristic_rtp:TRUE -Y rtp "
                        "-T fields -e rtp.ssrc -e rtp.seq -e rtp.payload > /dev/null"])


def tshark(path: Path) -> dict[str, object] | None:
    if not shutil.which("tshark"):
        return None
    return run_isolated(["tshark", "-q", "-r", str(path), "-z", "sip,stat", "-z", "rtp,streams"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--concurrency", type=float, default=300.0)
    parser.add_argument("--mean-talk", type=float, default=25.0)
    parser.add_argument("--sizes", type=int, default=2, help="also measure 1/4 the calls (2) or not (1)")
    parser.add_argument("--out", type=Path, default=HERE / "out")
    parser.add_argument("--no-tshark", action="store_true")
    parser.add_argument("--repeat", type=int, default=3,
                        help="callvault runs per capture; the one of median CPU time is reported")
    parser.add_argument("--formats", default="wav,flac,opus",
                        help="recording formats for --audio (opus at capture time is slow)")
    parser.add_argument("--audio", action="store_true",
                        help="issue #3: journal-only vs recording (wav, flac, opus) vs tshark's payload export")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    compile_package()

    if args.audio:
        audio_benchmark(args)
        return
    counts = [args.calls] if args.sizes == 1 else [args.calls // 4, args.calls]
    rows = []
    for calls in counts:
        path = args.out / f"callcenter-{calls}calls-c{args.concurrency:g}-t{args.mean_talk:g}.pcap"
        build(path, calls, args.concurrency, args.mean_talk)
        # capture → journal (recording: --audio), each run into a fresh journal
        ours = median_run([ingest(path, "--no-audio") for _ in range(max(1, args.repeat))])
        s = ours["summary"]
        row = {
            "capture": path.name, "bytes": path.stat().st_size, "packets": s["packets"],
            "calls": s["calls"], "streams": s["streams"],
            "callvault": {k: ours[k] for k in ("wall_s", "cpu_s", "maxrss_mb")},
            # reading the file to the last commit, without Python's start-up and imports
            "in_process_s": s["seconds"],
        }
        theirs = None if args.no_tshark else tshark(path)
        if theirs:
            row["tshark"] = {k: theirs[k] for k in ("wall_s", "cpu_s", "maxrss_mb")}
        rows.append(row)

    print(f"\n{cpu_model()}, {os.cpu_count()} cores, Python {platform.python_version()}\n")
    print("| capture | packets | MB | tool | wall s | CPU s | packets/s (wall) | packets/CPU-s | MB/s | peak RSS MB |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        for tool in ("callvault", "tshark"):
            if tool not in row:
                continue
            m = row[tool]
            print(f"| {row['capture']} | {row['packets']:,} | {row['bytes'] / 1e6:,.0f} | {tool} "
                  f"| {m['wall_s']:.2f} | {m['cpu_s']:.2f} | {row['packets'] / m['wall_s']:,.0f} "
                  f"| {row['packets'] / m['cpu_s']:,.0f} | {row['bytes'] / 1e6 / m['wall_s']:,.1f} "
                  f"| {m['maxrss_mb']:,.0f} |")
        print(f"| | | | callvault in process: {row['in_process_s']:.2f} s, "
              f"{row['packets'] / row['in_process_s']:,.0f} packets/s | | | | | | |")
        if "tshark" in row:
            ratio = row["tshark"]["wall_s"] / row["callvault"]["wall_s"]
            cpu_ratio = row["tshark"]["cpu_s"] / row["callvault"]["cpu_s"]
            print(f"| | | | **callvault is {ratio:.1f}× tshark** (wall), {cpu_ratio:.1f}× (CPU) "
                  "| | | | | | |")
    stamp = time.strftime("%Y%m%d-%H%M%S")
    report = {"machine": cpu_model(), "cores": os.cpu_count(), "runs": rows}
    (args.out / f"ingest-{stamp}.json").write_text(json.dumps(report, indent=2))


def audio_benchmark(args: argparse.Namespace) -> None:
    path = args.out / f"callcenter-{args.calls}calls-c{args.concurrency:g}-t{args.mean_talk:g}.pcap"
    build(path, args.calls, args.concurrency, args.mean_talk)
    runs = {"journal only (--no-audio)": ingest(path, "--no-audio")}
    for fmt in args.formats.split(","):
        name = "recording, wav (default)" if fmt == "wav" else f"recording, {fmt}"
        runs[name] = ingest(path, "--audio-format", fmt)
    theirs = None if args.no_tshark else tshark_payloads(path)
    packets = runs["journal only (--no-audio)"]["summary"]["packets"]
    base = runs["journal only (--no-audio)"]
    print(f"\n{path.name}: {packets:,} packets, {path.stat().st_size / 1e6:,.0f} MB\n")
    print("| run | wall s | CPU s | packets/s (wall) | × journal-only CPU | recorded min | min per CPU-s | bytes per recorded min (stereo) | peak RSS MB |")
    print("|---|---|---|---|---|---|---|---|---|")
    rows = {}
    for name, r in runs.items():
        minutes = r.get("recorded_minutes") or 0
        per_min = f"{r['recorded_bytes'] / minutes:,.0f}" if minutes else "-"
        print(f"| {name} | {r['wall_s']:.2f} | {r['cpu_s']:.2f} | {packets / r['wall_s']:,.0f} "
              f"| {r['cpu_s'] / base['cpu_s']:.2f} | {minutes:,.0f} "
              f"| {minutes / r['cpu_s']:,.0f} | {per_min} | {r['maxrss_mb']:,.0f} |")
        rows[name] = {k: r.get(k) for k in ("wall_s", "cpu_s", "maxrss_mb", "recorded_bytes",
                                            "recorded_minutes", "recordings")}
    if theirs:
        print(f"| tshark payload export | {theirs['wall_s']:.2f} | {theirs['cpu_s']:.2f} "
              f"| {packets / theirs['wall_s']:,.0f} | - | - | - | - | {theirs['maxrss_mb']:,.0f} |")
        rows["tshark"] = {k: theirs[k] for k in ("wall_s", "cpu_s", "maxrss_mb")}
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (args.out / f"audio-{stamp}.json").write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
