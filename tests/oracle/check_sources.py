#!/usr/bin/env python3
"""Cross-check tests/oracle/expected/*.json against the SOURCES.md descriptions.

Standalone (stdlib only). Prints one line per disagreement; exit status 1 if any.
The pcaps/ table is parsed from SOURCES.md; the facts of generated/ (prose in
its SOURCES.md) are restated below by hand.
"""

from __future__ import annotations

import json
import os
import re
import sys
from itertools import pairwise
from pathlib import Path

HERE = Path(__file__).resolve().parent
EXPECTED = HERE / "expected"
TESTDATA = Path(os.environ.get("CALLVAULT_TESTDATA", "/work/shared/testdata"))

problems: list[str] = []
known: list[str] = []

# Disagreements that were looked into and are explained in README.md.
KNOWN = (
    "sip_ipv6_udp.pcap: capture spans",  # record timestamps span 80 years; SOURCES says 0.0 s
)


def check(cond: bool, what: str) -> None:
    if not cond:
        (known if what.startswith(KNOWN) else problems).append(what)


def load(name: str) -> dict:
    return json.loads((EXPECTED / f"{name}.json").read_text())


def pcaps_table() -> None:
    text = (TESTDATA / "pcaps" / "SOURCES.md").read_text()
    section = text.split("## What is inside", 1)[1]
    for line in section.splitlines():
        if not line.startswith("| ") or line.startswith("| file") or line.startswith("|---"):
            continue
        cols = [c.strip() for c in line.strip().strip("|").split("|")]
        (
            name,
            _bytes,
            packets,
            secs,
            _link,
            _over,
            dialogs,
            sipmsgs,
            streams,
            _payloads,
            dtmf,
            sha,
        ) = cols
        f = EXPECTED / f"{name}.json"
        if not f.exists():
            problems.append(f"{name}: no expected JSON")
            continue
        e = json.loads(f.read_text())
        check(e["sha256"].startswith(sha.strip("`")), f"{name}: sha256 {e['sha256'][:16]} != {sha}")
        check(e["frames"] == int(packets), f"{name}: frames {e['frames']} != SOURCES {packets}")
        span = round(e["last_frame_at"] - e["first_frame_at"], 1) if e["frames"] else 0.0
        check(abs(span - float(secs)) <= 0.1, f"{name}: capture spans {span} s != SOURCES {secs} s")
        check(
            e["invite_dialogs"] == int(dialogs),
            f"{name}: INVITE dialogs {e['invite_dialogs']} != SOURCES {dialogs}",
        )
        check(
            e["rtp_streams"] == int(streams),
            f"{name}: RTP streams {e['rtp_streams']} != SOURCES {streams}",
        )
        check(
            e["rtp_event_packets"] == int(dtmf),
            f"{name}: DTMF event pkts {e['rtp_event_packets']} != SOURCES {dtmf}",
        )
        want = (
            {}
            if sipmsgs == "none"
            else {k: int(v) for k, v in re.findall("(\\S+)\u00d7(\\d+)", sipmsgs)}
        )
        check(
            e["sip_messages"] == want, f"{name}: SIP messages {e['sip_messages']} != SOURCES {want}"
        )


