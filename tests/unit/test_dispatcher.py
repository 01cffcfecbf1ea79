"""The outbox dispatcher: each mail sent once, retried with backoff, given up on with a reason."""

from __future__ import annotations

import collections
import datetime as dt
import threading
from collections.abc import Iterator
from typing import Any

import attrs
import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from onestop.adapters import InMemoryMailTransport, InMemoryStorage, ManualClock
from onestop.application.context import Settings
from onestop.application.dispatcher import DispatchReport, MailDispatcher
from onestop.application.mail import queue_mail
from onestop.bootstrap import Portal, bootstrap
from onestop.domain.calendar import WorkingCalendar
from onestop.domain.mail import OutboxEntry, OutboxState
from onestop.errors import InvalidInput, MailPermanentFailure

START = dt.datetime(2026, 6, 22, 1, 0, tzinfo=dt.UTC)
MINUTE = dt.timedelta(minutes=1)
LEASE = 5 * MINUTE


def make_portal(clock: ManualClock | None = None) -> Portal:
    return bootstrap(
        storage=InMemoryStorage(),
        clock=clock or ManualClock(START),
        mail_transport=InMemoryMailTransport(),
        secret_key="test-secret-key-for-dispatcher",
        calendar=WorkingCalendar(),
        settings=Settings(base_url="https://dichvucong.example.vn"),
        environ={},
    )


def dispatcher(portal: Portal, worker: str, *, send: Any = None, **kwargs: Any) -> MailDispatcher:
    """A dispatcher on ``portal``; with ``send``, one that sends through that function."""
    ctx = portal.context
    if send is not None:
        ctx = attrs.evolve(ctx, mail_transport=_SendOnly(send))
    options: dict[str, Any] = {
        "max_attempts": 3,
        "backoff": MINUTE,
        "backoff_factor": 2.0,
        "max_backoff": 10 * MINUTE,
        "lease": LEASE,
        "batch_size": 10,
    }
    options.update(kwargs)
    return MailDispatcher(ctx, worker_id=worker, **options)


class _SendOnly:
    """A transport that is only a send function (to let one dispatcher bypass a patch)."""

    def __init__(self, send: Any) -> None:
        self.send = send


def transport(portal: Portal) -> InMemoryMailTransport:
    mail = portal.context.mail_transport
    assert isinstance(mail, InMemoryMailTransport)
    return mail


def clock_of(portal: Portal) -> ManualClock:
    clock = portal.context.clock
    assert isinstance(clock, ManualClock)
    return clock


def enqueue(portal: Portal, n: int = 1, *, first: int = 0, spaced: bool = False) -> list[str]:
    """Queue ``n`` mails in one committed unit of work; their outbox ids.

    Entries queued at the same instant have no order among them; ``spaced`` queues each
    one a second after the previous, so that "oldest first" is a known order.
    """
    if spaced:
        ids = []
        for i in range(first, first + n):
            clock_of(portal).advance(dt.timedelta(seconds=1))
            ids += enqueue(portal, first=i)
        return ids
    ids = []
    with portal.storage.unit_of_work() as uow:
        for i in range(first, first + n):
            entry = queue_mail(
                uow,
                portal.context,
                template="received",
                to=f"nguoi.dan.{i}@example.vn",
                values={
                    "full_name": f"Nguyễn Văn {i}",
                    "code": f"000.01.20.H34-260622-{i + 1:04d}",
                    "received_at": "08:00 22/06/2026",
                    "due_date": "25/06/2026",
                },
            )
            ids.append(entry.id)
        uow.commit()
    return ids


def entry(portal: Portal, entry_id: str) -> OutboxEntry:
    with portal.storage.unit_of_work() as uow:
        return uow.outbox.get(entry_id)


def entries(portal: Portal) -> list[OutboxEntry]:
    with portal.storage.unit_of_work() as uow:
        return list(uow.outbox.list())


def sent_counts(portal: Portal) -> collections.Counter[str]:
    return collections.Counter(s.message_id for s in transport(portal).sent)


@pytest.fixture
def portal() -> Iterator[Portal]:
    with make_portal() as p:
        yield p


# --- the happy path -------------------------------------------------------------------------


