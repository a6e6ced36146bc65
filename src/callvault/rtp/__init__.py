"""RTP and RTCP: packets, streams, RFC 4733 telephone events."""