def generated() -> None:
    e = load("sipp_loopback_1call_pcmu_dtmf.pcap")
    (c,) = e["calls"]
    check(c["status"] == "answered" and c["hangup_by"] is not None, "1call: not answered/ended")
    check(c["dtmf_digits"] == "4271", f"1call: DTMF {c['dtmf_digits']!r} != '4271'")
    check(c["codecs"][:1] == ["PCMU/8000"], f"1call: codecs {c['codecs']}")
    pk = sorted(s["packets"] for s in c["streams"] if s["ssrc"] == 0xCA110000)
    check(pk == [445, 453], f"1call: PCMU stream packets {pk} != [445, 453]")
    ev = [s for s in c["streams"] if s["ssrc"] == 0x01020305]
    check(
        len(ev) == 1 and ev[0]["rtp_event_packets"] == 52 and ev[0]["packets"] == 72,
        f"1call: DTMF stream {[(s['packets'], s['rtp_event_packets']) for s in ev]} "
        "!= 72 pkts / 52 events",
    )
    check(
        round(c["ended_at"] - c["started_at"], 1) == 22.6,
        f"1call: BYE at {c['ended_at'] - c['started_at']:.3f} s != 22.6",
    )
    check(round(c["answered_at"] - c["started_at"]) == 1, "1call: 200 not ~1 s after INVITE")

    e = load("sipp_loopback_tcp_call.pcap")
    (c,) = e["calls"]
    check(c["transport"] == "tcp", f"tcp: transport {c['transport']}")
    check(c["dtmf_digits"] == "4271", f"tcp: DTMF {c['dtmf_digits']!r} != '4271'")
    ports = sorted((s["src_port"], s["dst_port"]) for s in c["streams"] if s["ssrc"] == 0xCA110000)
    check(ports == [(20000, 30000), (30000, 20000)], f"tcp: stream ports {ports}")

    e = load("sipp_loopback_hold_reinvite.pcap")
    (c,) = e["calls"]
    h = c["hold"]
    check(len(h) == 1, f"hold: {len(h)} hold periods != 1")
    if h:
        s0 = c["started_at"]
        check(h[0]["party"] == "caller" and h[0]["direction"] == "sendonly", f"hold: {h[0]}")
        check(
            round(h[0]["start"] - s0, 1) == 10.3, f"hold: start {h[0]['start'] - s0:.3f} s != 10.3"
        )
        check(
            h[0]["end"] is not None and round(h[0]["end"] - s0, 1) == 14.6,
            f"hold: end {h[0]['end']} != 14.6 s",
        )
    check(len(c["streams"]) == 2 and not e["unsignalled"], "hold: streams")

    e = load("sipp_loopback_10calls_pcmu.pcap")
    check(len(e["calls"]) == 10, f"10calls: {len(e['calls'])} calls")
    check(
        e["rtp_streams"] == 20 and not e["unsignalled"],
        f"10calls: {e['rtp_streams']} streams, {len(e['unsignalled'])} unsignalled",
    )
    for n, c in enumerate(e["calls"], 1):
        got = sorted((s["side"], s["src_port"], s["dst_port"], s["lost"]) for s in c["streams"])
        want = sorted(
            [
                ("callee", 30000 + 4 * (n - 1), 20000 + 4 * (n - 1), 0),
                ("caller", 20000 + 4 * (n - 1), 30000 + 4 * (n - 1), 0),
            ]
        )
        check(got == want, f"10calls: call {n} streams {got} != {want}")
        check(
            c["status"] == "answered" and c["dtmf"] == [],
            f"10calls: call {n} {c['status']} dtmf {c['dtmf']}",
        )
    gaps = [round(b["started_at"] - a["started_at"], 1) for a, b in pairwise(e["calls"])]
    check(all(g == 0.2 for g in gaps), f"10calls: start gaps {gaps}")

    e = load("sipp_loopback_siprec.pcap")
    (c,) = e["calls"]
    got = sorted((s["ssrc"], s["dst_port"], s.get("sdp_label"), s["side"]) for s in c["streams"])
    check(
        got == [(0x51000001, 30000, "1", "caller"), (0x51000002, 30002, "2", "caller")],
        f"siprec: streams {got}",
    )
    off = c["sdp"][0]["media"]
    check(
        [m["direction"] for m in off] == ["sendonly", "sendonly"],
        f"siprec: offer dirs {[m['direction'] for m in off]}",
    )

    e = load("sipp-branch-scenario.pcapng")
    check(len(e["calls"]) == 1334, f"sipp-branch: {len(e['calls'])} calls != 1334")
    e = load("tlssaved.pcap")
    check(any("TLS" in n for n in e["notes"]), "tlssaved: no TLS note")


def main() -> int:
    pcaps_table()
    generated()
    for p in known:
        print(f"known (see README): {p}")
    for p in problems:
        print(p)
    print(f"{len(problems)} disagreement(s), {len(known)} known")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