def test_pending_mail_is_sent_once_and_marked_sent(portal: Portal) -> None:
    ids = enqueue(portal, 3)
    worker = dispatcher(portal, "a")
    assert worker.dispatch_once() == DispatchReport(sent=3)
    assert worker.dispatch_once() == DispatchReport()
    sent = sorted(transport(portal).sent, key=lambda s: s.message.to)
    assert [s.message.to for s in sent] == [f"nguoi.dan.{i}@example.vn" for i in range(3)]
    for entry_id in ids:
        stored = entry(portal, entry_id)
        assert stored.state is OutboxState.SENT
        assert stored.sent_at == START and stored.attempts == 1
        assert stored.claimed_by is None and stored.last_error is None
    assert [s.message_id for s in sent] == [f"<{i}@dichvucong.example.vn>" for i in ids]
    # The Vietnamese subject went through untouched.
    assert sent[0].message.subject == "Hồ sơ 000.01.20.H34-260622-0001 đã được tiếp nhận"


def test_the_bootstrapped_dispatcher_sends_the_registration_mail(portal: Portal) -> None:
    portal.accounts.register_citizen("an@example.vn", "mat-khau-dai-du", "Nguyễn Văn An")
    assert portal.dispatcher.dispatch_once().sent == 1
    (mail,) = transport(portal).messages_to("an@example.vn")
    assert mail.subject == "Xác nhận đăng ký tài khoản sử dụng cổng dịch vụ công trực tuyến"


def test_a_batch_takes_at_most_batch_size_oldest_first(portal: Portal) -> None:
    ids = enqueue(portal, 5, spaced=True)
    worker = dispatcher(portal, "a", batch_size=2)
    assert worker.dispatch_once().sent == 2
    assert [s.message_id for s in transport(portal).sent] == [
        worker.message_id(entry(portal, i)) for i in ids[:2]
    ]
    assert worker.dispatch_once().sent == 2
    assert worker.dispatch_once().sent == 1
    assert worker.dispatch_once().handled == 0


def test_nothing_to_send_sends_nothing(portal: Portal) -> None:
    assert dispatcher(portal, "a").dispatch_once() == DispatchReport()
    assert transport(portal).attempts == 0


# --- failures -------------------------------------------------------------------------------


def test_a_temporary_failure_is_retried_later_with_growing_backoff(portal: Portal) -> None:
    (entry_id,) = enqueue(portal)
    worker = dispatcher(portal, "a", max_attempts=5)
    clock = clock_of(portal)
    transport(portal).fail_next(3)

    assert worker.dispatch_once() == DispatchReport(retried=1)
    stored = entry(portal, entry_id)
    assert stored.state is OutboxState.PENDING and stored.attempts == 1
    assert stored.next_attempt_at == START + MINUTE
    assert stored.last_error is not None and "451" in stored.last_error

    # Not due yet: nothing happens.
    clock.advance(MINUTE - dt.timedelta(seconds=1))
    assert worker.dispatch_once() == DispatchReport()
    clock.advance(dt.timedelta(seconds=1))
    assert worker.dispatch_once() == DispatchReport(retried=1)
    second_try = clock.now()
    assert entry(portal, entry_id).next_attempt_at == second_try + 2 * MINUTE

    clock.advance(2 * MINUTE)
    assert worker.dispatch_once() == DispatchReport(retried=1)
    assert entry(portal, entry_id).next_attempt_at == clock.now() + 4 * MINUTE

    clock.advance(4 * MINUTE)
    assert worker.dispatch_once() == DispatchReport(sent=1)
    stored = entry(portal, entry_id)
    assert stored.state is OutboxState.SENT and stored.attempts == 4
    assert stored.last_error is None
    assert sent_counts(portal) == {worker.message_id(stored): 1}


def test_backoff_is_capped(portal: Portal) -> None:
    (entry_id,) = enqueue(portal)
    worker = dispatcher(portal, "a", max_attempts=10, backoff=MINUTE, max_backoff=3 * MINUTE)
    clock = clock_of(portal)
    transport(portal).fail_next(6)
    delays = []
    for _ in range(6):
        assert worker.dispatch_once().retried == 1
        due = entry(portal, entry_id).next_attempt_at
        assert due is not None
        delays.append(due - clock.now())
        clock.set(due)
    assert delays == [MINUTE, 2 * MINUTE, 3 * MINUTE, 3 * MINUTE, 3 * MINUTE, 3 * MINUTE]


