#!/usr/bin/env python3
"""Build the tshark oracle: expected call-journal facts for every test capture.

Standalone on purpose: Python standard library + tshark (run as a subprocess).
It never imports callvault, so the engine is judged against what Wireshark's
dissectors say, not against itself.

    python3 tests/oracle/make_expected.py                 # all captures
    python3 tests/oracle/make_expected.py FILE [FILE...]  # only these
    TSHARK=/path/to/tshark CALLVAULT_TESTDATA=/work/shared/testdata python3 ...

Writes tests/oracle/expected/<capture file name>.json.  The definitions that
turn tshark's fields into call facts are documented in tests/oracle/README.md.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import os
import re
import subprocess
import sys
from collections import Counter, OrderedDict, defaultdict
from itertools import pairwise
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT_DIR = HERE / "expected"
TESTDATA = Path(os.environ.get("CALLVAULT_TESTDATA", "/work/shared/testdata"))
CAPTURE_DIRS = [TESTDATA / "pcaps", TESTDATA / "generated"]
CAPTURE_SUFFIXES = (".pcap", ".pcapng", ".cap")
TSHARK = os.environ.get("TSHARK", "/usr/bin/tshark")

# Options given to every tshark run, and per-file extras.
BASE_OPTS = ["-o", "rtp.heuristic_rtp:TRUE"]
FILE_OPTS = {
    "sip_ipv4_tcp_fragmented.pcap": ["-d", "tcp.port==6060,sip"],
    # the T.38 re-INVITEs are declined (488), yet tshark's SDP tracking dissects the PCMA RTP
    # that goes on flowing on those ports as T.38: 2010 RTP packets of SSRC 0x0EAF0EAF lost
    # from -z rtp,streams. With the T.38 dissector off tshark counts all 3848.
    "FAX-Call-t38-CA-TDM-SIP-FB-1.pcap": ["--disable-protocol", "t38"],
}

# RFC 3551 static payload types (encoding/clock[/channels]).
STATIC_PT = {
    0: "PCMU/8000",
    3: "GSM/8000",
    4: "G723/8000",
    5: "DVI4/8000",
    6: "DVI4/16000",
    7: "LPC/8000",
    8: "PCMA/8000",
    9: "G722/8000",
    10: "L16/44100/2",
    11: "L16/44100",
    12: "QCELP/8000",
    13: "CN/8000",
    14: "MPA/90000",
    15: "G728/8000",
    16: "DVI4/11025",
    17: "DVI4/22050",
    18: "G729/8000",
    25: "CelB/90000",
    26: "JPEG/90000",
    28: "nv/90000",
    31: "H261/90000",
    32: "MPV/90000",
    33: "MP2T/90000",
    34: "H263/90000",
}
DIRECTIONS = ("sendrecv", "sendonly", "recvonly", "inactive")
RFC4733_DIGITS = "0123456789*#ABCD"  # event id 0..15


# --------------------------------------------------------------------------
# tshark plumbing

COMMANDS: list[str] = []  # the tshark command lines run for the current capture


def tshark(path: Path, *args: str) -> str:
    cmd = [TSHARK, "-n", "-r", str(path), *BASE_OPTS, *FILE_OPTS.get(path.name, []), *args]
    shown = " ".join(
        [
            "tshark",
            *cmd[1:3],
            path.name,
            *(f"'{a}'" if (" " in a or "|" in a) else a for a in cmd[4:]),
        ]
    )
    if shown not in COMMANDS:
        COMMANDS.append(shown)
    res = subprocess.run(cmd, capture_output=True, text=True, errors="replace")
    if res.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed: {res.stderr.strip()}")
    return res.stdout


class Obj(list):
    """A JSON object kept as its ordered (key, value) pairs, duplicates included.

    tshark's -T json repeats keys (two "sip" layers in one TCP frame, one
    "sdp.media_attr" per a= line); a dict would lose both order and copies.
    """

    def get(self, key, default=None):
        for k, v in self:
            if k == key:
                return v
        return default


def first(node, key, stop=("sdp", "mime_multipart", "sip.msg_body")):
    """First value of `key` inside node, not descending into message bodies."""
    if isinstance(node, Obj):
        for k, v in node:
            if k == key:
                return v if not isinstance(v, list) or isinstance(v, Obj) else (v[0] if v else None)
            if k in stop:
                continue
            if isinstance(v, (Obj, list)):
                r = first(v, key, stop)
                if r is not None:
                    return r
    elif isinstance(node, list):
        for item in node:
            r = first(item, key, stop)
            if r is not None:
                return r
    return None


def find_all(node, key):
    """All values of `key` anywhere below node (not below a hit)."""
    out = []
    if isinstance(node, Obj):
        for k, v in node:
            if k == key:
                out.append(v)
            elif isinstance(v, (Obj, list)):
                out.extend(find_all(v, key))
    elif isinstance(node, list):
        for item in node:
            out.extend(find_all(item, key))
    return out


def epoch(s: str) -> float:
    return float(s)  # full precision: nanosecond captures round to ms only once, in the test


def norm_ip(s: str | None) -> str | None:
    if not s:
        return s
    try:
        return str(ipaddress.ip_address(s))
    except ValueError:
        return s


# --------------------------------------------------------------------------
# SIP


def parse_sdp(sdp: Obj) -> dict:
    """One SDP body, from tshark's ordered sdp.* fields."""
    sess_ip = None
    sess_dir = None
    media: list[dict] = []
    cur = None
    for k, v in sdp:
        if not isinstance(v, str):
            continue
        if k == "sdp.connection_info":
            parts = v.split()
            addr = norm_ip(parts[2].split("/")[0]) if len(parts) >= 3 else None
            if cur is None:
                sess_ip = addr
            else:
                cur["ip"] = addr
        elif k == "sdp.session_attr":
            if v.strip() in DIRECTIONS:
                sess_dir = v.strip()
        elif k == "sdp.media":
            parts = v.split()
            port = (
                int(parts[1].split("/")[0])
                if len(parts) > 1 and parts[1].split("/")[0].isdigit()
                else None
            )
            cur = {
                "type": parts[0] if parts else None,
                "ip": None,
                "port": port,
                "proto": parts[2] if len(parts) > 2 else None,
                "formats": parts[3:],
                "direction": None,
                "rtpmap": {},
                "label": None,
            }
            media.append(cur)
        elif k == "sdp.media_attr" and cur is not None:
            a = v.strip()
            if a in DIRECTIONS:
                cur["direction"] = a
            elif a.startswith("rtpmap:"):
                m = re.match(r"rtpmap:(\d+)\s+(\S+)", a)
                if m:
                    cur["rtpmap"][m.group(1)] = m.group(2)
            elif a.startswith("label:"):
                cur["label"] = a[6:].strip()
    out = []
    for m in media:
        codecs = []
        pts = []
        for f in m["formats"]:
            if f.isdigit():
                pts.append(int(f))
                codecs.append(m["rtpmap"].get(f) or STATIC_PT.get(int(f)) or f"PT{f}")
            else:
                codecs.append(f)  # e.g. t38 over udptl
        out.append(
            {
                "type": m["type"],
                "ip": m["ip"] or sess_ip,
                "port": m["port"],
                "proto": m["proto"],
                "direction": m["direction"] or sess_dir or "sendrecv",
                "direction_explicit": bool(m["direction"] or sess_dir),
                "payload_types": pts,
                "codecs": codecs,
                "rtpmap": {int(k): v for k, v in m["rtpmap"].items()},
                "label": m["label"],
            }
        )
    return {"media": out}


