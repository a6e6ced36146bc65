"""Audio codecs: RTP payloads back into 16-bit PCM.

G.711, L16, comfort noise and telephone events are decoded here with NumPy; G.722, G.723.1,
G.726, G.729, GSM, iLBC, Opus and AMR(-WB) through FFmpeg's decoders in PyAV (``av``).
``decoder_for`` picks a decoder from an SDP rtpmap and fmtp; ``describe_undecodable`` says
why a stream has no audio (SRTP, ZRTP, an unsupported codec).
"""

from callvault.codecs.base import Decoder, Kind
from callvault.codecs.registry import decoder_for
from callvault.codecs.undecodable import describe_undecodable, is_zrtp_packet

__all__ = ["Decoder", "Kind", "decoder_for", "describe_undecodable", "is_zrtp_packet"]
