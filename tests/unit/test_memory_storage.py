"""What only the in-memory storage does: failure injection, lock timeouts, misuse, threads.

The behaviour every storage shares is in the contract (tests/contracts).
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest

from onestop.adapters.memory import OPERATIONS, InMemoryStorage, InMemoryUnitOfWork
from onestop.domain.audit import ADMIN_STREAM, AuditEvent, AuditRecord
from onestop.domain.codes import AgencyCode
from onestop.domain.dossier import Actor
from onestop.domain.mail import OutboxState
from onestop.domain.payments import PaymentState
from onestop.domain.reports import Measure, ReportPeriod, ReportScope
from onestop.domain.satisfaction import Complaint, Rating, SatisfactionLevel
from onestop.domain.search import SearchPlan
from onestop.domain.statuses import DossierStatus
from onestop.domain.sync import SyncEntry
from onestop.errors import (
    ConcurrentUpdate,
    ConfigurationError,
    DossierNotFound,
    DuplicateError,
    InvalidInput,
    NaiveDatetime,
    StorageError,
    UnitOfWorkError,
)
from onestop.testing import builders

T0 = builders.T0
DAY = T0.date()
AGENCY = builders.AGENCY
LEASE = dt.timedelta(minutes=5)


def _sync_entry(entry_id: str, sequence: int = 1) -> SyncEntry:
    return SyncEntry(
        id=entry_id,
        dossier_id="dossier-1",
        dossier_code="CODE-1",
        sequence=sequence,
        created_at=T0,
        record={"MaHoSo": "CODE-1"},
    )


def _seeded() -> InMemoryStorage:
    """A storage holding one of everything, under fixed ids."""
    storage = InMemoryStorage(lock_timeout=5)
    with storage.unit_of_work() as uow:
        uow.accounts.add(builders.account("account-1", email="an@example.vn"))
        uow.officers.add(builders.officer("officer-1"))
        uow.catalog.put_agency(builders.agency())
        uow.catalog.put_field(builders.field())
        uow.catalog.put_procedure(builders.procedure())
        uow.dossiers.add(builders.submitted_dossier("dossier-1", idempotency_key="k"))
        uow.dossiers.add(builders.draft_dossier("draft-1"))
        uow.payments.add(builders.payment("payment-1", txn_ref="TXN1"))
        uow.outbox.add(builders.outbox_entry("mail-1"))
        uow.sync.add(_sync_entry("sync-1"))
        uow.commit()
    return storage


_SCOPE = ReportScope(frozenset({AGENCY}), ReportPeriod(DAY, DAY))
_CALLS: dict[str, Callable[[InMemoryUnitOfWork], object]] = {
    "accounts.add": lambda uow: uow.accounts.add(builders.account()),
    "accounts.get": lambda uow: uow.accounts.get("account-1"),
    "accounts.find_by_email": lambda uow: uow.accounts.find_by_email("an@example.vn"),
    "accounts.find_by_national_subject": lambda uow: uow.accounts.find_by_national_subject("s"),
    "accounts.update": lambda uow: uow.accounts.update(uow.accounts.get("account-1")),
    "officers.add": lambda uow: uow.officers.add(builders.officer()),
    "officers.get": lambda uow: uow.officers.get("officer-1"),
    "officers.list_by_agency": lambda uow: uow.officers.list_by_agency(AGENCY),
    "officers.find_by_email": lambda uow: uow.officers.find_by_email("a@kontum.gov.vn"),
    "officers.find_by_external_subject": lambda uow: uow.officers.find_by_external_subject("s"),
    "officers.update": lambda uow: uow.officers.update(uow.officers.get("officer-1")),
    "officers.list_all": lambda uow: uow.officers.list_all(),
    "catalog.put_agency": lambda uow: uow.catalog.put_agency(builders.agency()),
    "catalog.put_field": lambda uow: uow.catalog.put_field(builders.field()),
    "catalog.put_procedure": lambda uow: uow.catalog.put_procedure(builders.procedure()),
    "catalog.get_agency": lambda uow: uow.catalog.get_agency(AGENCY),
    "catalog.get_field": lambda uow: uow.catalog.get_field(builders.FIELD_ID),
    "catalog.get_procedure": lambda uow: uow.catalog.get_procedure(builders.PROCEDURE_CODE),
    "catalog.list_agencies": lambda uow: uow.catalog.list_agencies(),
    "catalog.list_fields": lambda uow: uow.catalog.list_fields(),
    "catalog.list_procedures": lambda uow: uow.catalog.list_procedures(),
    "catalog.search": lambda uow: uow.catalog.search(SearchPlan.of("dang ky")),
    "dossiers.add": lambda uow: uow.dossiers.add(builders.draft_dossier()),
    "dossiers.get": lambda uow: uow.dossiers.get("dossier-1"),
    "dossiers.list_due_by_agency": lambda uow: uow.dossiers.list_due_by_agency(
        AGENCY, due_by=DAY, statuses=frozenset(DossierStatus)
    ),
    "dossiers.referenced_file_keys": lambda uow: uow.dossiers.referenced_file_keys(["k"]),
    "dossiers.get_by_code": lambda uow: uow.dossiers.get_by_code(builders.dossier_code(1)),
    "dossiers.find_by_idempotency_key": lambda uow: uow.dossiers.find_by_idempotency_key("x", "k"),
    "dossiers.update": lambda uow: uow.dossiers.update(uow.dossiers.get("dossier-1")),
    "dossiers.delete_draft": lambda uow: uow.dossiers.delete_draft("draft-1"),
    "dossiers.list_by_owner": lambda uow: uow.dossiers.list_by_owner("x"),
    "dossiers.list_by_agency": lambda uow: uow.dossiers.list_by_agency(AGENCY),
    "dossiers.count_by_owner": lambda uow: uow.dossiers.count_by_owner("x"),
    "dossiers.count_by_agency": lambda uow: uow.dossiers.count_by_agency(AGENCY),
    "payments.add": lambda uow: uow.payments.add(builders.payment()),
    "payments.get": lambda uow: uow.payments.get("payment-1"),
    "payments.find_by_txn_ref": lambda uow: uow.payments.find_by_txn_ref("fake", "TXN1"),
    "payments.update": lambda uow: uow.payments.update(uow.payments.get("payment-1")),
    "payments.list_by_dossier": lambda uow: uow.payments.list_by_dossier("x"),
    "payments.list_by_state": lambda uow: uow.payments.list_by_state(PaymentState.PENDING),
    "feedback.add_rating": lambda uow: uow.feedback.add_rating(
        Rating("dossier-1", "account-1", str(AGENCY), SatisfactionLevel.SATISFIED, "", T0)
    ),
    "feedback.rating_of": lambda uow: uow.feedback.rating_of("dossier-1"),
    "feedback.add_complaint": lambda uow: uow.feedback.add_complaint(
        Complaint(builders.new_id("complaint"), "dossier-1", "account-1", str(AGENCY), "Chậm", T0)
    ),
    "feedback.complaints_of": lambda uow: uow.feedback.complaints_of("dossier-1"),
    "feedback.list_complaints": lambda uow: uow.feedback.list_complaints(AGENCY),
    "feedback.count_complaints": lambda uow: uow.feedback.count_complaints(AGENCY),
    "reports.indicator_counts": lambda uow: uow.reports.indicator_counts(_SCOPE),
    "reports.indicator_members": lambda uow: uow.reports.indicator_members(
        _SCOPE, Measure.ON_TIME, "denominator"
    ),
    "outbox.add": lambda uow: uow.outbox.add(builders.outbox_entry()),
    "outbox.get": lambda uow: uow.outbox.get("mail-1"),
    "outbox.claim_due": lambda uow: uow.outbox.claim_due(worker="w", now=T0, lease=LEASE, limit=1),
    "outbox.update": lambda uow: uow.outbox.update(uow.outbox.get("mail-1")),
    "outbox.list": lambda uow: uow.outbox.list(),
    "sync.add": lambda uow: uow.sync.add(_sync_entry("sync-2", 2)),
    "sync.get": lambda uow: uow.sync.get("sync-1"),
    "sync.last_for": lambda uow: uow.sync.last_for("dossier-1"),
    "sync.claim_due": lambda uow: uow.sync.claim_due(worker="w", now=T0, lease=LEASE, limit=1),
    "sync.update": lambda uow: uow.sync.update(uow.sync.get("sync-1")),
    "sync.list": lambda uow: uow.sync.list(),
    "sync.sent_dossier_ids": lambda uow: uow.sync.sent_dossier_ids(["dossier-1"]),
    "codes.next": lambda uow: uow.codes.next(AGENCY, DAY, maximum=9999),
    "codes.peek": lambda uow: uow.codes.peek(AGENCY, DAY),
    "tokens.consume": lambda uow: uow.tokens.consume("jti", now=T0),
    "audit.head": lambda uow: uow.audit.head(ADMIN_STREAM),
    "audit.append": lambda uow: uow.audit.append(
        AuditRecord.following(None, "s", AuditEvent.of(T0, "operator", "x.done", "s"))
    ),
    "audit.list": lambda uow: uow.audit.list(ADMIN_STREAM),
    "audit.streams": lambda uow: uow.audit.streams(),
    "commit": lambda uow: uow.commit(),
}


def test_every_operation_has_a_call() -> None:
    assert set(_CALLS) == OPERATIONS


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_every_operation_works_and_can_be_made_to_fail(operation: str) -> None:
    storage = _seeded()
    with storage.unit_of_work() as uow:
        _CALLS[operation](uow)  # works without injection
    storage.fail_on.add(operation)
    with storage.unit_of_work() as uow, pytest.raises(StorageError, match=re.escape(operation)):
        _CALLS[operation](uow)
    storage.fail_on.clear()
    with storage.unit_of_work() as uow:
        _CALLS[operation](uow)


def test_fail_on_unknown_operation() -> None:
    with pytest.raises(ConfigurationError, match=r"outbox\.send"):
        InMemoryStorage(fail_on={"outbox.send"})


def test_failing_commit_rolls_back_and_the_unit_of_work_goes_on() -> None:
    storage = InMemoryStorage(fail_on={"commit"})
    with storage.unit_of_work() as uow:
        assert uow.codes.next(AGENCY, DAY, maximum=99) == 1
        uow.accounts.add(builders.account("account-x"))
        with pytest.raises(StorageError):
            uow.commit()
        storage.fail_on.clear()
        # The failed commit ended the transaction: nothing staged is left, the number is free.
        assert uow.codes.next(AGENCY, DAY, maximum=99) == 1
        uow.commit()
    with storage.unit_of_work() as uow:
        assert uow.codes.peek(AGENCY, DAY) == 1
        assert uow.accounts.find_by_email("account-x@example.vn") is None


# --- misuse --------------------------------------------------------------------------------


def test_unit_of_work_used_before_with() -> None:
    uow = InMemoryStorage().unit_of_work()
    with pytest.raises(UnitOfWorkError, match="before"):
        uow.accounts.get("x")
    with pytest.raises(UnitOfWorkError):
        uow.commit()


def test_unit_of_work_used_after_with() -> None:
    storage = InMemoryStorage()
    with storage.unit_of_work() as uow:
        pass
    with pytest.raises(UnitOfWorkError, match="after"):
        uow.dossiers.list_by_owner("x")
    with pytest.raises(UnitOfWorkError):
        uow.rollback()
    with pytest.raises(UnitOfWorkError), uow:
        pass


def test_unit_of_work_entered_twice() -> None:
    storage = InMemoryStorage()
    uow = storage.unit_of_work()
    with uow, pytest.raises(UnitOfWorkError, match="entered once"), uow:
        pass


def test_closed_storage() -> None:
    storage = InMemoryStorage()
    with storage.unit_of_work() as uow:
        storage.close()
        with pytest.raises(StorageError, match="closed"):
            uow.accounts.get("x")
    with pytest.raises(StorageError, match="closed"):
        storage.unit_of_work()
    assert "closed" in repr(storage)


def test_close_before_commit_loses_the_changes() -> None:
    storage = InMemoryStorage()
    uow = storage.unit_of_work()
    with uow:
        uow.accounts.add(builders.account())
        storage.close()
        with pytest.raises(StorageError):
            uow.commit()


@pytest.mark.parametrize("timeout", [0, -1, -0.5])
def test_lock_timeout_must_be_positive(timeout: float) -> None:
    with pytest.raises(ConfigurationError):
        InMemoryStorage(lock_timeout=timeout)


def test_bad_arguments() -> None:
    storage = InMemoryStorage()
    naive = dt.datetime(2022, 6, 22, 9, 30)
    with storage.unit_of_work() as uow:
        for maximum in (0, -1, True, 2.5):
            with pytest.raises(InvalidInput):
                uow.codes.next(AGENCY, DAY, maximum=maximum)  # type: ignore[arg-type]
        with pytest.raises(InvalidInput):
            uow.outbox.claim_due(worker="w", now=T0, lease=LEASE, limit=0)
        with pytest.raises(InvalidInput):
            uow.outbox.claim_due(worker="w", now=T0, lease=dt.timedelta(0), limit=1)
        with pytest.raises(NaiveDatetime):
            uow.outbox.claim_due(worker="w", now=naive, lease=LEASE, limit=1)
        with pytest.raises(NaiveDatetime):
            uow.tokens.consume("jti", now=naive)


# --- lock timeout and threads ----------------------------------------------------------------


def test_two_units_of_work_in_one_thread_time_out_on_a_code_sequence() -> None:
    storage = InMemoryStorage(lock_timeout=0.05)
    with storage.unit_of_work() as first:
        assert first.codes.next(AGENCY, DAY, maximum=99) == 1
        with storage.unit_of_work() as second, pytest.raises(StorageError, match="waited"):
            second.codes.next(AGENCY, DAY, maximum=99)
        # Another agency's sequence is another lock.
        with storage.unit_of_work() as third:
            assert third.codes.next(AgencyCode("H34", 5), DAY, maximum=99) == 1
        first.commit()
    # Once the holder committed, the lock is free again.
    with storage.unit_of_work() as uow:
        assert uow.codes.next(AGENCY, DAY, maximum=99) == 2


def test_a_second_thread_waits_for_the_sequence_and_continues_from_the_commit() -> None:
    storage = InMemoryStorage(lock_timeout=10)
    taken = threading.Event()
    waiter_started = threading.Event()
    got: list[int] = []

    def waiter() -> None:
        assert taken.wait(timeout=30)
        waiter_started.set()
        with storage.unit_of_work() as uow:
            got.append(uow.codes.next(AGENCY, DAY, maximum=99))
            uow.commit()

    thread = threading.Thread(target=waiter)
    thread.start()
    with storage.unit_of_work() as uow:
        assert uow.codes.next(AGENCY, DAY, maximum=99) == 1
        taken.set()
        assert waiter_started.wait(timeout=30)
        # The waiter is blocked on our row lock (or about to be): it cannot have a number.
        assert got == []
        uow.commit()
    thread.join(timeout=10)
    assert got == [2]


def test_a_rolled_back_holder_frees_its_number_for_the_waiter() -> None:
    storage = InMemoryStorage(lock_timeout=10)
    taken = threading.Event()
    got: list[int] = []

    def waiter() -> None:
        assert taken.wait(timeout=30)
        with storage.unit_of_work() as uow:
            got.append(uow.codes.next(AGENCY, DAY, maximum=99))
            uow.commit()

    thread = threading.Thread(target=waiter)
    thread.start()
    with storage.unit_of_work() as uow:
        uow.codes.next(AGENCY, DAY, maximum=99)
        taken.set()
    thread.join(timeout=10)
    assert got == [1]


def test_concurrent_updates_of_one_dossier_have_one_winner() -> None:
    storage = InMemoryStorage()
    dossier = builders.submitted_dossier()
    with storage.unit_of_work() as uow:
        uow.dossiers.add(dossier)
        uow.commit()
    threads = 8
    loaded = threading.Barrier(threads, timeout=60)

    def withdraw(n: int) -> str:
        with storage.unit_of_work() as uow:
            mine = uow.dossiers.get(dossier.id)
            loaded.wait()  # everyone has read version 0 before anyone writes
            mine.withdraw(
                actor=Actor.applicant(dossier.owner_id),
                now=T0 + dt.timedelta(minutes=n),
                reason=f"lý do {n}",
            )
            try:
                uow.dossiers.update(mine)
                uow.commit()
            except ConcurrentUpdate:
                return "lost"
            return "won"

    with ThreadPoolExecutor(max_workers=threads) as pool:
        results = list(pool.map(withdraw, range(threads)))
    assert sorted(results) == ["lost"] * (threads - 1) + ["won"]
    with storage.unit_of_work() as uow:
        stored = uow.dossiers.get(dossier.id)
        assert stored.status is DossierStatus.WITHDRAWN
        assert stored.version == 1
        assert len(stored.history) == len(dossier.history) + 1


def test_concurrent_registrations_with_one_email_have_one_winner() -> None:
    storage = InMemoryStorage()
    threads = 8
    start = threading.Barrier(threads, timeout=60)

    def register(n: int) -> str:
        start.wait()
        try:
            with storage.unit_of_work() as uow:
                uow.accounts.add(builders.account(f"account-{n}", email="an@example.vn"))
                uow.commit()
        except DuplicateError:
            return "refused"
        return "registered"

    with ThreadPoolExecutor(max_workers=threads) as pool:
        results = list(pool.map(register, range(threads)))
    assert sorted(results) == ["refused"] * (threads - 1) + ["registered"]


def test_claims_by_threads_with_uncommitted_claims_held() -> None:
    storage = InMemoryStorage()
    with storage.unit_of_work() as uow:
        for n in range(6):
            uow.outbox.add(builders.outbox_entry(f"mail-{n}", created_at=T0 + dt.timedelta(n)))
        uow.commit()
    now = T0 + dt.timedelta(days=10)
    holding = threading.Event()
    release = threading.Event()
    held: list[str] = []

    def holder() -> None:
        with storage.unit_of_work() as uow:
            held.extend(
                e.id for e in uow.outbox.claim_due(worker="a", now=now, lease=LEASE, limit=4)
            )
            holding.set()
            assert release.wait(timeout=30)
            uow.commit()

    thread = threading.Thread(target=holder)
    thread.start()
    assert holding.wait(timeout=30)
    with storage.unit_of_work() as uow:
        theirs = [e.id for e in uow.outbox.claim_due(worker="b", now=now, lease=LEASE, limit=4)]
        uow.commit()
    release.set()
    thread.join(timeout=10)
    assert held == ["mail-0", "mail-1", "mail-2", "mail-3"]
    assert theirs == ["mail-4", "mail-5"]
    with storage.unit_of_work() as uow:
        assert len(uow.outbox.list(state=OutboxState.CLAIMED)) == 6


# --- copies and staging ----------------------------------------------------------------------


def test_changing_an_added_object_changes_nothing_stored() -> None:
    storage = InMemoryStorage()
    account = builders.account()
    with storage.unit_of_work() as uow:
        uow.accounts.add(account)
        account.lock()
        uow.commit()
    account.failed_logins = 4
    with storage.unit_of_work() as uow:
        stored = uow.accounts.get(account.id)
    assert not stored.peek_events()
    assert stored.failed_logins == 0
    assert stored.status is not account.status


def test_pending_events_are_not_stored() -> None:
    storage = InMemoryStorage()
    dossier = builders.draft_dossier()
    dossier.submit(code=builders.dossier_code(1), now=T0)
    assert dossier.peek_events()
    with storage.unit_of_work() as uow:
        uow.dossiers.add(dossier)
        assert uow.dossiers.get(dossier.id).peek_events() == ()
        uow.commit()
    assert dossier.peek_events(), "the caller keeps its own events"


def test_delete_then_add_again_in_one_unit_of_work() -> None:
    storage = InMemoryStorage()
    draft = builders.draft_dossier()
    with storage.unit_of_work() as uow:
        uow.dossiers.add(draft)
        uow.commit()
    replacement = builders.draft_dossier(draft.id, owner_id=draft.owner_id, now=T0 + LEASE)
    with storage.unit_of_work() as uow:
        uow.dossiers.delete_draft(draft.id)
        with pytest.raises(DossierNotFound):
            uow.dossiers.get(draft.id)
        uow.dossiers.add(replacement)
        uow.commit()
    with storage.unit_of_work() as uow:
        assert uow.dossiers.get(draft.id).created_at == T0 + LEASE


def test_add_then_delete_in_one_unit_of_work_leaves_nothing() -> None:
    storage = InMemoryStorage()
    draft = builders.draft_dossier()
    with storage.unit_of_work() as uow:
        uow.dossiers.add(draft)
        uow.dossiers.delete_draft(draft.id)
        uow.commit()
    with storage.unit_of_work() as uow, pytest.raises(DossierNotFound):
        uow.dossiers.get(draft.id)


def test_delete_of_a_draft_deleted_meanwhile() -> None:
    storage = InMemoryStorage()
    draft = builders.draft_dossier()
    with storage.unit_of_work() as uow:
        uow.dossiers.add(draft)
        uow.commit()
    with storage.unit_of_work() as first, storage.unit_of_work() as second:
        first.dossiers.delete_draft(draft.id)
        second.dossiers.delete_draft(draft.id)
        first.commit()
        with pytest.raises(ConcurrentUpdate):
            second.commit()


def test_two_updates_in_one_unit_of_work_keep_the_first_base() -> None:
    storage = InMemoryStorage()
    account = builders.account()
    with storage.unit_of_work() as uow:
        uow.accounts.add(account)
        uow.commit()
    with storage.unit_of_work() as uow:
        loaded = uow.accounts.get(account.id)
        loaded.failed_logins = 1
        uow.accounts.update(loaded)
        loaded.failed_logins = 2
        uow.accounts.update(loaded)
        assert loaded.version == 2
        uow.commit()
    with storage.unit_of_work() as uow:
        stored = uow.accounts.get(account.id)
        assert (stored.failed_logins, stored.version) == (2, 2)


def test_update_taking_a_committed_code() -> None:
    storage = InMemoryStorage()
    first = builders.submitted_dossier(seq=1)
    draft = builders.draft_dossier()
    with storage.unit_of_work() as uow:
        uow.dossiers.add(first)
        uow.dossiers.add(draft)
        uow.commit()
    with storage.unit_of_work() as uow:
        loaded = uow.dossiers.get(draft.id)
        loaded.submit(code=builders.dossier_code(1), now=T0)
        with pytest.raises(DuplicateError):
            uow.dossiers.update(loaded)


def test_repr() -> None:
    storage = InMemoryStorage()
    assert repr(storage) == "<InMemoryStorage open>"
    uow = storage.unit_of_work()
    assert repr(uow) == "<InMemoryUnitOfWork new>"
    with uow:
        assert repr(uow) == "<InMemoryUnitOfWork open>"
    assert repr(uow) == "<InMemoryUnitOfWork closed>"


# --- tokens: a second consume waits for the first, as a unique index does ----------------------


def _consume_in_thread(storage: InMemoryStorage, started: threading.Event) -> list[str]:
    """Consume "jti" in a new thread (once ``started``); what it ended with, when it ends."""
    ended: list[str] = []

    def run() -> None:
        started.set()
        with storage.unit_of_work() as uow:
            try:
                uow.tokens.consume("jti", now=T0)
                uow.commit()
                ended.append("committed")
            except DuplicateError:
                ended.append("DuplicateError at consume")

    threading.Thread(target=run, daemon=True).start()
    return ended


def _settled(ended: list[str]) -> list[str]:
    """``ended`` once the thread has put its outcome there (10 s at most)."""
    pause = threading.Event()
    for _ in range(200):
        if ended:
            break
        pause.wait(0.05)
    return ended


def test_a_second_consume_of_a_token_waits_and_is_refused_by_consume_itself() -> None:
    """Two units of work using one token at once: the second waits for the first to end and
    is refused by ``consume`` (never later by ``commit``, which nobody translates)."""
    storage = InMemoryStorage(lock_timeout=10)
    with storage.unit_of_work() as first:
        first.tokens.consume("jti", now=T0)
        started = threading.Event()
        ended = _consume_in_thread(storage, started)
        assert started.wait(timeout=10)
        threading.Event().wait(0.2)  # long enough for the second to reach consume
        assert ended == []  # it waits for us
        first.commit()
    assert _settled(ended) == ["DuplicateError at consume"]


def test_a_rolled_back_consume_lets_the_waiting_one_through() -> None:
    """The first user of a token rolled back: the one waiting for it consumes it."""
    storage = InMemoryStorage(lock_timeout=10)
    with storage.unit_of_work() as first:
        first.tokens.consume("jti", now=T0)
        started = threading.Event()
        ended = _consume_in_thread(storage, started)
        assert started.wait(timeout=10)
        threading.Event().wait(0.2)
        assert ended == []
        first.rollback()
    assert _settled(ended) == ["committed"]


def test_two_units_of_work_in_one_thread_time_out_on_a_token() -> None:
    """Waiting on oneself would hang: lock_timeout turns it into StorageError."""
    storage = InMemoryStorage(lock_timeout=0.05)
    with storage.unit_of_work() as first:
        first.tokens.consume("jti", now=T0)
        with storage.unit_of_work() as second, pytest.raises(StorageError, match="waited"):
            second.tokens.consume("jti", now=T0)
        # Another token is not held.
        with storage.unit_of_work() as third:
            third.tokens.consume("jti-2", now=T0)
            third.commit()
        first.commit()


@pytest.mark.parametrize("token_id", [None, "", 7, ["jti"], b"jti"])
def test_a_token_id_that_is_not_text_is_refused(token_id: object) -> None:
    """The ledger's key is text: anything else is InvalidInput, not a TypeError from a dict."""
    storage = InMemoryStorage()
    with storage.unit_of_work() as uow, pytest.raises(InvalidInput) as caught:
        uow.tokens.consume(token_id, now=T0)  # type: ignore[arg-type]
    assert caught.value.field == "token_id"
