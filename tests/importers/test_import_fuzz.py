"""Whatever bytes a CDR file holds, the importers raise nothing but callvault's own errors."""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from callvault.errors import CallvaultError
from callvault.importers import FORMATS, ImportReport, read_legs, zone_named

ROW = ('"","201","202","internal","""A"" <201>","SIP/201-1","SIP/202-2","Dial","",'
       '"2024-01-27 15:07:24","2024-01-27 15:07:30","2024-01-27 15:08:00",36,30,'
       '"ANSWERED","DOCUMENTATION","1.1","","","1.1",0')

_lines = st.lists(
    st.one_of(
        st.text(max_size=120),
        st.lists(st.sampled_from([*ROW.split(","), "", '"', "9" * 30, "2024/13/40 25:61",
                                  "{", "}", '"variables"', ";", "INSERT"]),
                 max_size=25).map(",".join),
    ),
    max_size=8,
).map(lambda lines: "\n".join(lines).encode("utf-8", "surrogatepass"))

_inputs = st.one_of(st.binary(max_size=600), _lines)


def _read(fmt: str, data: bytes) -> ImportReport:
    report = ImportReport()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "cdr"
        path.write_bytes(data)
        with contextlib.suppress(CallvaultError):
            read_legs(fmt, path, report, zone_named("Europe/Copenhagen"))
    return report


@pytest.mark.parametrize("fmt", FORMATS)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=_inputs)
def test_random_input_raises_only_callvault_errors(fmt: str, data: bytes) -> None:
    report = _read(fmt, data)
    assert len(report.skipped) <= max(report.rows, data.count(b"\n") + 1)


@pytest.mark.parametrize("fmt", FORMATS)
@settings(max_examples=100, deadline=None)
@given(data=st.dictionaries(st.sampled_from(
    ["uuid", "bleg_uuid", "start_epoch", "start_uepoch", "answer_epoch", "end_uepoch",
     "end_epoch", "hangup_cause", "caller_id_number", "billsec"]),
    st.one_of(st.text(max_size=12), st.integers(), st.floats(), st.none()), max_size=10))
def test_random_json_variables(fmt: str, data: dict[str, object]) -> None:
    import json

    _read("freeswitch-json", json.dumps({"variables": data, "callflow": data}).encode())


@pytest.mark.parametrize("text", ["inf", "-inf", "nan", "1e400", "Infinity"])
def test_a_number_field_that_is_not_finite_is_a_row_error(text: str) -> None:
    from callvault.importers.legs import RowError, parse_int

    with pytest.raises(RowError, match="billsec is not a number"):
        parse_int(text, "billsec")
