"""A standalone `callvault siprec` keeps its recorder stats file current (what /metrics and
/api/health read), and its last write says it stopped."""

from __future__ import annotations

import socket
from pathlib import Path

from tests.live_capture.live_helpers import wait_for
from tests.siprec.siprec_helpers import start_srs

from callvault.ops.stats import read_stats


def test_standalone_siprec_writes_stats_file(tmp_path: Path) -> None:
    srs = start_srs(tmp_path, "--name", "srs-stats")
    try:
        first = wait_for(lambda: read_stats(srs.data_dir), 20, "the stats file", srs.log)
        assert [(s.name, s.source, s.running) for s in first] == [("srs-stats", "siprec", True)]
        assert f":{srs.port}" in first[0].detail
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.sendto(b"OPTIONS but not SIP", ("127.0.0.1", srs.port))
        # the heartbeat moves on: a later write than the first one
        wait_for(lambda: read_stats(srs.data_dir)[0].heartbeat_at > first[0].heartbeat_at, 20,
                 "a later heartbeat", srs.log)
    finally:
        srs.stop()
    last = read_stats(srs.data_dir)
    assert len(last) == 1 and last[0].running is False and last[0].calls_in_progress == 0
