"""Damaged and foreign input: every complete packet first, then one CaptureError naming the
byte offset, and never any other exception.
"""

from __future__ import annotations

import contextlib
import gzip
import os
import struct

import pytest
from capfiles import (
    EPB,
    IDB,
    ISB,
    block,
    epb,
    idb,
    option,
    pcap_bytes,
    pcap_header,
    pcap_record,
    read_all,
    shb,
    spb,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from callvault.capture.reader import open_capture
from callvault.errors import CaptureError

FRAMES = [b"", b"abc", b"\x01" * 60, b"\x02" * 214, b"\x03" * 5]
ENGINES = pytest.mark.parametrize("use_libpcap", [True, False], ids=["libpcap", "python"])


def opening_error(path) -> CaptureError:
    with pytest.raises(CaptureError) as info:
        open_capture(path)
    return info.value


# --- not a capture at all ---------------------------------------------------------------------


def test_missing_file(tmp_path):
    error = opening_error(tmp_path / "nope.pcap")
    assert (error.reason, error.offset) == ("no such file", None)
    assert str(error) == f"{tmp_path / 'nope.pcap'}: no such file"


def test_directory(tmp_path):
    assert opening_error(tmp_path).reason == "is a directory, not a capture file"


@pytest.mark.skipif(
    os.name != "posix" or os.geteuid() == 0, reason="root reads files whatever their permissions"
)
def test_permission_denied(tmp_path):
    path = tmp_path / "secret.pcap"
    path.write_bytes(pcap_bytes(FRAMES)[0])
    path.chmod(0)
    assert opening_error(path).reason == "permission denied"


def test_empty_file(tmp_path):
    (tmp_path / "empty.pcap").write_bytes(b"")
    assert opening_error(tmp_path / "empty.pcap").reason == "empty file (0 bytes)"


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (
            b"<html><body>404</body></html>",
            "not a pcap or pcapng capture (starts with 3c 68 74 6d)",
        ),
        (
            b"\x28\xb5\x2f\xfd" + bytes(40),
            "not a pcap or pcapng capture: it is zstd-compressed: decompress it first (zstd -d)",
        ),
        (
            b"PK\x03\x04" + bytes(40),
            "not a pcap or pcapng capture: it is a zip archive: unpack it first",
        ),
        (
            gzip.compress(b"just some text"),
            "not a pcap or pcapng capture inside the gzip file (starts with 6a 75 73 74)",
        ),
        (gzip.compress(b""), "the gzip file holds no data"),
        (
            struct.pack("<I", 0xA1B2CD34) + bytes(20),
            "unsupported pcap variant (Kuznetzov's modified format): "
            "convert it with editcap -F pcap",
        ),
        (pcap_header(version=(1, 0)), "unsupported pcap version 1.0"),
        (b"\xd4\xc3", "truncated: the capture ends inside the file header (2 bytes)"),
        (
            pcap_header()[:10],
            "truncated: the capture ends inside the pcap file header (10 of 24 bytes)",
        ),
    ],
)
def test_not_a_capture(tmp_path, content, reason):
    path = tmp_path / "x"
    path.write_bytes(content)
    assert opening_error(path).reason == reason


# --- truncated --------------------------------------------------------------------------------


@ENGINES
def test_pcap_cut_anywhere(tmp_path, use_libpcap):
    data, offsets = pcap_bytes(FRAMES)
    ends = [o + 16 + len(f) for o, f in zip(offsets, FRAMES, strict=True)]
    path = tmp_path / "cut.pcap"
    for cut in range(24, len(data) + 1):
        path.write_bytes(data[:cut])
        got = read_all(path, batch_packets=2, use_libpcap=use_libpcap)
        whole = sum(end <= cut for end in ends)
        assert got.frames == FRAMES[:whole], cut
        if cut in ends or cut == 24:
            assert got.error is None
            continue
        start = offsets[whole]
        have = cut - start
        what = (
            f"packet record header ({have} of 16 bytes)"
            if have < 16
            else f"packet record ({have} of {16 + len(FRAMES[whole])} bytes)"
        )
        assert got.error.offset == start, cut
        assert got.error.reason == f"truncated: the capture ends inside a {what}"


def pcapng_sample() -> tuple[bytes, list[tuple[int, int, bytes | None]]]:
    """A pcapng file and its blocks as (offset, end, frame or None)."""
    blocks = [
        (shb(), None),
        (idb(1, tsresol=9), None),
        (epb(0, 10**18, b"one"), b"one"),
        (block(ISB, bytes(12)), None),
        (spb(b"two!!"), b"two!!"),
        (epb(0, 10**18 + 5, bytes(50)), bytes(50)),
    ]
    out, layout, pos = b"", [], 0
    for raw, frame in blocks:
        layout.append((pos, pos + len(raw), frame))
        out += raw
        pos += len(raw)
    return out, layout


