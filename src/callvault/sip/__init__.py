"""SIP messages, headers, URIs, SDP and stream framing; sans-I/O.

Parsers raise only ``callvault.errors.ParseError`` (``Truncated`` for short input).
"""

from callvault.sip.address import Address, parse_address, parse_address_list
from callvault.sip.body import BodyPart
from callvault.sip.check import check_message
from callvault.sip.dtmf import DtmfInfo, parse_dtmf_info
from callvault.sip.framing import SipStreamFramer
from callvault.sip.headers import Headers, canonical_name
from callvault.sip.message import SipMessage, SipRequest, SipResponse, parse_message
from callvault.sip.sdp import (
    MediaDescription,
    Origin,
    RtpMap,
    SessionDescription,
    is_hold,
    parse_sdp,
    static_payload_name,
)
from callvault.sip.uri import SipUri, parse_uri
from callvault.sip.via import CSeq, Via, parse_cseq, parse_via, parse_via_list

__all__ = [
    "Address",
    "BodyPart",
    "CSeq",
    "DtmfInfo",
    "Headers",
    "MediaDescription",
    "Origin",
    "RtpMap",
    "SessionDescription",
    "SipMessage",
    "SipRequest",
    "SipResponse",
    "SipStreamFramer",
    "SipUri",
    "Via",
    "canonical_name",
    "check_message",
    "is_hold",
    "parse_address",
    "parse_address_list",
    "parse_cseq",
    "parse_dtmf_info",
    "parse_message",
    "parse_sdp",
    "parse_uri",
    "parse_via",
    "parse_via_list",
    "static_payload_name",
]
