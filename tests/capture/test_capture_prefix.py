"""The frames' first bytes the pcap reader gathers with the record headers (PacketBatch.prefix):
they are the frames' own bytes, and decoding from them gives what decoding the batch does."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from capfiles import pcap_bytes, sample_frames

from callvault.capture.batch import PREFIX_LEN
from callvault.capture.reader import open_capture
from callvault.net import build
from callvault.net.fastpath import decode_udp


def _udp_frames(count: int) -> list[bytes]:
    """Plain Ethernet/IPv4/UDP frames, some cut short, among frames of any bytes."""
    rng = np.random.default_rng(5)
    frames = []
    for i, other in enumerate(sample_frames(count)):
        payload = rng.bytes(int(rng.choice([0, 3, 160, 172])))
        frame = build.udp_frame("192.0.2.1", 10000 + i, "198.51.100.7", 20000, payload)
        frames.append(frame[: int(rng.integers(30, len(frame) + 1))] if i % 7 == 0 else frame)
        if i % 5 == 0:
            frames.append(other)
    return frames


@pytest.mark.parametrize("order", ["<", ">"])
def test_prefix_rows_hold_the_frames_first_bytes(tmp_path, order) -> None:
    frames = sample_frames(500)
    path = tmp_path / "a.pcap"
    path.write_bytes(pcap_bytes(frames, order)[0])
    seen = 0
    with open_capture(path, 37, use_libpcap=False) as reader:
        for batch in reader:
            assert batch.prefix is not None and batch.prefix.shape == (len(batch), PREFIX_LEN)
            for i in range(len(batch)):
                frame = batch.frame(i)[:PREFIX_LEN]
                assert batch.prefix[i, : len(frame)].tobytes() == frame
            seen += len(batch)
    assert seen == len(frames)


def test_decoding_from_the_prefix_is_decoding_the_batch(tmp_path) -> None:
    frames = _udp_frames(400)
    path = tmp_path / "udp.pcap"
    path.write_bytes(pcap_bytes(frames)[0])
    taken = 0
    with open_capture(path, 50, use_libpcap=False) as reader:
        for batch in reader:
            assert batch.prefix is not None
            handled, datagrams = decode_udp(batch)
            handled_alone, alone = decode_udp(dataclasses.replace(batch, prefix=None))
            np.testing.assert_array_equal(handled, handled_alone)
            for name in ("ts", "start", "length", "src", "dst", "sport", "dport"):
                np.testing.assert_array_equal(getattr(datagrams, name), getattr(alone, name))
            taken += int(handled.sum())
    assert taken > 300


def test_lead_words_hold_each_payloads_first_bytes(tmp_path) -> None:
    """DatagramBatch.lead: the first 16 bytes of every payload, as far as the payload has
    them, handed over with the datagrams the prefix decoded (none where it was not used)."""
    frames = _udp_frames(400)
    path = tmp_path / "lead.pcap"
    path.write_bytes(pcap_bytes(frames)[0])
    checked = 0
    with open_capture(path, 50, use_libpcap=False) as reader:
        for batch in reader:
            _, datagrams = decode_udp(batch)
            assert datagrams.lead is not None and datagrams.lead.shape == (2, len(datagrams))
            lead = datagrams.lead.T.astype(">u8").tobytes()
            for i in range(len(datagrams)):
                payload = datagrams.payload(i)[:16]
                assert lead[16 * i : 16 * i + len(payload)] == payload
                checked += 1
            _, alone = decode_udp(dataclasses.replace(batch, prefix=None))
            assert alone.lead is None
    assert checked > 300