def test_a_permanent_failure_marks_the_mail_failed_with_the_reason(portal: Portal) -> None:
    (entry_id,) = enqueue(portal)
    worker = dispatcher(portal, "a")
    transport(portal).fail_next(1, permanent=True)
    assert worker.dispatch_once() == DispatchReport(failed=1)
    stored = entry(portal, entry_id)
    assert stored.state is OutboxState.FAILED and stored.attempts == 1
    assert stored.last_error is not None and "550" in stored.last_error
    clock_of(portal).advance(dt.timedelta(days=30))
    assert worker.dispatch_once() == DispatchReport()
    assert transport(portal).sent == []


@pytest.mark.parametrize("max_attempts", [1, 2, 4])
def test_the_dispatcher_gives_up_after_max_attempts(portal: Portal, max_attempts: int) -> None:
    (entry_id,) = enqueue(portal)
    worker = dispatcher(portal, "a", max_attempts=max_attempts, max_backoff=MINUTE)
    transport(portal).fail_next(max_attempts + 5)
    for _ in range(max_attempts - 1):
        assert worker.dispatch_once() == DispatchReport(retried=1)
        clock_of(portal).advance(MINUTE)
    assert worker.dispatch_once() == DispatchReport(failed=1)
    stored = entry(portal, entry_id)
    assert stored.state is OutboxState.FAILED and stored.attempts == max_attempts
    assert stored.last_error is not None
    assert f"gave up after {max_attempts} attempts" in stored.last_error
    assert "451" in stored.last_error
    clock_of(portal).advance(dt.timedelta(days=1))
    assert worker.dispatch_once() == DispatchReport()
    assert transport(portal).attempts == max_attempts


def test_an_unexpected_transport_error_is_retried_not_lost(
    portal: Portal, monkeypatch: pytest.MonkeyPatch
) -> None:
    (entry_id,) = enqueue(portal)
    worker = dispatcher(portal, "a")
    real_send = transport(portal).send
    calls = []

    def flaky(message: Any, *, message_id: str) -> None:
        calls.append(message_id)
        if len(calls) == 1:
            raise ConnectionResetError("connection reset by peer")
        real_send(message, message_id=message_id)

    monkeypatch.setattr(transport(portal), "send", flaky)
    assert worker.dispatch_once() == DispatchReport(retried=1)
    assert "ConnectionResetError" in (entry(portal, entry_id).last_error or "")
    clock_of(portal).advance(MINUTE)
    assert worker.dispatch_once() == DispatchReport(sent=1)
    assert calls[0] == calls[1]  # the same Message-ID on every attempt


def test_one_failing_mail_does_not_hold_up_the_others(portal: Portal) -> None:
    ids = enqueue(portal, 3, spaced=True)
    transport(portal).fail_next(1, permanent=True)
    report = dispatcher(portal, "a").dispatch_once()
    assert report == DispatchReport(sent=2, failed=1)
    states = [entry(portal, i).state for i in ids]
    assert states == [OutboxState.FAILED, OutboxState.SENT, OutboxState.SENT]


# --- two dispatchers, crashes, lapsed claims ------------------------------------------------


