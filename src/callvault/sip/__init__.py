"""SIP messages, headers, URIs, SDP and stream framing; sans-I/O."""
