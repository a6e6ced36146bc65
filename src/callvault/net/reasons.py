"""Why the network layer did not hand a packet up: the keys of NetCounters.skipped.

Each reason is a fixed string, shown as is in the ingest summary. Malformed input is reported
by raising ParseError/Truncated with one of these strings as its message; everything else is
counted directly. Counts are packets (for reassembly losses: the fragments or segments lost).
"""

from __future__ import annotations

# Link layer
LINK_UNSUPPORTED = "link: unsupported link type"
LINK_TRUNCATED = "link: truncated"
NOT_IP = "link: not IP (ARP, LLDP, PPP control, ...)"
PPPOE_BAD = "pppoe: bad header"
MPLS_BAD = "mpls: bad label stack or payload"

# IP
IP_VERSION = "ip: version neither 4 nor 6"
IPV4_TRUNCATED = "ipv4: truncated"
IPV4_BAD = "ipv4: bad header"
IPV6_TRUNCATED = "ipv6: truncated"
IPV6_BAD = "ipv6: bad header or extension header"
IP_OTHER_PROTOCOL = "ip: other protocol (ICMP, ESP, SCTP, ...)"
IP_NO_NEXT_HEADER = "ip: no next header"

# Fragment reassembly (RFC 791, RFC 8200 section 4.5)
FRAGMENT_BAD = "ip fragment: bad offset or length"
FRAGMENT_TRUNCATED = "ip fragment: truncated by snaplen"
FRAGMENT_DUPLICATE = "ip fragment: duplicate"
FRAGMENT_OVERLAP = "ip fragment: conflicting overlap (datagram dropped)"
FRAGMENT_TIMEOUT = "ip fragment: reassembly timed out (30 s)"
FRAGMENT_EVICTED = "ip fragment: evicted (reassembly memory full)"
FRAGMENT_INCOMPLETE = "ip fragment: incomplete at end of capture"

# Tunnels
TUNNEL_TOO_DEEP = "tunnel: nested too deep"
GRE_UNSUPPORTED = "gre: unsupported version, flags or protocol"
GRE_TRUNCATED = "gre: truncated"
ERSPAN_BAD = "erspan: bad or truncated header"

# UDP
UDP_TRUNCATED = "udp: truncated header"
UDP_BAD_LENGTH = "udp: bad length"

# TCP (RFC 793)
TCP_TRUNCATED = "tcp: truncated (snaplen)"
TCP_BAD = "tcp: bad header"
TCP_CONTROL = "tcp: no payload (SYN/ACK/FIN/RST)"
TCP_RETRANSMISSION = "tcp: retransmission"
TCP_GAP = "tcp: segments lost (hole skipped)"
TCP_EVICTED = "tcp: buffered segments dropped (stream expired or evicted)"

# What rides on TCP
TLS = "tls (encrypted)"
WEBSOCKET_CONTROL = "websocket: handshake or control frame (close, ping, pong)"
WEBSOCKET_BAD = "websocket: bad frame"
WEBSOCKET_TOO_LARGE = "websocket: message too large"
WEBSOCKET_DEFLATE = "websocket: bad permessage-deflate data"
WEBSOCKET_LOST = "websocket: partial message lost (gap or end of capture)"

DECODER_ERROR = "malformed (decoder error)"
"""A packet that tripped an unexpected error in the decoder; should stay zero."""


class Skipped(Exception):
    """A packet that is well formed but not handed up; the message is its reason."""
