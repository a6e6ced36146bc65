"""Why a stream's audio cannot be decoded: encryption (SRTP, ZRTP) or a codec without a decoder."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from callvault.codecs import avcodec
from callvault.codecs.registry import KNOWN_ENCODINGS, decoder_for

if TYPE_CHECKING:
    from callvault.sip.sdp import RtpMap

ZRTP_MAGIC_COOKIE = b"ZRTP"
"""0x5A525450, bytes 4-8 of every ZRTP packet (RFC 6189 §5)."""
ZRTP_PREAMBLE = b"PZ"
"""0x505A, the first field of every ZRTP message, at byte 12 of the packet (RFC 6189 §5.1)."""


def is_zrtp_packet(datagram: bytes) -> bool:
    """Whether a UDP payload is a ZRTP packet (RFC 6189 §5): version bits 0001, the magic cookie,
    and a message preamble. ZRTP shares the media port; after it, the media is SRTP."""
    return (
        len(datagram) >= 16
        and datagram[0] >> 4 == 1
        and datagram[4:8] == ZRTP_MAGIC_COOKIE
        and datagram[12:14] == ZRTP_PREAMBLE
    )


def describe_undecodable(
    proto: str,
    attributes: Iterable[tuple[str, str | None]] = (),
    rtpmap: RtpMap | None = None,
    fmtp: str | None = None,
    *,
    zrtp_seen: bool = False,
) -> str | None:
    """A short reason why the media of an SDP m= section cannot become audio, or None.

    ``proto`` and ``attributes`` are the m= section's (``MediaDescription.proto`` and
    ``.attributes``); ``rtpmap`` and ``fmtp`` the format the stream uses; ``zrtp_seen`` says
    ZRTP packets were seen on the stream's ports (Zfone-style ZRTP leaves no trace in SDP).
    Encryption is reported as keyless: the engine asks only when it has no keys to use.
    """
    names = {name.lower() for name, _ in attributes}
    upper = proto.upper()
    if zrtp_seen or "zrtp-hash" in names:
        return "encrypted (ZRTP)"
    if "UDP/TLS/" in upper or ("SAVP" in upper and "fingerprint" in names):
        return "encrypted (DTLS-SRTP, no keys)"
    if "SAVP" in upper or "crypto" in names:
        return "encrypted (SRTP, no keys)"
    if (
        rtpmap is not None
        and decoder_for(rtpmap.encoding, rtpmap.clock_rate, rtpmap.channels, fmtp) is None
    ):
        known = rtpmap.encoding.strip().upper() in KNOWN_ENCODINGS
        missing = " (PyAV is not installed)" if known and not avcodec.AVAILABLE else ""
        return f"unsupported codec {rtpmap}{missing}"
    return None
