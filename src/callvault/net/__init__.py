"""Frames to datagrams: link layers, VLAN, IPv4/IPv6 and fragments, UDP, TCP streams, tunnels."""

from callvault.net.datagram import AddressTable, DatagramBatch, NetCounters, StreamData
from callvault.net.decode import NetDecoder, NetLimits
from callvault.net.tcp import TcpLimits

__all__ = [
    "AddressTable",
    "DatagramBatch",
    "NetCounters",
    "NetDecoder",
    "NetLimits",
    "StreamData",
    "TcpLimits",
]
