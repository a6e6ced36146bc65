"""Legs into calls: the legs that share a grouping id are one call.

- start = the earliest leg start; answered when any leg was answered, at the earliest answer;
  end = the latest leg end. ring_ms = answer - start; talk_ms = latest end - earliest answer,
  from the stamps (which equals the longest answered billsec within the second Asterisk
  rounds to; each leg's own billsec is kept as a "leg" event).
- status: answered if any leg was; else busy, rejected, missed, failed: the first any leg has.
- caller: number and name of the first leg (lowest sequence, then earliest start).
- callee: the extension an answered leg rang (dstchannel SIP/301-… -> 301), else the number
  dialled on the first leg.
- uid: hash of format, grouping id and start: importing a file again changes nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from callvault.calls.classify import Classifier
from callvault.calls.model import Call, CallEvent, CallStatus, Party, Side
from callvault.importers.legs import Leg

_UNANSWERED_ORDER = (CallStatus.BUSY, CallStatus.REJECTED, CallStatus.MISSED, CallStatus.FAILED)

_DISPOSITION_SIDE = {
    "recv_bye": Side.CALLER, "recv_cancel": Side.CALLER, "recv_refuse": Side.CALLEE,
    "send_bye": Side.CALLEE, "send_refuse": Side.CALLEE, "send_cancel": Side.CALLEE,
}
"""FreeSWITCH sip_hangup_disposition of the A-leg: recv_* came from the caller's side
(a refusal received came from the callee), send_* means FreeSWITCH hung up for the callee."""


def group_legs(legs: Iterable[Leg]) -> list[list[Leg]]:
    """Legs by group id, also joining groups one of whose ids another names (bleg_uuid)."""
    groups: dict[str, list[Leg]] = {}
    owner: dict[str, str] = {}
    for leg in legs:
        key = next((owner[i] for i in (leg.group, *leg.ids) if i in owner), leg.group)
        groups.setdefault(key, []).append(leg)
        for i in (leg.group, *leg.ids):
            owner.setdefault(i, key)
    return list(groups.values())


def uid_for(fmt: str, group: str, started_at: float) -> str:
    return hashlib.sha1(f"cdr|{fmt}|{group}|{started_at:.3f}".encode()).hexdigest()[:20]


def call_of(legs: list[Leg], fmt: str, source: str, classifier: Classifier) -> Call:
    first = min(legs, key=lambda leg: (leg.sequence if leg.sequence is not None else 1 << 62,
                                       leg.started_at, leg.line))
    started = min(leg.started_at for leg in legs)
    answers = [leg.answered_at for leg in legs if leg.answered_at is not None]
    ends = [leg.ended_at for leg in legs if leg.ended_at is not None]
    answered = [leg for leg in legs if leg.status is CallStatus.ANSWERED]
    if answered:
        status = CallStatus.ANSWERED
    else:
        status = next(s for s in _UNANSWERED_ORDER if s is CallStatus.FAILED
                      or any(leg.status is s for leg in legs))
    extension = next((leg.callee_extension for leg in answered if leg.callee_extension), None)
    caller = Party(number=first.caller_number, display_name=first.caller_name)
    callee = Party(number=extension or first.dialled)
    caller.e164 = classifier.e164(caller.number)
    callee.e164 = classifier.e164(callee.number)
    disposition = first.hangup_disposition
    return Call(
        uid=uid_for(fmt, first.group, started),
        sip_call_id=first.group,
        started_at=started,
        answered_at=min(answers) if answers and answered else None,
        ended_at=max(ends) if ends else None,
        status=status,
        reason=first.hangup_cause,
        hangup_by=_DISPOSITION_SIDE.get(disposition or ""),
        end_cause="cdr",
        caller=caller,
        callee=callee,
        direction=classifier.direction(classifier.is_local(caller, None),
                                       classifier.is_local(callee, None)),
        codecs=tuple(dict.fromkeys(leg.codec for leg in legs if leg.codec)),
        events=[_leg_event(leg) for leg in sorted(legs, key=lambda x: (x.started_at, x.line))]
        if len(legs) > 1 else [],
        source=source,
    )


def _leg_event(leg: Leg) -> CallEvent:
    route = " -> ".join(c for c in (leg.channel, leg.dstchannel) if c) or ",".join(leg.ids)
    return CallEvent(kind="leg", at=leg.started_at, value=route[:200],
                     detail=f"{leg.hangup_cause} billsec={leg.billsec} line {leg.line}")


def calls_of(legs: Iterable[Leg], fmt: str, source: str,
             classifier: Classifier) -> list[tuple[Call, tuple[str, ...]]]:
    """One call per group of legs, in start order, with every id its legs carry."""
    found = [
        (call_of(group, fmt, source, classifier),
         tuple(dict.fromkeys(i for leg in group for i in (leg.group, *leg.ids))))
        for group in group_legs(legs)
    ]
    return sorted(found, key=lambda pair: (pair[0].started_at, pair[0].uid))
