"""`callvault webhooks`: add (secret printed once), list, deliveries, deliver --once,
redeliver, remove; calls imported from a PBX log are enqueued; bad input is one line."""

from __future__ import annotations

import io
import re
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from webhook_helpers import SECRET, Receiver, closed_port_url

from callvault.cli import main

Run = Callable[..., tuple[int, str, str]]
"""``run(*args)``: the command's exit code, standard output and standard error."""

CDR_CSV = (
    Path(__file__).resolve().parents[3]
    / "shared" / "testdata" / "cdr" / "asterisk_cdr_csv_Master_pseudonymized.csv"
)


@pytest.fixture
def run(
    journal_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Run:
    monkeypatch.setenv("CALLVAULT_WEBHOOK_BACKOFF_S", "0.01")
    monkeypatch.setenv("CALLVAULT_WEBHOOK_MAX_ATTEMPTS", "2")

    def invoke(*args: str) -> tuple[int, str, str]:
        code = 0
        try:
            main([*args, "--db", journal_url])
        except SystemExit as exc:
            code = int(exc.code or 0)
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return invoke


def test_imported_calls_are_delivered_by_deliver_once(run: Run, receiver: Receiver) -> None:
    if not CDR_CSV.is_file():
        pytest.skip(f"CDR sample {CDR_CSV} is not here")
    code, out, err = run("webhooks", "add", "crm", receiver.url, "--event", "call.finished")
    assert code == 0, err
    secret = out.strip()
    assert secret.startswith("whsec_")
    assert "shown once" in err
    receiver.secret = secret

    code, out, _ = run("import", "asterisk-csv", str(CDR_CSV), "--timezone", "UTC")
    assert code == 0
    found = re.search(r"(\d+) calls written", out)
    assert found, out
    written = int(found[1])
    assert written > 0

    code, out, _ = run("webhooks", "deliveries", "--status", "pending", "--limit", "100000")
    assert len(out.splitlines()) == written
    code, out, err = run("webhooks", "deliver", "--once")
    assert code == 0, err
    assert out.strip() == f"{written} attempted: {written} delivered, 0 to retry, 0 failed"
    received = receiver.wait_for(written)
    assert all(got.signed for got in received)
    assert {got.json["event"] for got in received} == {"call.finished"}
    # Importing the same log again changes nothing, and sends nothing.
    run("import", "asterisk-csv", str(CDR_CSV), "--timezone", "UTC")
    assert run("webhooks", "deliver", "--once")[1].strip().startswith("0 attempted")


def test_failures_are_visible_and_redelivered(run: Run, receiver: Receiver) -> None:
    assert run("webhooks", "list")[1].startswith("No webhooks yet")
    code, _, err = run("webhooks", "add", "down", closed_port_url())
    assert code == 0, err
    code, out, _ = run("webhooks", "list")
    assert out.startswith("down\thttp://127.0.0.1:") and "call.finished call.updated\tactive" in out
    code, out, _ = run("webhooks", "test", "down")
    assert code == 0 and "is pending" in out
    delivery_id = out.split()[1]
    run("webhooks", "deliver", "--once")
    time.sleep(0.05)  # past the 0.01 s backoff
    code, out, _ = run("webhooks", "deliver", "--once")
    assert out.strip() == "1 attempted: 0 delivered, 0 to retry, 1 failed"
    code, out, _ = run("webhooks", "deliveries", "--status", "failed")
    [line] = out.splitlines()
    fields = line.split("\t")
    assert fields[:7] == [delivery_id, "down", "webhook.test", "call=-", "failed", "attempts=2",
                          "http=-"]
    assert "refused" in fields[-1].lower()

    code, out, err = run("webhooks", "redeliver", delivery_id)
    assert (code, out.strip()) == (0, f"delivery {delivery_id} to down is pending again")
    code, _, err = run("webhooks", "redeliver", delivery_id)
    assert code == 1
    assert err.strip() == (
        f"callvault: error: delivery {delivery_id} is pending already: wait for its attempts"
    )
    code, out, _ = run("webhooks", "remove", "down")
    assert (code, out.strip()) == (0, "removed down")
    assert run("webhooks", "deliveries")[1].strip() == "No deliveries."


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("webhooks", "add", "crm", "ftp://x.example/"), "invalid webhook URL 'ftp://x.example/'"),
        (("webhooks", "add", "bad name", "https://x.example/"), "invalid webhook name"),
        (("webhooks", "remove", "nope"), "no webhook named 'nope'"),
        (("webhooks", "test", "nope"), "no webhook named 'nope'"),
        (("webhooks", "redeliver", "7"), "no webhook delivery 7"),
    ],
)
def test_bad_input_is_one_line(run: Run, args: tuple[str, ...], says: str) -> None:
    code, _, err = run(*args)
    assert code == 1
    assert err.count("\n") == 1 and says in err and "Traceback" not in err


def test_an_unknown_event_is_refused_by_the_option(run: Run) -> None:
    code, _, err = run("webhooks", "add", "crm", "https://x.example/", "--event", "call.gone")
    assert code == 2
    assert "call.gone" in err and "Traceback" not in err


def test_the_secret_can_come_from_stdin(
    run: Run, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(SECRET + "\n"))
    code, out, _ = run("webhooks", "add", "crm", receiver.url, "--secret-stdin")
    assert (code, out.strip()) == (0, SECRET)
    run("webhooks", "test", "crm")
    assert run("webhooks", "deliver", "--once")[1].strip().startswith("1 attempted: 1 delivered")
    assert receiver.wait_for(1)[0].signed
