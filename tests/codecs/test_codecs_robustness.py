"""Random bytes into every decoder: samples or ParseError, never another exception."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from callvault.codecs import decoder_for
from callvault.errors import ParseError

FORMATS = [
    ("PCMU", 8000, 1, None),
    ("PCMA", 8000, 1, None),
    ("L16", 16000, 2, None),
    ("CN", 8000, 1, None),
    ("telephone-event", 8000, 1, None),
    ("G722", 8000, 1, None),
    ("G723", 8000, 1, None),
    ("G726-24", 8000, 1, None),
    ("AAL2-G726-40", 8000, 1, None),
    ("G729", 8000, 1, None),
    ("G729D", 8000, 1, None),
    ("GSM", 8000, 1, None),
    ("iLBC", 8000, 1, None),
    ("iLBC", 8000, 1, "mode=20"),
    ("AMR", 8000, 1, None),
    ("AMR", 8000, 1, "octet-align=1; crc=1"),
    ("AMR-WB", 16000, 1, None),
    ("AMR-WB", 16000, 1, "octet-align=1"),
    ("opus", 48000, 2, None),
]

# Payloads of plausible sizes for the framed codecs, besides any size at all.
SIZES = [1, 2, 4, 8, 10, 12, 20, 22, 24, 33, 38, 50, 66, 76, 100, 160]
payloads = st.one_of(
    st.binary(max_size=400),
    st.sampled_from(SIZES).flatmap(lambda n: st.binary(min_size=n, max_size=n)),
)


@pytest.mark.parametrize(("encoding", "clock", "channels", "fmtp"), FORMATS)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.lists(payloads, min_size=1, max_size=6))
def test_random_payloads_raise_only_parse_error(
    encoding: str, clock: int, channels: int, fmtp: str | None, data: list[bytes]
) -> None:
    decoder = decoder_for(encoding, clock, channels, fmtp)
    if decoder is None:
        pytest.skip(f"no decoder for {encoding} here (PyAV missing?)")
    for payload in data:  # one stream: a bad payload must not spoil the next ones
        try:
            samples = decoder.decode(payload)
        except ParseError:
            continue
        assert isinstance(samples, np.ndarray) and samples.dtype == np.int16 and samples.ndim == 1
    assert decoder.conceal(160).dtype == np.int16
