"""Storage contract: payments, the mail outbox and the sync outbox."""

from __future__ import annotations

import datetime as dt
import itertools
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from hypothesis import given

from onestop.domain.mail import OutboxEntry, OutboxState
from onestop.domain.payments import Payment, PaymentOutcome, PaymentState
from onestop.domain.sync import SyncState
from onestop.errors import (
    ConcurrentUpdate,
    DuplicateError,
    NotFound,
    PaymentNotFound,
)
from onestop.ports.storage import Storage, UnitOfWork
from onestop.testing import builders
from onestop.testing.contracts._storage_base import (
    _PROPERTY,
    LEASE,
    StorageContractBase,
    _adding,
    _adding_sync,
    _commit,
    _ids,
    _in_unit,
    _refused,
    _sync_entry,
)
from onestop.testing.contracts._support import (
    assert_same_fields,
    outbox_entries,
    payments,
)


class OutboxStorageContract(StorageContractBase):
    """Payments, mail outbox and sync outbox; part of :class:`StorageContract`."""

    # --- payments ------------------------------------------------------------------------

    def test_payment_round_trip(self, storage: Storage) -> None:
        pending = builders.payment()
        settled = builders.payment(amount=1_250_000)
        settled.settle(
            PaymentOutcome.FAILED,
            amount=settled.amount,
            now=builders.T0 + dt.timedelta(minutes=3),
            reason="Thẻ bị từ chối",
        )
        _commit(storage, _adding(pending, settled))
        with storage.unit_of_work() as uow:
            assert_same_fields(uow.payments.get(pending.id), pending)
            assert_same_fields(uow.payments.get(settled.id), settled)
            found = uow.payments.find_by_txn_ref(settled.gateway, settled.txn_ref)
            assert found is not None
            assert_same_fields(found, settled)
            assert uow.payments.find_by_txn_ref("vnpay", settled.txn_ref) is None

    @given(payment=payments())
    @_PROPERTY
    def test_payment_round_trip_generated(self, payment: Payment) -> None:
        with self.example_storage() as storage:
            _commit(storage, lambda uow: uow.payments.add(payment))
            assert_same_fields(_in_unit(storage, lambda uow: uow.payments.get(payment.id)), payment)

    def test_payment_unknown(self, storage: Storage) -> None:
        with storage.unit_of_work() as uow, pytest.raises(PaymentNotFound):
            uow.payments.get("payment-missing")
        _refused(storage, PaymentNotFound, lambda uow: uow.payments.update(builders.payment()))

    def test_payment_duplicates(self, storage: Storage) -> None:
        payment = builders.payment(gateway="vnpay", txn_ref="TXN0001")
        _commit(storage, lambda uow: uow.payments.add(payment))
        same_id = builders.payment(payment.id, gateway="vnpay")
        same_ref = builders.payment(gateway="vnpay", txn_ref="TXN0001")
        _refused(storage, DuplicateError, lambda uow: uow.payments.add(same_id))
        _refused(storage, DuplicateError, lambda uow: uow.payments.add(same_ref))
        other_gateway = builders.payment(gateway="fake", txn_ref="TXN0001")
        _commit(storage, lambda uow: uow.payments.add(other_gateway))
        with storage.unit_of_work() as uow:
            found = uow.payments.find_by_txn_ref("vnpay", "TXN0001")
            assert found is not None
            assert found.id == payment.id
            with pytest.raises(PaymentNotFound):
                uow.payments.get(same_ref.id)

    def test_payment_update_and_stale_update(self, storage: Storage) -> None:
        payment = builders.payment()
        _commit(storage, lambda uow: uow.payments.add(payment))
        first = _in_unit(storage, lambda uow: uow.payments.get(payment.id))
        second = _in_unit(storage, lambda uow: uow.payments.get(payment.id))
        paid_at = builders.T0 + dt.timedelta(minutes=2)
        first.settle(
            PaymentOutcome.PAID, amount=payment.amount, now=paid_at, gateway_transaction_id="1"
        )
        _commit(storage, lambda uow: uow.payments.update(first))
        assert first.version == 1
        second.abandon(now=paid_at)
        _refused(storage, ConcurrentUpdate, lambda uow: uow.payments.update(second))
        stored = _in_unit(storage, lambda uow: uow.payments.get(payment.id))
        assert_same_fields(stored, first)
        assert stored.state is PaymentState.CONFIRMED

    def test_payments_list_by_dossier_oldest_first(self, storage: Storage) -> None:
        dossier_id = builders.new_id("dossier")
        times = [builders.T0 + dt.timedelta(minutes=m) for m in (5, 1, 5, 3)]
        made = [
            builders.payment(f"payment-{n}", dossier_id=dossier_id, created_at=at)
            for n, at in zip("dbca", times, strict=True)
        ]
        other = builders.payment(created_at=builders.T0)

        def add_all(uow: UnitOfWork) -> None:
            for payment in [*made, other]:
                uow.payments.add(payment)

        _commit(storage, add_all)
        listed = _in_unit(storage, lambda uow: uow.payments.list_by_dossier(dossier_id))
        assert _ids(listed) == ["payment-b", "payment-a", "payment-c", "payment-d"]
        assert list(_in_unit(storage, lambda uow: uow.payments.list_by_dossier("none"))) == []

    def test_payments_list_by_state_oldest_first_and_follows_changes(
        self, storage: Storage
    ) -> None:
        times = [builders.T0 + dt.timedelta(minutes=m) for m in (7, 1, 4, 9)]
        made = [
            builders.payment(builders.new_id(f"payment-{n}"), created_at=at)
            for n, at in zip("dbca", times, strict=True)
        ]
        mine = {p.id for p in made}

        def in_state(state: PaymentState, before: dt.datetime | None = None) -> list[str]:
            listed = _in_unit(
                storage, lambda uow: uow.payments.list_by_state(state, created_before=before)
            )
            return [p.id for p in listed if p.id in mine]

        def add_all(uow: UnitOfWork) -> None:
            for payment in made:
                uow.payments.add(payment)

        _commit(storage, add_all)
        oldest_first = [made[1].id, made[2].id, made[0].id, made[3].id]
        assert in_state(PaymentState.PENDING) == oldest_first
        assert in_state(PaymentState.PENDING, times[2]) == oldest_first[:2]
        assert in_state(PaymentState.CONFIRMED) == []

        def confirm(uow: UnitOfWork) -> None:
            payment = uow.payments.get(made[2].id)
            payment.settle(PaymentOutcome.PAID, amount=payment.amount, now=builders.T0)
            uow.payments.update(payment)
            # The unit of work sees its own change before it commits.
            assert made[2].id in [p.id for p in uow.payments.list_by_state(PaymentState.CONFIRMED)]
            assert made[2].id not in [
                p.id for p in uow.payments.list_by_state(PaymentState.PENDING)
            ]

        _commit(storage, confirm)
        assert in_state(PaymentState.PENDING) == [made[1].id, made[0].id, made[3].id]
        assert in_state(PaymentState.CONFIRMED) == [made[2].id]

    # --- outbox --------------------------------------------------------------------------

    def test_outbox_round_trip(self, storage: Storage) -> None:
        entry = builders.outbox_entry()
        _commit(storage, lambda uow: uow.outbox.add(entry))
        loaded = _in_unit(storage, lambda uow: uow.outbox.get(entry.id))
        assert_same_fields(loaded, entry)
        assert loaded.message == entry.message

    @given(entry=outbox_entries())
    @_PROPERTY
    def test_outbox_round_trip_generated(self, entry: OutboxEntry) -> None:
        with self.example_storage() as storage:
            _commit(storage, lambda uow: uow.outbox.add(entry))
            assert_same_fields(_in_unit(storage, lambda uow: uow.outbox.get(entry.id)), entry)

    def test_outbox_unknown_and_duplicate(self, storage: Storage) -> None:
        with storage.unit_of_work() as uow, pytest.raises(NotFound):
            uow.outbox.get("mail-missing")
        entry = builders.outbox_entry()
        _commit(storage, lambda uow: uow.outbox.add(entry))
        again = builders.outbox_entry(entry.id, message=builders.mail_message(to="x@example.vn"))
        _refused(storage, DuplicateError, lambda uow: uow.outbox.add(again))
        assert _in_unit(storage, lambda uow: uow.outbox.get(entry.id)).message == entry.message
        _refused(storage, NotFound, lambda uow: uow.outbox.update(builders.outbox_entry()))

    def test_outbox_list_oldest_first_by_state(self, storage: Storage) -> None:
        times = [builders.T0 + dt.timedelta(minutes=m) for m in (4, 2, 4, 0)]
        entries = [
            builders.outbox_entry(f"mail-{n}", created_at=at)
            for n, at in zip("dbca", times, strict=True)
        ]
        entries[0].claim("w", now=builders.T0, lease=LEASE)
        entries[0].mark_sent(now=builders.T0)
        _commit(storage, _adding(*entries))
        with storage.unit_of_work() as uow:
            assert _ids(uow.outbox.list()) == ["mail-a", "mail-b", "mail-c", "mail-d"]
            assert _ids(uow.outbox.list(state=OutboxState.PENDING)) == [
                "mail-a",
                "mail-b",
                "mail-c",
            ]
            assert _ids(uow.outbox.list(state=OutboxState.SENT)) == ["mail-d"]
            assert _ids(uow.outbox.list(state=OutboxState.FAILED)) == []

    def test_outbox_update_and_stale_update(self, storage: Storage) -> None:
        entry = builders.outbox_entry()
        _commit(storage, lambda uow: uow.outbox.add(entry))
        first = _in_unit(storage, lambda uow: uow.outbox.get(entry.id))
        second = _in_unit(storage, lambda uow: uow.outbox.get(entry.id))
        first.claim("worker-1", now=builders.T0, lease=LEASE)
        _commit(storage, lambda uow: uow.outbox.update(first))
        assert first.version == 1
        second.claim("worker-2", now=builders.T0, lease=LEASE)
        _refused(storage, ConcurrentUpdate, lambda uow: uow.outbox.update(second))
        stored = _in_unit(storage, lambda uow: uow.outbox.get(entry.id))
        assert_same_fields(stored, first)
        assert stored.claimed_by == "worker-1"

    def test_claim_due_takes_due_entries_oldest_first(self, storage: Storage) -> None:
        now = builders.T0 + dt.timedelta(hours=1)
        due = [
            builders.outbox_entry("mail-3", created_at=builders.T0 + dt.timedelta(minutes=3)),
            builders.outbox_entry("mail-1", created_at=builders.T0 + dt.timedelta(minutes=1)),
            builders.outbox_entry(
                "mail-2",
                created_at=builders.T0 + dt.timedelta(minutes=2),
                next_attempt_at=now,
            ),
            builders.outbox_entry("mail-0", created_at=builders.T0),
        ]
        later = builders.outbox_entry(
            "mail-later", created_at=builders.T0 - dt.timedelta(days=1), next_attempt_at=now + LEASE
        )
        sent = builders.outbox_entry("mail-sent", created_at=builders.T0 - dt.timedelta(days=2))
        sent.claim("w", now=builders.T0, lease=LEASE)
        sent.mark_sent(now=builders.T0)
        lapsed = builders.outbox_entry(
            "mail-lapsed", created_at=builders.T0 + dt.timedelta(minutes=9)
        )
        lapsed.claim("dead-worker", now=now - 2 * LEASE, lease=LEASE)
        held = builders.outbox_entry("mail-held", created_at=builders.T0 - dt.timedelta(days=3))
        held.claim("live-worker", now=now, lease=LEASE)
        _commit(storage, _adding(*due, later, sent, lapsed, held))

        with storage.unit_of_work() as uow:
            claimed = uow.outbox.claim_due(worker="worker-a", now=now, lease=LEASE, limit=3)
            assert _ids(claimed) == ["mail-0", "mail-1", "mail-2"]
            for entry in claimed:
                assert entry.state is OutboxState.CLAIMED
                assert entry.claimed_by == "worker-a"
                assert entry.claimed_until == now + LEASE
                assert entry.attempts == 1
            uow.commit()
        with storage.unit_of_work() as uow:
            rest = uow.outbox.claim_due(worker="worker-b", now=now, lease=LEASE, limit=10)
            assert _ids(rest) == ["mail-3", "mail-lapsed"]
            assert rest[1].attempts == 2
            uow.commit()
        with storage.unit_of_work() as uow:
            stored = uow.outbox.get("mail-1")
            assert stored.claimed_by == "worker-a"
            assert stored.version == 1
            assert uow.outbox.claim_due(worker="worker-c", now=now, lease=LEASE, limit=10) == []
            # Once the first claims lapse, they are due again.
            again = uow.outbox.claim_due(
                worker="worker-c", now=now + 2 * LEASE, lease=LEASE, limit=10
            )
            assert _ids(again) == [
                "mail-held",
                "mail-later",
                "mail-0",
                "mail-1",
                "mail-2",
                "mail-3",
                "mail-lapsed",
            ]

    def test_claim_due_rolled_back(self, storage: Storage) -> None:
        entry = builders.outbox_entry()
        _commit(storage, lambda uow: uow.outbox.add(entry))
        with storage.unit_of_work() as uow:
            assert len(uow.outbox.claim_due(worker="w", now=builders.T0, lease=LEASE, limit=5)) == 1
        stored = _in_unit(storage, lambda uow: uow.outbox.get(entry.id))
        assert stored.state is OutboxState.PENDING
        assert stored.version == 0

    def test_two_claimers_never_share_an_entry(self, storage: Storage) -> None:
        entries = [
            builders.outbox_entry(f"mail-{n}", created_at=builders.T0 + dt.timedelta(seconds=n))
            for n in range(5)
        ]
        _commit(storage, _adding(*entries))
        now = builders.T0 + dt.timedelta(minutes=1)
        if not self.interleaved_writers:
            # One writer at a time: the second claimer comes after the first has committed.
            with storage.unit_of_work() as first:
                mine = first.outbox.claim_due(worker="a", now=now, lease=LEASE, limit=3)
                first.commit()
            with storage.unit_of_work() as second:
                theirs = second.outbox.claim_due(worker="b", now=now, lease=LEASE, limit=3)
                second.commit()
            assert _ids(mine) == ["mail-0", "mail-1", "mail-2"]
            assert _ids(theirs) == ["mail-3", "mail-4"]
        else:
            with storage.unit_of_work() as first, storage.unit_of_work() as second:
                mine = first.outbox.claim_due(worker="a", now=now, lease=LEASE, limit=3)
                theirs = second.outbox.claim_due(worker="b", now=now, lease=LEASE, limit=3)
                assert _ids(mine) == ["mail-0", "mail-1", "mail-2"]
                assert _ids(theirs) == ["mail-3", "mail-4"]
                second.commit()
                first.commit()
        claimed = _in_unit(storage, lambda uow: uow.outbox.list(state=OutboxState.CLAIMED))
        assert {e.id: e.claimed_by for e in claimed} == {
            "mail-0": "a",
            "mail-1": "a",
            "mail-2": "a",
            "mail-3": "b",
            "mail-4": "b",
        }

    def test_concurrent_claimers_from_threads(self, storage: Storage) -> None:
        entries = [
            builders.outbox_entry(f"mail-{n:03d}", created_at=builders.T0 + dt.timedelta(seconds=n))
            for n in range(40)
        ]
        _commit(storage, _adding(*entries))
        now = builders.T0 + dt.timedelta(hours=1)
        start = threading.Barrier(4, timeout=60)

        def claim_all(worker: str) -> list[str]:
            start.wait()
            got: list[str] = []
            while True:
                with storage.unit_of_work() as uow:
                    claimed = uow.outbox.claim_due(worker=worker, now=now, lease=LEASE, limit=3)
                    uow.commit()
                if not claimed:
                    return got
                got.extend(_ids(claimed))

        with ThreadPoolExecutor(max_workers=4) as pool:
            results = list(pool.map(claim_all, [f"worker-{n}" for n in range(4)]))
        everything = [entry_id for got in results for entry_id in got]
        assert sorted(everything) == sorted(_ids(entries)), "an entry was claimed twice or never"
        stored = _in_unit(storage, lambda uow: uow.outbox.list())
        owner = {entry_id: f"worker-{n}" for n, got in enumerate(results) for entry_id in got}
        for entry in stored:
            assert entry.state is OutboxState.CLAIMED
            assert entry.attempts == 1
            assert entry.claimed_by == owner[entry.id]

    # --- sync outbox (national portal) --------------------------------------------------

    def test_sync_round_trip_and_duplicates(self, storage: Storage) -> None:
        entry = _sync_entry("s-1", "d-1", 1)
        _commit(storage, lambda uow: uow.sync.add(entry))
        loaded = _in_unit(storage, lambda uow: uow.sync.get("s-1"))
        assert_same_fields(loaded, entry)
        assert loaded.record == entry.record
        assert loaded.progress == entry.progress
        with storage.unit_of_work() as uow, pytest.raises(NotFound):
            uow.sync.get("s-missing")
        _refused(storage, DuplicateError, lambda uow: uow.sync.add(_sync_entry("s-1", "d-9", 1)))
        caught = _refused(
            storage, DuplicateError, lambda uow: uow.sync.add(_sync_entry("s-2", "d-1", 1))
        )
        assert getattr(caught.value, "field", None) == "sync_entry.sequence"

    def test_sync_last_for_and_list(self, storage: Storage) -> None:
        _commit(
            storage,
            _adding_sync(
                _sync_entry("a-1", "d-a", 1, minutes=0),
                _sync_entry("b-1", "d-b", 1, minutes=1),
                _sync_entry("a-2", "d-a", 2, minutes=2),
            ),
        )
        with storage.unit_of_work() as uow:
            last = uow.sync.last_for("d-a")
            assert last is not None
            assert last.id == "a-2"
            assert uow.sync.last_for("d-none") is None
            assert _ids(uow.sync.list()) == ["a-1", "b-1", "a-2"]
            assert _ids(uow.sync.list(dossier_id="d-a")) == ["a-1", "a-2"]
            assert _ids(uow.sync.list(state=SyncState.SENT)) == []
            assert uow.sync.sent_dossier_ids(["d-a", "d-b"]) == set()

    def test_sync_claims_one_entry_per_dossier_in_sequence(self, storage: Storage) -> None:
        _commit(
            storage,
            _adding_sync(
                _sync_entry("a-1", "d-a", 1, minutes=0),
                _sync_entry("a-2", "d-a", 2, minutes=1),
                _sync_entry("b-1", "d-b", 1, minutes=2),
            ),
        )
        now = builders.T0 + dt.timedelta(hours=1)
        with storage.unit_of_work() as uow:
            claimed = uow.sync.claim_due(worker="w", now=now, lease=LEASE, limit=10)
            uow.commit()
        assert _ids(claimed) == ["a-1", "b-1"]
        assert all(e.state is SyncState.CLAIMED and e.attempts == 1 for e in claimed)
        with storage.unit_of_work() as uow:
            # a-1's claim holds: a-2 must wait behind it.
            assert list(uow.sync.claim_due(worker="v", now=now, lease=LEASE, limit=10)) == []
            first = uow.sync.get("a-1")
            first.mark_sent(now=now)
            uow.sync.update(first)
            uow.commit()
        with storage.unit_of_work() as uow:
            assert _ids(uow.sync.claim_due(worker="v", now=now, lease=LEASE, limit=10)) == ["a-2"]
            assert uow.sync.sent_dossier_ids(["d-a", "d-b"]) == {"d-a"}

    def test_sync_waiting_or_stuck_entry_holds_back_its_dossier_only(
        self, storage: Storage
    ) -> None:
        _commit(
            storage,
            _adding_sync(
                _sync_entry("a-1", "d-a", 1, minutes=0),
                _sync_entry("a-2", "d-a", 2, minutes=1),
                _sync_entry("b-1", "d-b", 1, minutes=2),
                _sync_entry("b-2", "d-b", 2, minutes=3),
            ),
        )
        now = builders.T0 + dt.timedelta(hours=1)
        with storage.unit_of_work() as uow:
            a1, b1 = uow.sync.claim_due(worker="w", now=now, lease=LEASE, limit=10)
            a1.mark_retry(error="500", next_attempt_at=now + dt.timedelta(hours=1))
            b1.give_up(error="refused")
            uow.sync.update(a1)
            uow.sync.update(b1)
            uow.commit()
        with storage.unit_of_work() as uow:
            assert list(uow.sync.claim_due(worker="w", now=now, lease=LEASE, limit=10)) == []
            assert _ids(uow.sync.list(state=SyncState.NEEDS_ATTENTION)) == ["b-1"]
        later = now + dt.timedelta(hours=2)
        with storage.unit_of_work() as uow:
            assert _ids(uow.sync.claim_due(worker="w", now=later, lease=LEASE, limit=10)) == ["a-1"]
            stuck = uow.sync.get("b-1")
            stuck.retry(now=later)
            uow.sync.update(stuck)
            uow.commit()
        with storage.unit_of_work() as uow:
            assert _ids(uow.sync.claim_due(worker="w", now=later, lease=LEASE, limit=10)) == ["b-1"]

    def test_sync_lapsed_claim_is_claimed_again_and_rollback_keeps_nothing(
        self, storage: Storage
    ) -> None:
        _commit(storage, _adding_sync(_sync_entry("a-1", "d-a", 1)))
        now = builders.T0 + dt.timedelta(hours=1)
        with storage.unit_of_work() as uow:
            assert len(uow.sync.claim_due(worker="w", now=now, lease=LEASE, limit=5)) == 1
        assert _in_unit(storage, lambda uow: uow.sync.get("a-1")).state is SyncState.PENDING
        with storage.unit_of_work() as uow:
            uow.sync.claim_due(worker="dead", now=now, lease=LEASE, limit=5)
            uow.commit()
        with storage.unit_of_work() as uow:
            again = uow.sync.claim_due(worker="w", now=now + LEASE, lease=LEASE, limit=5)
            assert [(e.id, e.claimed_by, e.attempts) for e in again] == [("a-1", "w", 2)]

    def test_concurrent_sync_claimers_keep_each_dossier_in_order(self, storage: Storage) -> None:
        """Four workers claim and send at once: each entry once, each dossier in sequence."""
        entries = [
            _sync_entry(f"d{d:02d}-{n}", f"d{d:02d}", n, minutes=d * 3 + n)
            for d in range(12)
            for n in (1, 2, 3)
        ]
        _commit(storage, _adding_sync(*entries))
        now = builders.T0 + dt.timedelta(days=1)
        start = threading.Barrier(4, timeout=60)
        clock = itertools.count()
        events: list[tuple[int, str, str]] = []  # (tick, "claimed" | "sent", entry id)
        lock = threading.Lock()

        def note(what: str, entry_id: str) -> None:
            with lock:
                events.append((next(clock), what, entry_id))

        def work(worker: str) -> None:
            start.wait()
            idle = 0
            while idle < 3:
                with storage.unit_of_work() as uow:
                    claimed = uow.sync.claim_due(worker=worker, now=now, lease=LEASE, limit=3)
                    uow.commit()
                for entry in claimed:
                    note("claimed", entry.id)
                if not claimed:
                    idle += 1
                    time.sleep(0.01)
                    continue
                idle = 0
                for entry in claimed:
                    with storage.unit_of_work() as uow:
                        entry.mark_sent(now=now)
                        uow.sync.update(entry)
                        # Noted before the commit: no claim of the next can come before it.
                        note("sent", entry.id)
                        uow.commit()

        with ThreadPoolExecutor(max_workers=4) as pool:
            list(pool.map(work, [f"worker-{n}" for n in range(4)]))
        claims = [entry_id for _, what, entry_id in events if what == "claimed"]
        assert sorted(claims) == sorted(_ids(entries)), "an entry was claimed twice or never"
        tick = {(what, entry_id): t for t, what, entry_id in events}
        for d in range(12):
            for n in (2, 3):
                earlier_sent = tick[("sent", f"d{d:02d}-{n - 1}")]
                assert tick[("claimed", f"d{d:02d}-{n}")] > earlier_sent, "overtaken"
        stored = _in_unit(storage, lambda uow: uow.sync.list())
        assert all(e.state is SyncState.SENT and e.attempts == 1 for e in stored)
