"""Fast paths of the correlator held to the slow answers they stand in for: private_ipv4 to
ipaddress's is_private (at the edges of every range ipaddress knows, and at random), and
the positional MediaStream it builds to the model's field order."""

from __future__ import annotations

import ipaddress
import random

from callvault.calls.media import private_ipv4


def _edges() -> list[int]:
    """The first and last address of every IPv4 range ipaddress names (private, reserved,
    shared, multicast, ...), and their neighbours on either side."""
    nets = [
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
        "172.16.0.0/12", "192.0.0.0/24", "192.0.0.0/29", "192.0.0.8/31", "192.0.0.170/31",
        "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24",
        "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4", "255.255.255.255/32",
    ]  # fmt: skip
    values = []
    for net in map(ipaddress.IPv4Network, nets):
        for value in (int(net.network_address), int(net.broadcast_address)):
            values.extend(v for v in (value - 1, value, value + 1) if 0 <= v < 2**32)
    return values


def test_edges_of_every_range_as_ipaddress_says() -> None:
    for value in _edges():
        assert private_ipv4(value) is ipaddress.IPv4Address(value).is_private, value


def test_the_whole_ietf_block_and_random_addresses_as_ipaddress_says() -> None:
    rnd = random.Random(20240611)
    values = list(range(0xC0000000, 0xC0000100)) + [rnd.getrandbits(32) for _ in range(20_000)]
    for value in values:
        assert private_ipv4(value) is ipaddress.IPv4Address(value).is_private, value


def test_media_stream_fields_in_the_order_the_correlator_passes_them() -> None:
    """Correlator._media_stream builds MediaStream positionally (quality fields in the
    order of its _quality_fields): a field added or moved must be placed there too."""
    from dataclasses import fields

    from callvault.calls.model import MediaStream

    assert [f.name for f in fields(MediaStream)] == [
        "ssrc", "src_ip", "src_port", "dst_ip", "dst_port", "side", "payload_types", "codec",
        "packets", "bytes", "first_at", "last_at", "rtcp_packets", "expected", "lost",
        "loss_bursts", "duplicates", "out_of_order", "jitter_mean_ms", "jitter_max_ms",
        "max_delta_ms", "mos", "not_decodable",
    ]  # fmt: skip