def test_pcapng_cut_anywhere(tmp_path):
    data, layout = pcapng_sample()
    path = tmp_path / "cut.pcapng"
    for cut in range(4, len(data) + 1):
        path.write_bytes(data[:cut])
        got = read_all(path, batch_packets=1)
        assert got.frames == [f for _, end, f in layout if f is not None and end <= cut], cut
        if cut in [end for _, end, _ in layout]:
            assert got.error is None
            continue
        start, end, _ = next(b for b in layout if b[0] <= cut < b[1])
        have = cut - start
        what = (
            f"a pcapng block header ({have} of 8 bytes)"
            if have < 8
            else f"a pcapng block ({have} of {end - start} bytes)"
        )
        assert (got.error.offset, got.error.reason) == (
            start,
            f"truncated: the capture ends inside {what}",
        ), cut


def test_gzip_cut_anywhere(tmp_path):
    data, _ = pcap_bytes(FRAMES * 20)
    packed = gzip.compress(data)
    path = tmp_path / "cut.pcap.gz"
    for cut in range(1, len(packed)):
        path.write_bytes(packed[:cut])
        try:
            got = read_all(path, batch_packets=7)
        except CaptureError as exc:  # nothing could be decompressed at all
            assert exc.reason.startswith(("truncated", "not a pcap")), cut
            continue
        assert got.frames == (FRAMES * 20)[: len(got.frames)]
        assert got.error is not None, cut
        assert got.error.reason == "truncated gzip stream: the file ends inside compressed data"
        assert got.error.offset == cut


def test_damage_inside_a_whole_gzip_stream_is_placed_in_the_decompressed_data(tmp_path):
    data, offsets = pcap_bytes(FRAMES)
    path = tmp_path / "cut.pcap.gz"
    path.write_bytes(gzip.compress(data[: offsets[4] + 3]))
    got = read_all(path)
    assert got.frames == FRAMES[:4]
    assert (got.error.offset, got.error.reason) == (
        offsets[4],
        "truncated: the capture ends inside a packet record header (3 of 16 bytes) "
        "(offset in the decompressed data)",
    )


def test_corrupt_gzip(tmp_path):
    data, offsets = pcap_bytes(FRAMES)
    second = bytearray(gzip.compress(data[offsets[3] :]))
    second[10] |= 0b110  # the first deflate block's type becomes 3: reserved, an error
    path = tmp_path / "bad.pcap.gz"
    first = gzip.compress(data[: offsets[3]])
    path.write_bytes(first + bytes(second))
    got = read_all(path, batch_packets=2)
    assert got.frames == FRAMES[:3]
    assert got.error.offset <= len(first) + 10  # at or before the damaged byte
    assert got.error.reason == (
        "corrupt gzip stream (Error -3 while decompressing data: invalid block type)"
    )


def test_gzip_members_and_zero_padding_are_read(tmp_path):
    first, _ = pcap_bytes(FRAMES)
    path = tmp_path / "two.pcap.gz"
    path.write_bytes(gzip.compress(first[:100]) + gzip.compress(first[100:]) + bytes(64))
    assert read_all(path).frames == FRAMES


def test_gzip_with_trailing_garbage(tmp_path):
    data, _ = pcap_bytes(FRAMES)
    path = tmp_path / "tail.pcap.gz"
    path.write_bytes(gzip.compress(data) + b"garbage")
    got = read_all(path)
    assert got.frames == FRAMES
    assert got.error.reason.startswith("corrupt gzip stream (")


# --- corrupt ----------------------------------------------------------------------------------


@ENGINES
def test_pcap_absurd_caplen(tmp_path, use_libpcap):
    data, offsets = pcap_bytes(FRAMES)
    bad = bytearray(data)
    struct.pack_into("<I", bad, offsets[3] + 8, 1 << 20)
    path = tmp_path / "bad.pcap"
    path.write_bytes(bytes(bad))
    got = read_all(path, batch_packets=2, use_libpcap=use_libpcap)
    assert got.frames == FRAMES[:3]
    assert got.error.offset == offsets[3]
    assert got.error.reason == (
        "corrupt: a packet record claims 1048576 captured bytes (at most 262144 are possible)"
    )


GOOD = shb() + idb(1) + epb(0, 1, b"ok")
AT = len(GOOD)
"""Offset of the damaged block in each case below."""