def test_interleaved_dispatchers_never_send_a_mail_twice(
    portal: Portal, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While ``a`` sends from its batch, ``b`` runs whole passes: it never takes a's mail."""
    enqueue(portal, 6)
    real_send = transport(portal).send
    a = dispatcher(portal, "a", batch_size=3)
    b = dispatcher(portal, "b", batch_size=2, send=real_send)
    reports: list[DispatchReport] = []

    def send_while_b_runs(message: Any, *, message_id: str) -> None:
        reports.append(b.dispatch_once())
        real_send(message, message_id=message_id)

    monkeypatch.setattr(transport(portal), "send", send_while_b_runs)
    assert a.dispatch_once().sent == 3
    assert sum(r.sent for r in reports) == 3
    counts = sent_counts(portal)
    assert len(counts) == 6 and set(counts.values()) == {1}
    assert all(e.state is OutboxState.SENT for e in entries(portal))


def test_claims_made_at_the_same_moment_never_overlap(portal: Portal) -> None:
    enqueue(portal, 5)
    first = portal.storage.unit_of_work()
    second = portal.storage.unit_of_work()
    with first as uow1, second as uow2:
        now = clock_of(portal).now()
        mine = uow1.outbox.claim_due(worker="a", now=now, lease=LEASE, limit=3)
        theirs = uow2.outbox.claim_due(worker="b", now=now, lease=LEASE, limit=5)
        assert len(mine) == 3 and len(theirs) == 2
        assert not {e.id for e in mine} & {e.id for e in theirs}
        uow1.commit()
        uow2.commit()
    assert sorted(e.claimed_by or "" for e in entries(portal)) == ["a", "a", "a", "b", "b"]


def test_two_dispatcher_threads_send_every_mail_exactly_once(portal: Portal) -> None:
    ids = enqueue(portal, 60)
    workers = [dispatcher(portal, f"w{i}", batch_size=3) for i in range(2)]
    start = threading.Barrier(len(workers))
    errors: list[BaseException] = []

    def work(worker: MailDispatcher) -> None:
        try:
            start.wait()
            while worker.dispatch_once().handled:
                pass
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors
    counts = sent_counts(portal)
    assert len(counts) == len(ids) and set(counts.values()) == {1}
    assert all(e.state is OutboxState.SENT and e.attempts == 1 for e in entries(portal))


def test_a_crash_after_claiming_leads_to_redelivery_after_the_lease(portal: Portal) -> None:
    (entry_id,) = enqueue(portal)
    with portal.storage.unit_of_work() as uow:
        (claimed,) = uow.outbox.claim_due(
            worker="crashed", now=clock_of(portal).now(), lease=LEASE, limit=10
        )
        uow.commit()
    # ... and the worker that claimed it dies here, without sending.
    survivor = dispatcher(portal, "survivor")
    assert survivor.dispatch_once() == DispatchReport()  # the claim still holds
    clock_of(portal).advance(LEASE - dt.timedelta(seconds=1))
    assert survivor.dispatch_once() == DispatchReport()
    clock_of(portal).advance(dt.timedelta(seconds=1))
    assert survivor.dispatch_once() == DispatchReport(sent=1)
    stored = entry(portal, entry_id)
    assert stored.state is OutboxState.SENT and stored.attempts == 2
    assert sent_counts(portal) == {survivor.message_id(claimed): 1}


def test_a_crash_after_sending_redelivers_with_the_same_message_id(
    portal: Portal, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At least once: a receiver can drop the copy by its Message-ID, which never changes."""
    (entry_id,) = enqueue(portal)
    crashing = dispatcher(portal, "crashing")

    def crash(*args: Any) -> bool:
        raise RuntimeError("killed before recording")

    monkeypatch.setattr(crashing, "_record", crash)
    with pytest.raises(RuntimeError):
        crashing.dispatch_once()
    assert entry(portal, entry_id).state is OutboxState.CLAIMED
    survivor = dispatcher(portal, "survivor")
    assert survivor.dispatch_once() == DispatchReport()
    clock_of(portal).advance(LEASE)
    assert survivor.dispatch_once() == DispatchReport(sent=1)
    first, second = transport(portal).sent
    assert first.message_id == second.message_id == survivor.message_id(entry(portal, entry_id))
    assert first.message == second.message


def test_a_lapsed_claim_does_not_overwrite_the_outcome_of_the_new_claim(
    portal: Portal, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``slow`` takes longer than its lease; ``fast`` re-claims and sends meanwhile."""
    (entry_id,) = enqueue(portal)
    real_send = transport(portal).send
    slow = dispatcher(portal, "slow")
    fast = dispatcher(portal, "fast", send=real_send)
    inner: list[DispatchReport] = []

    def slow_send(message: Any, *, message_id: str) -> None:
        clock_of(portal).advance(LEASE + MINUTE)
        inner.append(fast.dispatch_once())
        raise MailPermanentFailure("550 refused, too late")

    monkeypatch.setattr(transport(portal), "send", slow_send)
    assert slow.dispatch_once() == DispatchReport()  # its outcome was not recorded
    assert inner == [DispatchReport(sent=1)]
    stored = entry(portal, entry_id)
    assert stored.state is OutboxState.SENT and stored.last_error is None


def test_run_loops_until_stopped_and_survives_a_storage_error(
    portal: Portal, monkeypatch: pytest.MonkeyPatch
) -> None:
    enqueue(portal, 4)
    worker = dispatcher(portal, "loop", batch_size=2)
    real = worker.dispatch_once
    calls = {"n": 0}
    all_sent = threading.Event()

    def dispatch_once() -> DispatchReport:
        calls["n"] += 1
        if calls["n"] == 1:
            raise OSError("database restarting")
        report = real()
        if len(transport(portal).sent) == 4:
            all_sent.set()
        return report

    monkeypatch.setattr(worker, "dispatch_once", dispatch_once)
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop,), kwargs={"interval": 0.01})
    thread.start()
    try:
        assert all_sent.wait(timeout=30)
    finally:
        stop.set()
        thread.join(timeout=30)
    assert not thread.is_alive()
    assert len(sent_counts(portal)) == 4 and set(sent_counts(portal).values()) == {1}


