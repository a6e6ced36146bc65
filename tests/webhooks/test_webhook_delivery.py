"""Saved and annotated calls reach a real receiver, signed; failures are retried with
growing delays, then failed; redelivery; nothing is enqueued without webhooks.
SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from webhook_helpers import SECRET, Receiver, closed_port_url, make_call

from callvault.journal import Journal
from callvault.webhooks import (
    CALL_FINISHED,
    CALL_UPDATED,
    DeliveryStatus,
    Dispatcher,
    WebhookConflict,
    Webhooks,
    attach,
    verify,
)
from callvault.webhooks.model import REFRESH_S


@pytest.fixture
def journal(journal_url: str) -> Iterator[Journal]:
    with Journal.open(journal_url) as opened:
        yield opened


@pytest.fixture
def hooks(journal: Journal) -> Webhooks:
    return attach(journal).webhooks


def dispatcher(hooks: Webhooks, **options: float) -> Dispatcher:
    settings = {"timeout_s": 2.0, "max_attempts": 5, "backoff_s": 0.2, "poll_s": 0.2, **options}
    return Dispatcher(hooks, **settings)  # type: ignore[arg-type]


def test_a_saved_call_is_delivered_signed_once(
    journal: Journal, hooks: Webhooks, receiver: Receiver
) -> None:
    hooks.add("crm", receiver.url, secret=SECRET)
    call = make_call("wh-finished")
    journal.save(call)
    sender = dispatcher(hooks)
    try:
        outcomes = sender.run_once()
        hooks.enqueue_finished([call])  # what saving it again tells: no second call.finished
        assert sender.run_once() == []
    finally:
        sender.stop()
    assert [o.status for o in outcomes] == [DeliveryStatus.DELIVERED]
    [got] = receiver.wait_for(1)
    assert got.signed
    assert got.path == "/hooks/callvault"
    assert got.headers["Content-Type"] == "application/json"
    assert got.headers["Callvault-Event"] == CALL_FINISHED
    assert got.headers["Callvault-Delivery"] == str(outcomes[0].delivery_id)
    body = got.json
    assert body["event"] == CALL_FINISHED
    assert body["id"].startswith("evt_")
    assert body["call"]["id"] == call.id
    assert body["call"]["uid"] == "wh-finished"
    assert body["call"]["streams"][0]["packets"] == 3000
    assert body["call"]["events"][0]["value"] == "5"
    # The signature covers the body: one byte changed and it no longer verifies.
    header = got.headers["Callvault-Signature"]
    assert verify(SECRET, header, got.body)
    assert not verify(SECRET, header, got.body.replace(b"wh-finished", b"wh-finishee"))
    assert not verify("whsec_another-secret-000000", header, got.body)
    [delivery] = hooks.deliveries()
    assert delivery.status is DeliveryStatus.DELIVERED
    assert delivery.attempts == 1
    assert delivery.response_code == 204
    assert delivery.delivered_at is not None
    assert delivery.call_id == call.id


def test_an_annotation_sends_call_updated(
    journal: Journal, hooks: Webhooks, receiver: Receiver
) -> None:
    hooks.add("crm", receiver.url, secret=SECRET, events=[CALL_UPDATED])
    call_id = journal.save(make_call("wh-updated"))
    assert hooks.count_deliveries() == 0  # subscribed to call.updated only
    assert journal.annotate(call_id, comment="called back", outcome="sale")
    assert not journal.annotate(call_id + 1000, comment="no such call")
    sender = dispatcher(hooks)
    try:
        sender.run_once()
    finally:
        sender.stop()
    [got] = receiver.wait_for(1)
    assert got.signed
    assert got.headers["Callvault-Event"] == CALL_UPDATED
    assert got.json["event"] == CALL_UPDATED
    assert got.json["changed"] == ["comment", "outcome"]
    assert got.json["call"]["comment"] == "called back"
    assert got.json["call"]["outcome"] == "sale"


def test_a_failing_receiver_is_retried_with_growing_delays(
    journal: Journal, hooks: Webhooks, receiver: Receiver
) -> None:
    receiver.fail_first = 3
    hooks.add("crm", receiver.url, secret=SECRET)
    sender = dispatcher(hooks, backoff_s=0.2)
    sender.start()
    try:
        journal.save(make_call("wh-retried"))
        received = receiver.wait_for(4, timeout_s=15)
        deadline = time.monotonic() + 5
        while hooks.deliveries()[0].status is DeliveryStatus.PENDING:
            assert time.monotonic() < deadline
            time.sleep(0.02)
    finally:
        sender.stop()
    gaps = [later.at - earlier.at for earlier, later in zip(received, received[1:])]
    # Delays are backoff_s * 2**(n-1), scaled by 0.5-1: 0.1-0.2 s, 0.2-0.4 s, 0.4-0.8 s.
    for n, gap in enumerate(gaps, start=1):
        assert gap >= 0.2 * 2 ** (n - 1) * 0.5 - 0.01, gaps
    assert gaps[2] > gaps[0], gaps
    assert all(got.signed for got in received)
    assert len({got.json["id"] for got in received}) == 1  # the same event every time
    [delivery] = hooks.deliveries()
    assert delivery.status is DeliveryStatus.DELIVERED
    assert delivery.attempts == 4
    assert delivery.response_code == 204


def test_an_unreachable_url_fails_after_the_attempts_then_redelivers(
    journal: Journal, hooks: Webhooks, receiver: Receiver
) -> None:
    hooks.add("down", closed_port_url(), secret=SECRET)
    journal.save(make_call("wh-unreachable"))
    sender = dispatcher(hooks, max_attempts=3, backoff_s=0.05)
    try:
        for _ in range(3):
            [delivery] = hooks.deliveries()
            assert delivery.status is DeliveryStatus.PENDING
            assert delivery.next_attempt_at is not None
            time.sleep(max(0.0, delivery.next_attempt_at - time.time()))
            sender.run_once()
        [failed] = hooks.deliveries(status="failed")
        assert failed.attempts == 3
        assert failed.response_code is None
        assert failed.error and "refused" in failed.error.lower()
        assert failed.next_attempt_at is None
        assert hooks.count_deliveries(status="pending") == 0
        assert sender.run_once() == []  # failed stays failed

        hooks.update("down", url=receiver.url)
        again = hooks.redeliver(failed.id)
        assert (again.status, again.attempts, again.error) == (DeliveryStatus.PENDING, 0, None)
        with pytest.raises(WebhookConflict, match="pending already"):
            hooks.redeliver(failed.id)
        sender.run_once()
    finally:
        sender.stop()
    [got] = receiver.wait_for(1)
    assert got.signed and got.json["call"]["uid"] == "wh-unreachable"
    delivered = hooks.delivery(failed.id)
    assert (delivered.status, delivered.attempts) == (DeliveryStatus.DELIVERED, 1)


def test_a_receiver_answering_4xx_is_not_delivered(
    journal: Journal, hooks: Webhooks, receiver: Receiver
) -> None:
    receiver.secret = "whsec_the-receiver-knows-another"  # it answers 401 to our signature
    hooks.add("crm", receiver.url, secret=SECRET)
    journal.save(make_call("wh-401"))
    sender = dispatcher(hooks, max_attempts=1)
    try:
        [outcome] = sender.run_once()
    finally:
        sender.stop()
    assert outcome.status is DeliveryStatus.FAILED
    assert outcome.response_code == 401
    assert hooks.delivery(outcome.delivery_id).error == "HTTP 401 Unauthorized"


def test_without_webhooks_nothing_is_enqueued(journal: Journal, hooks: Webhooks) -> None:
    journal.save_many([make_call(f"wh-none-{n}") for n in range(5)])
    call_id = journal.save(make_call("wh-none-annotated"))
    journal.annotate(call_id, tags=["vip"])
    assert hooks.count_deliveries() == 0
    hooks.add("paused", "https://crm.example.com/hook", active=False)
    journal.save(make_call("wh-inactive"))
    journal.annotate(call_id, comment="inactive webhooks get nothing")
    assert hooks.count_deliveries() == 0
    hooks.update("paused", active=True)
    journal.save(make_call("wh-active"))
    assert hooks.count_deliveries() == 1


def test_a_journal_attached_before_its_webhooks_exist_enqueues_once_one_is_active(
    journal_url: str,
) -> None:
    """As ``callvault ingest`` does it: the journal attached and saving, its webhooks added
    elsewhere (the API, another process), and no ``Webhooks`` of its own until one is
    active, which it sees within ``REFRESH_S``."""
    with Journal.open(journal_url) as writer, Webhooks.open(journal_url) as elsewhere:
        attachment = attach(writer)
        writer.save(make_call("wh-before"))
        elsewhere.add("paused", "https://crm.example.com/hook", active=False)
        writer.save(make_call("wh-inactive"))
        assert attachment._webhooks is None  # nothing of SQLAlchemy's was needed yet
        elsewhere.update("paused", active=True)
        deadline = time.monotonic() + 2 * REFRESH_S + 1
        while not elsewhere.count_deliveries() and time.monotonic() < deadline:
            writer.save(make_call(f"wh-after-{time.monotonic()}"))
            time.sleep(0.1)
        [delivery] = elsewhere.deliveries()
        assert delivery.event == CALL_FINISHED
        assert attachment._webhooks is not None


def test_a_test_event_reaches_an_inactive_webhook(hooks: Webhooks, receiver: Receiver) -> None:
    hooks.add("crm", receiver.url, secret=SECRET, active=False)
    pending = hooks.send_test("crm")
    assert pending.status is DeliveryStatus.PENDING
    sender = dispatcher(hooks)
    try:
        sender.run_once()
    finally:
        sender.stop()
    [got] = receiver.wait_for(1)
    assert got.signed
    assert got.json["event"] == "webhook.test"
    assert got.json["webhook"] == "crm"
    assert got.json["call"] is None


def test_a_started_dispatcher_delivers_without_waiting_for_its_poll(
    journal: Journal, hooks: Webhooks, receiver: Receiver
) -> None:
    hooks.add("crm", receiver.url, secret=SECRET)
    sender = dispatcher(hooks, poll_s=30.0)
    sender.start()
    try:
        time.sleep(0.2)  # idle, waiting its 30 s poll
        saved = time.time()
        journal.save(make_call("wh-woken"))
        [got] = receiver.wait_for(1, timeout_s=5)
    finally:
        sender.stop()
    assert got.at - saved < 2.0


def test_workers_on_postgresql_deliver_each_delivery_once(
    postgres_url: str, receiver: Receiver
) -> None:
    with Journal.open(postgres_url) as journal:
        hooks = attach(journal).webhooks
        hooks.add("crm", receiver.url, secret=SECRET)
        journal.save_many([make_call(f"wh-many-{n}") for n in range(40)])
        workers = [
            Dispatcher(Webhooks.open(postgres_url), batch=3, timeout_s=5.0) for _ in range(4)
        ]
        try:
            threads = [threading.Thread(target=worker.deliver_due) for worker in workers]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        finally:
            for worker in workers:
                worker.stop()
                worker._webhooks.close()
        received = receiver.wait_for(40)
        assert sorted(int(got.headers["Callvault-Delivery"]) for got in received) == sorted(
            d.id for d in hooks.deliveries(limit=None)
        )
        assert hooks.count_deliveries(status="delivered") == 40
