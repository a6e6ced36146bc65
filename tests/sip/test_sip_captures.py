"""Every SIP-over-UDP message in the shared captures parses, and agrees with tshark.

tshark (Wireshark's SIP dissector) is the oracle: for each datagram it calls SIP, our
method or status code and Call-ID must be the ones it read.
"""

from __future__ import annotations

import shutil
import subprocess

import pytest
from sipdata import SHARED_TESTDATA

from callvault.sip import SipRequest, check_message, parse_message

CAPTURES = sorted(
    str(p.relative_to(SHARED_TESTDATA)) for p in SHARED_TESTDATA.glob("*/*.pcap*") if p.is_file()
)


def _tshark_sip_datagrams(path: str) -> list[tuple[bytes, str, str, str]]:
    rows = subprocess.run(
        [
            "tshark", "-r", path, "-Y", "sip && udp", "-T", "fields",
            "-e", "udp.payload", "-e", "sip.Method", "-e", "sip.Status-Code", "-e", "sip.Call-ID",
        ],
        capture_output=True, text=True, check=True, timeout=300,
    ).stdout.splitlines()  # fmt: skip
    out = []
    for row in rows:
        payload, method, status, call_id = [*row.split("\t"), "", "", ""][:4]
        out.append((bytes.fromhex(payload.replace(":", "")), method, status, call_id))
    return out


@pytest.mark.testdata
@pytest.mark.tshark
@pytest.mark.parametrize("capture", CAPTURES or ["(none)"])
def test_udp_sip_matches_tshark(capture: str) -> None:
    if not CAPTURES:
        pytest.skip("shared test data absent")
    if shutil.which("tshark") is None:
        pytest.skip("tshark not installed")
    for data, method, status, call_id in _tshark_sip_datagrams(str(SHARED_TESTDATA / capture)):
        msg = parse_message(data)
        if isinstance(msg, SipRequest):
            assert msg.method == method
        else:
            assert str(msg.status) == status
        assert msg.call_id == call_id.split(",")[0]
        assert msg.size == len(data)
        assert all(isinstance(problem, str) for problem in check_message(msg))
