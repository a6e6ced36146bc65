"""Public captures nobody on the project wrote: counts from SOURCES.md, times from tshark."""

from __future__ import annotations

import gzip
import shutil
import subprocess

import numpy as np
import pytest
from capfiles import TESTDATA, public_captures, read_all

from callvault.capture.batch import LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL, LINKTYPE_NULL

pytestmark = pytest.mark.testdata

LINKS = {"ether": LINKTYPE_ETHERNET, "null": LINKTYPE_NULL, "linux-sll": LINKTYPE_LINUX_SLL}

TSHARK_FIRST_LAST = {
    # tshark -r FILE -T fields -e frame.time_epoch (Debian 12, tshark 4.0.17): first, last
    "Asterisk_ZFONE_XLITE.pcap": ("1285571569.978304000", "1285571602.468332000"),
    "DTMFsipinfo.pcap": ("1303892069.846846000", "1303892148.321286000"),
    "FAX-Call-t38-CA-TDM-SIP-FB-1.pcap": ("1228468937.630923000", "1228469046.884194000"),
    "SIP_CALL_RTP_G711.pcap": ("1105725482.965944000", "1105725517.874679000"),
    "SIP_DTMF2.cap": ("1126267345.330945000", "1126267445.367724000"),
    "aaa.pcap": ("1120469540.839312000", "1120471107.427770000"),
    "b2bua-asterisk.pcapng": ("1463595783.881485000", "1463595811.065741000"),
    "codec-negotiation.pcap": ("1782326787.811597000", "1782326793.824278000"),
    "erspan_sip_ipv4_udp.pcapng": ("1526006114.962510000", "1526006149.957697000"),
    "h263-over-rtp.pcap": ("1208261984.291540000", "1208261985.768136000"),
    "invite-opus-bye.pcap": ("1782336735.418517000", "1782336738.426559000"),
    "ipip.pcap": ("1639489747.335564000", "1639489781.007679000"),
    "ipv6frag.pcap": ("1647926426.047902000", "1647926590.661924000"),
    "pcap2wav-one-rtp-only.pcap": ("1678328335.251827000", "1678328343.328584000"),
    "register-invite-reinvite-bye.pcap": ("1782336874.936653000", "1782336877.273496000"),
    "rtp-protocol.pcap": ("1311238105.417810000", "1311238112.382576000"),
    "sip-488-codec-reject.pcapng": ("1566926798.890031000", "1566926808.953340000"),
    "sip-over-tcp.pcap": ("1311857686.556175000", "1311857693.090341000"),
    "sip-proxy.pcap": ("1312180650.454022000", "1312180653.424145000"),
    "sip-rtp-g711.pcap": ("1480171979.666393000", "1480171996.569179000"),
    "sip-rtp-g722.pcap": ("1480172906.214942000", "1480172914.718702000"),
    "sip-rtp-g729a.pcap": ("1480675281.070298000", "1480675289.577232000"),
    "sip-rtp-opus-hybrid.pcap": ("1480255668.834427000", "1480255675.158642000"),
    "sip_ipv4_tcp_fragmented.pcap": ("1531993985.422287000", "1531994112.223490000"),
    # the last packet of this one really is stamped in 2092
    "sip_ipv6_udp.pcap": ("1328589362.251758000", "3867576602.251758000"),
    "sip_tcp_websocket.pcap": ("1542051161.194311000", "1542051177.944361000"),
    "sipp-branch-scenario.pcapng": ("1479419555.303348707", "1479419688.603277042"),
    "sipp-g711a-rtp-only.pcap": ("1027664343.268118000", "1027664350.317746000"),
    "tlssaved.pcap": ("1413481814.926462000", "1413481817.995034000"),
}


def sources_table() -> dict[str, dict[str, str]]:
    """The "What is inside" table of SOURCES.md: file name → column → cell."""
    lines = (TESTDATA / "SOURCES.md").read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| file | bytes | packets"))
    names = [cell.strip() for cell in lines[start].strip("|").split("|")]
    rows = {}
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        cells = dict(zip(names, (c.strip() for c in line.strip("|").split("|")), strict=True))
        rows[cells["file"]] = cells
    return rows


@pytest.fixture(scope="module")
def table():
    if not (TESTDATA / "SOURCES.md").is_file():
        pytest.skip(f"{TESTDATA} is absent (the shared test data)")
    return sources_table()


@pytest.mark.parametrize("name", public_captures(".pcap", ".cap", ".pcapng"))
def test_public_capture(name, table):
    row = table[name]
    got = read_all(TESTDATA / name, batch_packets=1000)
    assert got.error is None
    assert got.packets == len(got.frames) == int(row["packets"])
    assert got.position == got.size == int(row["bytes"])
    assert set(got.linktype.tolist()) == {LINKS[row["link"]]}
    first, last = TSHARK_FIRST_LAST[name]
    assert (got.ts[0], got.ts[-1]) == (float(first), float(last))


def test_every_listed_capture_is_checked(table):
    assert set(table) == set(TSHARK_FIRST_LAST)


@pytest.mark.parametrize("name", public_captures(".pcap", ".cap", ".pcapng"))
def test_public_capture_gzipped_reads_the_same(name, tmp_path):
    path = tmp_path / (name + ".gz")
    path.write_bytes(gzip.compress((TESTDATA / name).read_bytes(), compresslevel=1))
    plain = read_all(TESTDATA / name, batch_packets=500)
    packed = read_all(path, batch_packets=500)
    assert packed.error is None
    assert packed.frames == plain.frames
    assert np.array_equal(packed.ts, plain.ts)
    assert packed.sizes == plain.sizes
    assert packed.position == packed.size == path.stat().st_size


@pytest.mark.tshark
@pytest.mark.parametrize(
    "name",
    [
        "b2bua-asterisk.pcapng",
        "sipp-branch-scenario.pcapng",
        "erspan_sip_ipv4_udp.pcapng",
        "h263-over-rtp.pcap",
        "ipv6frag.pcap",
    ],
)
def test_every_time_and_length_agrees_with_tshark(name):
    if shutil.which("tshark") is None:
        pytest.skip("tshark is not installed")
    if not (TESTDATA / name).is_file():
        pytest.skip(f"{TESTDATA} is absent")
    fields = ["-e", "frame.time_epoch", "-e", "frame.cap_len"]
    out = subprocess.run(
        ["tshark", "-r", str(TESTDATA / name), "-T", "fields", *fields],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rows = [line.split("\t") for line in out.splitlines()]
    got = read_all(TESTDATA / name)
    assert got.ts.tolist() == [float(r[0]) for r in rows]
    assert [len(f) for f in got.frames] == [int(r[1]) for r in rows]