def unquote_name(s: str | None) -> str | None:
    if s is None:
        return None
    s = s.strip()
    if len(s) >= 2 and s[0] == '"' and s[-1] == '"':
        s = s[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    s = s.strip()
    return s or None


def sip_messages(path: Path) -> tuple[list[dict], dict]:
    """Every SIP PDU tshark decodes, in capture order, with its transport."""
    raw = tshark(path, "-Y", "sip", "-T", "json")
    frames = json.loads(raw, object_pairs_hook=Obj) if raw.strip() else []
    msgs: list[dict] = []
    info = {"malformed_frames": 0}
    for fr in frames:
        layers = fr.get("_source").get("layers")
        ip_src = ip_dst = None
        l4 = sport = dport = None
        ws = tls = False
        fnum = None
        t = None
        idx = 0
        if any(k == "_ws.malformed" for k, _ in layers):
            info["malformed_frames"] += 1
        for k, v in layers:
            if k == "frame":
                fnum = int(v.get("frame.number"))
                t = epoch(v.get("frame.time_epoch"))
            elif k in ("ip", "ipv6"):
                pre = "ip" if k == "ip" else "ipv6"
                ip_src = norm_ip(first(v, f"{pre}.src")) or ip_src
                ip_dst = norm_ip(first(v, f"{pre}.dst")) or ip_dst
            elif k in ("udp", "tcp"):
                l4 = k
                sport = int(first(v, f"{k}.srcport"))
                dport = int(first(v, f"{k}.dstport"))
                ws = tls = False
            elif k == "websocket":
                ws = True
            elif k == "tls":
                tls = True
            elif k == "sip":
                msgs.append(
                    one_sip(
                        v,
                        fnum,
                        t,
                        idx,
                        ip_src,
                        ip_dst,
                        sport,
                        dport,
                        ("wss" if tls else "ws") if ws else ("tls" if tls else l4),
                    )
                )
                idx += 1
    return msgs, info


def one_sip(sip: Obj, fnum, t, idx, src, dst, sport, dport, transport) -> dict:
    method = first(sip, "sip.Method")
    status = first(sip, "sip.Status-Code")
    seq = first(sip, "sip.CSeq.seq")
    hdr = first(sip, "sip.msg_hdr") or ""
    body = hdr.split("\r\n\r\n", 1)[1] if "\r\n\r\n" in hdr else ""
    sdps = [parse_sdp(s) for s in find_all(sip, "sdp") if isinstance(s, Obj)]
    return {
        "frame": fnum,
        "idx": idx,
        "at": t,
        "src_ip": src,
        "dst_ip": dst,
        "src_port": sport,
        "dst_port": dport,
        "transport": transport,
        "method": method,
        "status": int(status) if status else None,
        "call_id": first(sip, "sip.Call-ID"),
        "cseq": int(seq) if seq and seq.isdigit() else None,
        "cseq_method": first(sip, "sip.CSeq.method"),
        "from_user": first(sip, "sip.from.user"),
        "from_tag": first(sip, "sip.from.tag"),
        "from_name": unquote_name(first(sip, "sip.from.display.info")),
        "from_uri": first(sip, "sip.from.addr"),
        "to_user": first(sip, "sip.to.user"),
        "to_tag": first(sip, "sip.to.tag"),
        "to_name": unquote_name(first(sip, "sip.to.display.info")),
        "to_uri": first(sip, "sip.to.addr"),
        "reason": first(sip, "sip.Reason"),
        "user_agent": first(sip, "sip.User-Agent"),
        "server": first(sip, "sip.Server"),
        "content_type": first(sip, "sip.Content-Type"),
        "refer_to": first(sip, "sip.Refer-To"),
        "require": first(sip, "sip.Require"),
        "body": body,
        "sdp": sdps[0] if sdps else None,
        "sdp_count": len(sdps),
    }


def msg_label(m: dict) -> str:
    return m["method"] if m["method"] else str(m["status"])


def dedup_key(m: dict):
    return (m["call_id"], m["cseq"], m["cseq_method"], m["method"] or m["status"])


# --------------------------------------------------------------------------
# RTP

RTP_FIELDS = [
    "frame.number",
    "frame.time_epoch",
    "ip.src",
    "ip.dst",
    "ipv6.src",
    "ipv6.dst",
    "udp.srcport",
    "udp.dstport",
    "udp.length",
    "rtp.ssrc",
    "rtp.p_type",
    "rtp.seq",
    "rtp.timestamp",
    "rtp.cc",
    "rtp.ext",
    "rtp.ext.len",
    "rtp.padding.count",
    "rtpevent.event_id",
    "rtpevent.end_of_event",
    "rtpevent.duration",
]


def rtp_packets(path: Path) -> list[dict]:
    args = ["-Y", "rtp", "-T", "fields", "-E", "separator=/t", "-E", "occurrence=l"]
    for f in RTP_FIELDS:
        args += ["-e", f]
    out = []
    for line in tshark(path, *args).splitlines():
        c = line.split("\t")
        if len(c) < len(RTP_FIELDS):
            continue
        r = dict(zip(RTP_FIELDS, c[: len(RTP_FIELDS)], strict=True))
        if not r["rtp.ssrc"]:
            continue
        src = norm_ip(r["ip.src"] or r["ipv6.src"])
        dst = norm_ip(r["ip.dst"] or r["ipv6.dst"])
        hdr = 12 + 4 * int(r["rtp.cc"] or 0)
        if r["rtp.ext"] in ("1", "True"):
            hdr += 4 + 4 * int(r["rtp.ext.len"] or 0)
        pad = int(r["rtp.padding.count"] or 0)
        payload = int(r["udp.length"] or 0) - 8 - hdr - pad
        out.append(
            {
                "frame": int(r["frame.number"]),
                "at": epoch(r["frame.time_epoch"]),
                "key": (
                    src,
                    int(r["udp.srcport"]),
                    dst,
                    int(r["udp.dstport"]),
                    int(r["rtp.ssrc"], 16),
                ),
                "pt": int(r["rtp.p_type"]),
                "ts": int(r["rtp.timestamp"]),
                "payload": payload,
                "event": int(r["rtpevent.event_id"]) if r["rtpevent.event_id"] else None,
                "event_end": r["rtpevent.end_of_event"] in ("1", "True"),
                "event_duration": int(r["rtpevent.duration"]) if r["rtpevent.duration"] else None,
            }
        )
    return out


STREAM_RE = re.compile(
    r"^\s*([\d.]+)\s+([\d.]+)\s+(\S+)\s+(\d+)\s+(\S+)\s+(\d+)\s+(0x[0-9A-Fa-f]+)\s+(.*?)\s+(\d+)\s+(-?\d+)\s+\(([-\d.]+)%\)"
    r"\s+([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)"
)
"""-z rtp,streams: start, end, src, port, dst, port, SSRC, payloads, packets, lost (%),
min/mean/max delta (ms), min/mean/max jitter (ms)."""


def rtp_streams_tap(path: Path) -> list[dict]:
    out = []
    for line in tshark(path, "-q", "-z", "rtp,streams").splitlines():
        m = STREAM_RE.match(line)
        if not m:
            continue
        out.append(
            {
                "key": (
                    norm_ip(m.group(3)),
                    int(m.group(4)),
                    norm_ip(m.group(5)),
                    int(m.group(6)),
                    int(m.group(7), 16),
                ),
                "payload_names": [p.strip() for p in m.group(8).split(",") if p.strip()],
                "packets": int(m.group(9)),
                "lost": int(m.group(10)),
                "max_delta_ms": float(m.group(14)),
                "jitter_mean_ms": float(m.group(16)),
                "jitter_max_ms": float(m.group(17)),
                "problems": line.rstrip().endswith("X"),
            }
        )
    return out


# --------------------------------------------------------------------------
# Calls


def other(side: str) -> str:
    return "callee" if side == "caller" else "caller"


def build_call(cid: str, msgs: list[dict], all_copies: list[dict]) -> dict:
    invites = [m for m in msgs if m["method"] == "INVITE"]
    inv = invites[0]
    caller_tag = inv["from_tag"]
    # Tags of each side. A B2BUA/SBC that keeps the Call-ID shows up as copies of
    # the same messages with other tags: learn the caller's tags from every copy
    # of an out-of-dialog INVITE, the callee's from the To tags answering them.
    caller_tags = {caller_tag} | {
        c["from_tag"]
        for c in all_copies
        if c["method"] == "INVITE" and not c["to_tag"] and c["from_tag"]
    }
    callee_tags = {
        c["to_tag"]
        for c in all_copies
        if c["status"] is not None and c["from_tag"] in caller_tags and c["to_tag"]
    }
    started = inv["at"]

    def inv_resp(m):
        return m["status"] is not None and m["cseq_method"] == "INVITE"

    ringing = next((m for m in msgs if inv_resp(m) and m["status"] in (180, 183)), None)
    answer = next((m for m in msgs if inv_resp(m) and 200 <= m["status"] < 300), None)
    # the initial INVITE transaction chain: INVITEs sent outside a dialog (no To tag)
    chain = {m["cseq"] for m in invites if not m["to_tag"]} | {inv["cseq"]}
    finals = [m for m in msgs if inv_resp(m) and m["status"] >= 300 and m["cseq"] in chain]
    ending_final = None
    for f in finals:
        if f["status"] in (401, 407) and any(
            i["frame"] > f["frame"] or (i["frame"] == f["frame"] and i["idx"] > f["idx"])
            for i in invites
        ):
            continue
        ending_final = f
        break
    bye = next((m for m in msgs if m["method"] == "BYE"), None)
    cancel = next((m for m in msgs if m["method"] == "CANCEL"), None)

    if answer:
        status, sip_code = "answered", answer["status"]
    else:
        sip_code = ending_final["status"] if ending_final else None
        if cancel or any(f["status"] == 487 for f in finals):
            status = "missed"
        elif sip_code in (486, 600):
            status = "busy"
        elif sip_code in (603, 403):
            status = "rejected"
        else:
            status = "failed"

    call_notes: list[str] = []
    ended = end_cause = reason = hangup = None
    end_frame = None
    # a BYE ends an answered call; an unanswered one ended at its CANCEL or final response
    if bye and (answer or not (cancel or ending_final)):
        ended, end_cause, reason, end_frame = bye["at"], "bye", bye["reason"], bye["frame"]
        hangup = (
            "caller" if bye["from_tag"] == caller_tag else "callee"
        )  # the definition, literally
        if (bye["from_tag"] in caller_tags) != (hangup == "caller"):
            call_notes.append(
                f"BYE (frame {bye['frame']}) From tag is another leg's caller tag (B2BUA with one "
                f"Call-ID): hangup_by per the first INVITE's tag is {hangup!r}, "
                "by leg it would be 'caller'"
            )
    elif not answer and cancel:
        ended, end_cause, reason, end_frame = (
            cancel["at"],
            "cancel",
            cancel["reason"],
            cancel["frame"],
        )
        hangup = "caller"
    elif not answer and ending_final:
        f = ending_final
        ended, end_cause, reason, end_frame = f["at"], "final-response", f["reason"], f["frame"]
        hangup = "callee" if status in ("busy", "rejected", "failed") else None

    until = answer["at"] if answer else ended
    ring_ms = round((until - started) * 1000) if until is not None else None
    talk_ms = round((ended - answer["at"]) * 1000) if answer and ended is not None else 0
    duration_ms = round((ended - started) * 1000) if ended is not None else None

    def party_of(m):
        if m["from_tag"] in caller_tags:
            same = True
        elif m["from_tag"] in callee_tags or m["to_tag"] in caller_tags:
            same = False
        elif m["to_tag"] in callee_tags:
            same = True
        else:
            same = m["from_tag"] == caller_tag
        if m["method"]:
            return "caller" if same else "callee"
        return "callee" if same else "caller"

    # SDP offers/answers
    req_had_sdp: dict = {}
    sdps = []
    copies_by_frame: dict = {}
    for c in all_copies:
        copies_by_frame.setdefault(
            (c["call_id"], c["cseq"], c["cseq_method"], c["method"] or c["status"]), []
        ).append(c)
    for m in msgs:
        if m["method"]:
            req_had_sdp.setdefault((m["cseq"], m["method"]), m["sdp"] is not None)
        if m["sdp"] is None:
            continue
        if m["method"] in ("INVITE", "UPDATE"):
            kind = "offer"
        elif m["method"] in ("ACK", "PRACK"):
            kind = "answer"
        elif m["method"]:
            kind = "other"
        else:
            had = req_had_sdp.get((m["cseq"], m["cseq_method"]))
            kind = "offer" if had is False else "answer"
        media = [
            {k: v for k, v in md.items() if k not in ("rtpmap", "direction_explicit")}
            for md in m["sdp"]["media"]
        ]
        rtpmaps = [dict(md["rtpmap"]) for md in m["sdp"]["media"]]
        if kind == "answer":
            # a dynamic PT the answer lists without a=rtpmap: take the offer's mapping
            offer = next((s for s in reversed(sdps) if s["kind"] == "offer"), None)
            for i, md in enumerate(media):
                for pt in md["payload_types"]:
                    if pt in rtpmaps[i] or pt in STATIC_PT:
                        continue
                    if offer and i < len(offer["_rtpmaps"]) and pt in offer["_rtpmaps"][i]:
                        name = offer["_rtpmaps"][i][pt]
                        rtpmaps[i][pt] = name
                        md["codecs"] = [name if c == f"PT{pt}" else c for c in md["codecs"]]
                        call_notes.append(
                            f"frame {m['frame']}: answer lists PT {pt} without a=rtpmap; "
                            f"named {name!r} from the offer (frame {offer['frame']})"
                        )
        rec = {
            "at": m["at"],
            "frame": m["frame"],
            "party": party_of(m),
            "kind": kind,
            "message": msg_label(m) if m["method"] else f"{m['status']} {m['cseq_method']}",
            "cseq": m["cseq"],
            "media": media,
            "_rtpmaps": rtpmaps,
        }
        diff = [
            c
            for c in copies_by_frame.get(dedup_key(m), [])
            if c is not m and c["sdp"] and c["sdp"] != m["sdp"]
        ]
        if diff:
            rec["copies"] = [
                {
                    "at": c["at"],
                    "frame": c["frame"],
                    "media": [
                        {k: v for k, v in md.items() if k not in ("rtpmap", "direction_explicit")}
                        for md in c["sdp"]["media"]
                    ],
                }
                for c in diff
            ]
        sdps.append(rec)

    first_answer = next((s for s in sdps if s["kind"] == "answer"), None)
    codecs = []
    if first_answer:
        audio = next((md for md in first_answer["media"] if md["type"] == "audio"), None)
        if audio:
            codecs = audio["codecs"]

    # hold periods per party
    hold = []
    for party in ("caller", "callee"):
        open_h = None
        for s in sdps:
            if s["party"] != party:
                continue
            md = next((x for x in s["media"] if x["type"] == "audio" and x["port"]), None) or next(
                (x for x in s["media"] if x["port"]), None
            )
            if md is None:
                continue
            d = md["direction"]
            if open_h is None and s["kind"] == "offer" and d in ("sendonly", "inactive"):
                open_h = {
                    "party": party,
                    "start": s["at"],
                    "end": None,
                    "direction": d,
                    "start_frame": s["frame"],
                    "end_frame": None,
                }
                hold.append(open_h)
            elif open_h is not None and d in ("sendrecv", "recvonly"):
                open_h["end"] = s["at"]
                open_h["end_frame"] = s["frame"]
                open_h = None
    hold.sort(key=lambda h: h["start"])
    if (
        inv.get("require")
        and "siprec" in inv["require"].lower()
        and any(h["start"] == started for h in hold)
    ):
        call_notes.append(
            "SIPREC session (Require: siprec): its m-lines are sendonly by design, so the literal "
            "hold rule gives a hold period from the INVITE on"
        )

    # SIP INFO DTMF
    dtmf = []
    for m in msgs:
        if m["method"] != "INFO":
            continue
        ct = (m["content_type"] or "").split(";")[0].strip().lower()
        digit = None
        if ct == "application/dtmf-relay":
            mm = re.search(r"(?im)^\s*signal\s*=\s*(\S+)", m["body"])
            if mm:
                digit = mm.group(1)
        elif ct == "application/dtmf":
            digit = m["body"].strip() or None
        if digit is not None:
            digit = {"10": "*", "11": "#"}.get(digit, digit)
            dtmf.append(
                {
                    "at": m["at"],
                    "digit": digit,
                    "party": party_of(m),
                    "source": "sip-info",
                    "frame": m["frame"],
                }
            )

    transfers = [
        {"at": m["at"], "frame": m["frame"], "party": party_of(m), "refer_to": m["refer_to"]}
        for m in msgs
        if m["method"] == "REFER"
    ]

    callee_ua_msg = answer or next(
        (m for m in msgs if inv_resp(m) and (m["server"] or m["user_agent"])), None
    )
    return {
        "sip_call_id": cid,
        "started_at": started,
        "ringing_at": ringing["at"] if ringing else None,
        "answered_at": answer["at"] if answer else None,
        "ended_at": ended,
        "end_cause": end_cause,
        "status": status,
        "sip_code": sip_code,
        "reason": reason,
        "hangup_by": hangup,
        "ring_ms": ring_ms,
        "talk_ms": talk_ms,
        "duration_ms": duration_ms,
        "transport": inv["transport"],
        "caller": {
            "number": inv["from_user"],
            "display_name": inv["from_name"],
            "uri": inv["from_uri"],
            "ip": inv["src_ip"],
            "user_agent": inv["user_agent"],
        },
        "callee": {
            "number": inv["to_user"],
            "display_name": inv["to_name"],
            "uri": inv["to_uri"],
            "ip": inv["dst_ip"],
            "user_agent": (callee_ua_msg["server"] or callee_ua_msg["user_agent"])
            if callee_ua_msg
            else None,
        },
        "frames": {
            "first_invite": inv["frame"],
            "ringing": ringing["frame"] if ringing else None,
            "answer": answer["frame"] if answer else None,
            "end": end_frame,
        },
        "codecs": codecs,
        "sdp": sdps,
        "hold": hold,
        "transfers": transfers,
        "dtmf": dtmf,
        "streams": [],
        "messages": [
            [m["frame"], m["at"], msg_label(m), f"{m['cseq']} {m['cseq_method']}"] for m in msgs
        ],
        "message_copies": len(all_copies),
        "notes": call_notes,
    }


def attach_streams(calls: list[dict], streams: list[dict]) -> list[dict]:
    """Attach each stream to the call whose SDP names its dst (else src) endpoint."""
    index: dict = defaultdict(list)
    for ci, c in enumerate(calls):
        for si, s in enumerate(c["sdp"]):
            for mi, md in enumerate(s["media"]):
                if md["port"] and md["ip"]:
                    index[(md["ip"], md["port"])].append((s["at"], ci, si, mi))
            for cp in s.get("copies", []):  # the same message on another leg, other SDP
                for mi, md in enumerate(cp["media"][: len(s["media"])]):
                    if md["port"] and md["ip"]:
                        index[(md["ip"], md["port"])].append((cp["at"], ci, si, mi))
    unsignalled = []
    for st in streams:
        hit = None
        for by, ep in (
            ("dst", (st["dst_ip"], st["dst_port"])),
            ("src", (st["src_ip"], st["src_port"])),
        ):
            cands = index.get(ep)
            if not cands:
                continue
            before = [c for c in cands if c[0] <= st["first_at"]]
            hit = (by, max(before) if before else min(cands))
            break
        if hit is None:
            st["side"] = None
            st["codec"] = static_codec(st["main_pt"])
            st.update(matched_by=None, sdp_frame=None, sdp_mline=None, sdp_label=None)
            unsignalled.append(st)
            continue
        by, (_, ci, si, mi) = hit
        call = calls[ci]
        sdp = call["sdp"][si]
        st["side"] = other(sdp["party"]) if by == "dst" else sdp["party"]
        st["matched_by"] = by
        st["sdp_frame"] = sdp["frame"]
        st["sdp_mline"] = mi
        st["sdp_label"] = sdp["media"][mi].get("label")
        codec = None
        if st["main_pt"] is not None:
            codec = sdp["_rtpmaps"][mi].get(st["main_pt"])
            if codec is None:
                for s in call["sdp"]:
                    for rm in s["_rtpmaps"]:
                        if st["main_pt"] in rm:
                            codec = rm[st["main_pt"]]
                            break
                    if codec:
                        break
            codec = codec or STATIC_PT.get(st["main_pt"])
        st["codec"] = codec
        call["streams"].append(st)
    return unsignalled


def static_codec(pt):
    return STATIC_PT.get(pt) if pt is not None else None


def rfc4733_digits(stream_pkts: list[dict], side) -> list[dict]:
    seen = OrderedDict()
    for p in stream_pkts:
        if p["event"] is None:
            continue
        k = (p["key"][4], p["ts"])
        if k not in seen:
            seen[k] = {"p": p, "end": False, "duration": 0}
        seen[k]["end"] |= p["event_end"]
        seen[k]["duration"] = max(seen[k]["duration"], p["event_duration"] or 0)
    out = []
    for (ssrc, ts), e in seen.items():
        p = e["p"]
        ev = p["event"]
        out.append(
            {
                "at": p["at"],
                "digit": RFC4733_DIGITS[ev] if ev < 16 else None,
                "event_id": ev,
                "party": side,
                "source": "rfc4733",
                "frame": p["frame"],
                "ssrc": ssrc,
                "rtp_timestamp": ts,
                "end_seen": e["end"],
                "duration": e["duration"],
            }
        )
    return out


# --------------------------------------------------------------------------


def process(path: Path) -> dict:
    COMMANDS.clear()
    notes: list[str] = []
    name = path.name
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    rows = [
        ln.split("\t")
        for ln in tshark(
            path,
            "-T",
            "fields",
            "-E",
            "separator=/t",
            "-e",
            "frame.time_epoch",
            "-e",
            "frame.protocols",
            "-e",
            "tcp.port",
        ).splitlines()
        if ln.strip()
    ]
    frame_times = [r[0] for r in rows]
    protos = [r[1].split(":") if len(r) > 1 else [] for r in rows]
    tcp_ports = [r[2] if len(r) > 2 else "" for r in rows]
    frames = len(frame_times)

    def nframes(pred) -> int:
        return sum(1 for pr in protos if pred(pr))

    msgs, sip_info = sip_messages(path)
    if sip_info["malformed_frames"]:
        notes.append(f"{sip_info['malformed_frames']} SIP frame(s) flagged malformed by tshark")
    raw_counts = Counter(msg_label(m) for m in msgs)
    uniq: dict = {}
    sdp_copies: list[str] = []
    copies: dict = defaultdict(list)
    for m in msgs:
        if m["call_id"] is None:
            notes.append(f"frame {m['frame']}: SIP message without Call-ID ignored")
            continue
        k = dedup_key(m)
        copies[k].append(m)
        if k not in uniq:
            uniq[k] = m
        elif m["sdp"] and uniq[k]["sdp"] and m["sdp"] != uniq[k]["sdp"]:
            sdp_copies.append(f"{m['frame']} (copy of {uniq[k]['frame']})")
    if sdp_copies:
        notes.append(
            f"{len(sdp_copies)} copies of a message (same Call-ID, CSeq, method/status; e.g. "
            "the other leg of a B2BUA/SBC/P-CSCF) carry another SDP than the first copy: "
            f"frames {', '.join(sdp_copies)}. The first copy is the one used (sdp, codecs, "
            "hold); the others are under sdp[].copies and "
            "their endpoints are used for stream matching"
        )
    unique_msgs = list(uniq.values())
    uniq_counts = Counter(msg_label(m) for m in unique_msgs)

    by_cid: dict = defaultdict(list)
    for m in unique_msgs:
        by_cid[m["call_id"]].append(m)
    calls = []
    for cid, ms in by_cid.items():
        if not any(m["method"] == "INVITE" for m in ms):
            continue
        all_copies = [c for m in ms for c in copies[dedup_key(m)]]
        calls.append(build_call(cid, ms, all_copies))
    calls.sort(key=lambda c: (c["started_at"], c["frames"]["first_invite"]))

    # RTP
    pkts = rtp_packets(path)
    tap = rtp_streams_tap(path)
    per_key: dict = OrderedDict()
    for p in pkts:
        per_key.setdefault(p["key"], []).append(p)
    streams = []
    tap_keys = set()
    for t in tap:
        tap_keys.add(t["key"])
        ps = per_key.get(t["key"], [])
        if len(ps) != t["packets"]:
            notes.append(
                f"rtp,streams says {t['packets']} packets for {fmt_key(t['key'])}, "
                f"field export has {len(ps)}"
            )
        pts = list(OrderedDict.fromkeys(p["pt"] for p in ps))
        main_pt = Counter(p["pt"] for p in ps).most_common(1)[0][0] if ps else None
        src, sport, dst, dport, ssrc = t["key"]
        streams.append(
            {
                "ssrc": ssrc,
                "ssrc_hex": f"0x{ssrc:08X}",
                "src_ip": src,
                "src_port": sport,
                "dst_ip": dst,
                "dst_port": dport,
                "side": None,
                "payload_types": pts,
                "main_pt": main_pt,
                "payload_names": t["payload_names"],
                "codec": None,
                "packets": t["packets"],
                "lost": t["lost"],
                "max_delta_ms": t["max_delta_ms"],
                "jitter_mean_ms": t["jitter_mean_ms"],
                "jitter_max_ms": t["jitter_max_ms"],
                "payload_bytes": sum(p["payload"] for p in ps),
                "first_at": ps[0]["at"] if ps else None,
                "last_at": ps[-1]["at"] if ps else None,
                "first_frame": ps[0]["frame"] if ps else None,
                "last_frame": ps[-1]["frame"] if ps else None,
                "rtp_event_packets": sum(1 for p in ps if p["event"] is not None),
            }
        )
    for k in per_key:
        if k not in tap_keys:
            notes.append(f"field export has RTP {fmt_key(k)} that -z rtp,streams does not list")
    streams.sort(key=lambda s: (s["first_at"] or 0, s["first_frame"] or 0))

    unsignalled = attach_streams(calls, streams)
    for c in calls:
        c["streams"].sort(key=lambda s: (s["first_at"] or 0, s["first_frame"] or 0))
        for st in c["streams"]:
            c["dtmf"].extend(rfc4733_digits(per_key.get(stream_key(st), []), st["side"]))
        # one digit per (SSRC, RTP timestamp) across the call's streams (relayed legs)
        seen = set()
        dd = []
        for d in sorted(c["dtmf"], key=lambda d: (d["at"], d["frame"])):
            if d["source"] == "rfc4733":
                k = (d["ssrc"], d["rtp_timestamp"])
                if k in seen:
                    continue
                seen.add(k)
            dd.append(d)
        c["dtmf"] = [d for d in dd if d["digit"] is not None]
        c["rtp_events"] = [d for d in dd if d["digit"] is None]
        c["dtmf_digits"] = "".join(d["digit"] for d in c["dtmf"])
        if c["rtp_events"]:
            ids = sorted({d["event_id"] for d in c["rtp_events"]})
            notes.append(
                f"call {c['sip_call_id']}: RFC 4733 event(s) with non-DTMF id {ids} "
                "listed under rtp_events, not dtmf"
            )
        for s in c["sdp"]:
            s.pop("_rtpmaps", None)
        for st in c["streams"]:
            st.pop("main_pt", None)
    unsignalled_dtmf = []
    for st in unsignalled:
        unsignalled_dtmf.extend(rfc4733_digits(per_key.get(stream_key(st), []), None))
        st.pop("main_pt", None)
    unsignalled_dtmf.sort(key=lambda d: (d["at"], d["frame"]))
    # orphans: in-dialog traffic whose INVITE is not in the capture
    call_ids = {c["sip_call_id"] for c in calls}
    orphans = sorted(
        {
            m["call_id"]
            for m in unique_msgs
            if m["call_id"] not in call_ids
            and (m["cseq_method"] in ("INVITE", "BYE", "CANCEL", "ACK"))
        }
    )
    if orphans:
        notes.append(
            f"{len(orphans)} Call-ID(s) with INVITE/BYE/CANCEL/ACK traffic but no INVITE "
            "request captured "
            f"(not calls): {', '.join(orphans)}"
        )
    for c in calls:
        notes.extend(f"call {c['sip_call_id']}: {n}" for n in c.pop("notes"))
    if frame_times:
        ts = [float(x) for x in frame_times]
        span = max(ts) - min(ts)
        if span > 86400 * 30 or max(ts) >= 2**31:
            notes.append(
                f"frame timestamps are not plausible (span {span / 86400 / 365.25:.1f} years, "
                f"max {max(ts):.0f}{' >= 2^31' if max(ts) >= 2**31 else ''}): "
                "these are the pcap record "
                "times as stored, which tshark reports unchanged"
            )

    # notes: things tshark could not tell / special handling
    if name in FILE_OPTS:
        notes.append(f"decoded with {' '.join(FILE_OPTS[name])}")
    tls_frames = nframes(lambda pr: "tls" in pr and "sip" not in pr)
    if tls_frames:
        ports = sorted(
            {
                int(x)
                for pr, tp in zip(protos, tcp_ports, strict=True)
                if "tls" in pr
                for x in tp.split(",")
                if x.strip().isdigit()
            }
            & {5061, 443, 8443}
        )
        notes.append(
            f"{tls_frames} TLS frame(s) (port {', '.join(map(str, ports)) or 'n/a'}) without keys: "
            "the SIP inside "
            "is not decodable, so no call facts can be taken from them"
        )
    undecoded_frags = nframes(
        lambda pr: "ipv6.fraghdr" in pr and "udp" not in pr and "tcp" not in pr
    )
    if undecoded_frags:
        notes.append(
            f"{undecoded_frags} IPv6 fragment frame(s) only carry data; "
            "the SIP is in the reassembled frame (its time)"
        )
    zrtp = nframes(lambda pr: "zrtp" in pr)
    if zrtp:
        notes.append(
            f"{zrtp} ZRTP packet(s): media is encrypted (SRTP after ZRTP), "
            "RTP headers readable, payload not decodable"
        )
    t38 = nframes(lambda pr: "t38" in pr)
    if t38:
        notes.append(f"{t38} T.38 (UDPTL) packet(s): fax, not RTP; not in streams")
    srtp = [
        s
        for c in calls
        for s in c["sdp"]
        for md in s["media"]
        if md["proto"] and "SAVP" in md["proto"]
    ]
    if srtp:
        notes.append(
            "some SDP offers SRTP (RTP/SAVP[F]); payloads of such media would be encrypted"
        )
    if not msgs:
        notes.append("no SIP decoded by tshark")
    if msgs and not calls:
        notes.append("SIP present but no INVITE: no calls")
    for c in calls:
        if c["ended_at"] is None:
            notes.append(f"call {c['sip_call_id']}: no end seen in the capture (ended_at null)")
    nonmono = sum(1 for a, b in pairwise(frame_times) if float(b) < float(a))
    if nonmono:
        notes.append(
            f"{nonmono} frame(s) earlier than their predecessor: "
            "'first' means first in capture order"
        )
    if unsignalled and calls:
        notes.append(f"{len(unsignalled)} RTP stream(s) match no SDP endpoint of any call")
    rtcp = nframes(lambda pr: "rtcp" in pr)
    calls = [{k: c[k] for k in CALL_KEYS} for c in calls]

    return {
        "file": name,
        "sha256": sha,
        "tshark": TSHARK_VERSION,
        "tshark_options": BASE_OPTS + FILE_OPTS.get(name, []),
        "tshark_commands": list(COMMANDS),
        "frames": frames,
        "first_frame_at": epoch(frame_times[0]) if frame_times else None,
        "last_frame_at": epoch(frame_times[-1]) if frame_times else None,
        "sip_messages": dict(sorted(raw_counts.items(), key=count_order)),
        "sip_messages_unique": dict(sorted(uniq_counts.items(), key=count_order)),
        "sip_transports": sorted({m["transport"] for m in msgs if m["transport"]}),
        "invite_dialogs": len(calls),
        "rtp_packets": len(pkts),
        "rtp_event_packets": sum(1 for p in pkts if p["event"] is not None),
        "rtcp_packets": rtcp,
        "rtp_streams": len(streams),
        "calls": calls,
        "unsignalled": unsignalled,
        "unsignalled_dtmf": unsignalled_dtmf,
        "notes": notes,
    }


def stream_key(st: dict):
    return (st["src_ip"], st["src_port"], st["dst_ip"], st["dst_port"], st["ssrc"])


def fmt_key(k) -> str:
    return f"{k[0]}:{k[1]} -> {k[2]}:{k[3]} ssrc 0x{k[4]:08X}"


def count_order(item):
    k = item[0]
    return (1, int(k), "") if k.isdigit() else (0, 0, k)


def captures(argv: list[str]) -> list[Path]:
    if argv:
        out = []
        for a in argv:
            p = Path(a)
            if not p.exists():
                p = next((d / a for d in CAPTURE_DIRS if (d / a).exists()), p)
            out.append(p)
        return out
    return sorted(
        (
            p
            for d in CAPTURE_DIRS
            if d.is_dir()
            for p in d.iterdir()
            if p.name.endswith(CAPTURE_SUFFIXES)
        ),
        key=lambda p: p.name,
    )


def main(argv: list[str]) -> int:
    global TSHARK_VERSION
    TSHARK_VERSION = subprocess.run(
        [TSHARK, "--version"], capture_output=True, text=True
    ).stdout.splitlines()[0]
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    for p in captures(argv):
        res = process(p)
        (OUT_DIR / f"{p.name}.json").write_text(
            json.dumps(res, indent=1, ensure_ascii=False) + "\n"
        )
        summ = Counter(c["status"] for c in res["calls"])
        print(
            f"{p.name}: {len(res['calls'])} calls {dict(summ)}, {res['rtp_streams']} streams, "
            f"{len(res['unsignalled'])} unsignalled",
            flush=True,
        )
    return 0


TSHARK_VERSION = ""
CALL_KEYS = (
    "sip_call_id",
    "started_at",
    "ringing_at",
    "answered_at",
    "ended_at",
    "end_cause",
    "status",
    "sip_code",
    "reason",
    "hangup_by",
    "ring_ms",
    "talk_ms",
    "duration_ms",
    "transport",
    "caller",
    "callee",
    "frames",
    "codecs",
    "sdp",
    "hold",
    "transfers",
    "dtmf_digits",
    "dtmf",
    "rtp_events",
    "streams",
    "messages",
    "message_copies",
)

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