def test_run_returns_at_once_when_already_stopped(portal: Portal) -> None:
    enqueue(portal)
    stop = threading.Event()
    stop.set()
    dispatcher(portal, "loop").run(stop, interval=60)
    assert transport(portal).attempts == 0


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"max_attempts": 0}, "max_attempts"),
        ({"max_attempts": True}, "max_attempts"),
        ({"backoff": -MINUTE}, "backoff"),
        ({"backoff_factor": 0.5}, "backoff_factor"),
        ({"max_backoff": dt.timedelta(seconds=1)}, "max_backoff"),
        ({"lease": dt.timedelta(0)}, "lease"),
        ({"batch_size": 0}, "batch_size"),
    ],
)
def test_bad_settings_are_refused(portal: Portal, kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        dispatcher(portal, "bad", **kwargs)
    assert caught.value.field == field and caught.value.rule


# --- any sequence of events -----------------------------------------------------------------

MAX_ATTEMPTS = 3


class OutboxMachine(RuleBasedStateMachine):
    """Random enqueues, transport failures, dispatches by two workers, crashes, time passing.

    Always: no mail is delivered twice, a sent entry was delivered exactly once, a failed
    one never, and at the end every entry is sent or failed.
    """

    @initialize()
    def start(self) -> None:
        self.portal = make_portal()
        self.workers = [
            dispatcher(self.portal, name, max_attempts=MAX_ATTEMPTS, batch_size=2)
            for name in ("a", "b")
        ]
        self.queued: list[str] = []
        self.crashes = 0

    @rule(n=st.integers(1, 3))
    def enqueue(self, n: int) -> None:
        self.queued += enqueue(self.portal, n, first=len(self.queued))

    @rule(n=st.integers(1, 4), permanent=st.booleans())
    def transport_fails(self, n: int, permanent: bool) -> None:
        transport(self.portal).fail_next(n, permanent=permanent)

    @rule(which=st.integers(0, 1))
    def dispatch(self, which: int) -> None:
        report = self.workers[which].dispatch_once()
        assert report.handled <= 2

    @rule(minutes=st.integers(0, 12))
    def time_passes(self, minutes: int) -> None:
        clock_of(self.portal).advance(dt.timedelta(minutes=minutes))

    @precondition(lambda self: self.crashes < 3)
    @rule()
    def a_worker_crashes_after_claiming(self) -> None:
        self.crashes += 1
        with self.portal.storage.unit_of_work() as uow:
            uow.outbox.claim_due(
                worker=f"crashed-{self.crashes}",
                now=clock_of(self.portal).now(),
                lease=LEASE,
                limit=1,
            )
            uow.commit()

    @invariant()
    def no_mail_is_sent_twice(self) -> None:
        if not hasattr(self, "portal"):
            return
        counts = sent_counts(self.portal)
        assert all(n == 1 for n in counts.values()), counts
        for e in entries(self.portal):
            message_id = self.workers[0].message_id(e)
            if e.state is OutboxState.SENT:
                assert counts[message_id] == 1
            else:
                assert counts[message_id] == 0
            if e.state is OutboxState.FAILED:
                assert e.last_error
            assert e.attempts <= MAX_ATTEMPTS + self.crashes

    def teardown(self) -> None:
        if not hasattr(self, "portal"):
            return
        # Keep dispatching, letting time pass: every entry ends sent or failed.
        for _ in range(200):
            if all(e.state in (OutboxState.SENT, OutboxState.FAILED) for e in entries(self.portal)):
                break
            clock_of(self.portal).advance(LEASE + 10 * MINUTE)
            self.workers[0].dispatch_once()
        final = entries(self.portal)
        assert {e.id for e in final} == set(self.queued)
        assert all(e.state in (OutboxState.SENT, OutboxState.FAILED) for e in final)
        self.no_mail_is_sent_twice()
        self.portal.close()


OutboxMachine.TestCase.settings = settings(max_examples=60, stateful_step_count=30, deadline=None)
TestOutboxMachine = OutboxMachine.TestCase