@pytest.mark.parametrize(
    ("tail", "reason", "skip"),
    [
        (
            struct.pack("<II", EPB, 34) + bytes(26),
            "corrupt: pcapng block length 34 is not a multiple of 4",
            0,
        ),
        (
            struct.pack("<II", EPB, 8),
            "corrupt: pcapng block length 8 is below the 12-byte minimum",
            0,
        ),
        (
            struct.pack("<II", 0x77, 1 << 30) + bytes(8),
            "corrupt: pcapng block length 1073741824 is over the 16777216-byte limit",
            0,
        ),
        (
            epb(0, 2, b"x")[:-4] + struct.pack("<I", 40),
            "corrupt: pcapng block length mismatch (header says 36, trailer says 40)",
            0,
        ),
        (epb(5, 2, b"x"), "corrupt: a packet block names interface 5 but the section has 1", 0),
        (
            block(EPB, struct.pack("<IIIII", 0, 0, 2, 1000, 1000) + bytes(8)),
            "corrupt: a 40-byte packet block cannot hold its 1000 captured bytes",
            0,
        ),
        (
            block(EPB, struct.pack("<IIIII", 0, 0, 2, 300000, 300000) + bytes(8)),
            "corrupt: a packet block claims 300000 captured bytes (at most 262144 are possible)",
            0,
        ),
        (
            shb()[:8] + b"\x00\x01\x02\x03" + shb()[12:],
            "corrupt: section header block with a bad byte-order magic (00 01 02 03)",
            0,
        ),
        (shb(version=(2, 0)), "unsupported pcapng version 2.0", 0),
        (
            shb() + epb(0, 2, b"x"),
            "corrupt: a packet block names interface 0 but the section has 0",
            len(shb()),
        ),
        (
            block(IDB, struct.pack("<HHI", 1, 0, 0) + struct.pack("<HH", 9, 40)),
            "corrupt: interface description block with a malformed option",
            0,
        ),
        (
            block(IDB, struct.pack("<HHI", 1, 0, 0) + option(9, b"\x06\x06") + bytes(4)),
            "corrupt: interface description block with a malformed option",
            0,
        ),
        (
            block(IDB, struct.pack("<HHI", 1, 0, 0) + option(9, b"\x13") + bytes(4)),
            "unsupported timestamp resolution (if_tsresol 0x13)",
            0,
        ),
        (
            struct.pack("<II", IDB, 12) + struct.pack("<I", 12),
            "corrupt: pcapng block of type 0x1 is 12 bytes, under its 20",
            0,
        ),
    ],
)
def test_corrupt_pcapng(tmp_path, tail, reason, skip):
    path = tmp_path / "bad.pcapng"
    path.write_bytes(GOOD + tail + epb(0, 3, b"never"))
    got = read_all(path)
    assert got.frames == [b"ok"]
    assert (got.error.offset, got.error.reason) == (AT + skip, reason)


# --- anything at all --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fuzz_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz")


def only_capture_errors(path, content: bytes, use_libpcap: bool) -> None:
    path.write_bytes(content)
    with contextlib.suppress(CaptureError):
        read_all(path, batch_packets=3, use_libpcap=use_libpcap)


FUZZ = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@FUZZ
@given(content=st.binary(max_size=600), use_libpcap=st.booleans())
def test_random_bytes_raise_only_capture_errors(fuzz_dir, content, use_libpcap):
    only_capture_errors(fuzz_dir / "random", content, use_libpcap)


SEEDS = [
    pcap_bytes(FRAMES)[0],
    pcap_header(">", nano=True) + pcap_record(1, 2, b"abc", ">") + pcap_record(3, 4, b"", ">"),
    pcapng_sample()[0] + shb(">") + idb(113, ">", tsresol=0x80 | 10, tsoffset=-5) + spb(b"q", ">"),
    gzip.compress(pcap_bytes(FRAMES)[0]),
]


NASTY_WORDS = [b"\xff\xff\xff\xff", b"\x00\x00\x00\x00", b"\x00\x00\x04\x00", b"\x0a\x0d\x0d\x0a"]
"""Lengths and types that stress a reader: huge, zero, just over the snaplen, a section header."""


@FUZZ
@given(seed=st.sampled_from(SEEDS), use_libpcap=st.booleans(), data=st.data())
def test_mutated_captures_raise_only_capture_errors(fuzz_dir, seed, use_libpcap, data):
    content = bytearray(seed)
    for _ in range(data.draw(st.integers(1, 6))):
        at = data.draw(st.integers(0, len(content) - 1))
        choice = data.draw(st.integers(0, 3))
        if choice == 0:
            content[at] = data.draw(st.integers(0, 255))
        elif choice == 1:
            content[at : at + 4] = data.draw(st.sampled_from(NASTY_WORDS))
        elif choice == 2:
            del content[at:]
            if not content:
                break
        else:
            content[at:at] = data.draw(st.binary(min_size=1, max_size=8))
    only_capture_errors(fuzz_dir / "mutated", bytes(content), use_libpcap)
