"""Assigned numbers the network layer reads and writes (IANA / IEEE registries)."""

from __future__ import annotations

# EtherTypes (IEEE 802 numbers)
ETHERTYPE_IPV4 = 0x0800
ETHERTYPE_IPV6 = 0x86DD
ETHERTYPE_VLAN = 0x8100
"""IEEE 802.1Q customer tag."""
ETHERTYPE_QINQ = 0x88A8
"""IEEE 802.1ad service tag (the outer tag of QinQ)."""
ETHERTYPE_QINQ_OLD = 0x9100
"""Pre-standard QinQ outer tag, still seen on some switches."""
VLAN_TPIDS = (ETHERTYPE_VLAN, ETHERTYPE_QINQ, ETHERTYPE_QINQ_OLD)
ETHERTYPE_PPPOE_SESSION = 0x8864
ETHERTYPE_MPLS = 0x8847
ETHERTYPE_MPLS_MULTICAST = 0x8848
ETHERTYPE_TEB = 0x6558
"""Transparent Ethernet bridging: GRE carries a whole Ethernet frame."""
ETHERTYPE_ERSPAN_2 = 0x88BE
"""ERSPAN type II (type I when the GRE header has no sequence number)."""
ETHERTYPE_ERSPAN_3 = 0x22EB

# PPP protocol numbers (RFC 1661)
PPP_IPV4 = 0x0021
PPP_IPV6 = 0x0057

# IP protocol numbers, IPv6 extension headers among them
IPPROTO_HOPOPTS = 0
IPPROTO_IPIP = 4
IPPROTO_TCP = 6
IPPROTO_UDP = 17
IPPROTO_IPV6 = 41
IPPROTO_ROUTING = 43
IPPROTO_FRAGMENT = 44
IPPROTO_GRE = 47
IPPROTO_AH = 51
IPPROTO_NONE = 59
IPPROTO_DSTOPTS = 60

# TCP header flags (RFC 793 section 3.1)
TCP_FIN = 0x01
TCP_SYN = 0x02
TCP_RST = 0x04
TCP_PSH = 0x08
TCP_ACK = 0x10

# Address families in BSD loopback headers
AF_INET = 2
AF_INET6 = frozenset((10, 24, 28, 30))
"""AF_INET6 differs by OS: Linux 10, NetBSD/OpenBSD 24, FreeBSD 28, macOS 30."""

# Well-known ports
VXLAN_PORT = 4789
"""RFC 7348."""
SIP_TLS_PORT = 5061
"""RFC 3261 section 26.2.2."""
