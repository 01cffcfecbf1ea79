"""Storage contract: dossiers, their audit trail and code sequences."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import attrs
import pytest
from hypothesis import given

from onestop.domain.audit import (
    ADMIN_STREAM,
    AuditEvent,
    AuditRecord,
    compare_history,
    dossier_stream,
    verify_stream,
)
from onestop.domain.calendar import WorkingCalendar
from onestop.domain.codes import SCHEME_2025_CENTRAL, SCHEME_WIDE, AgencyCode, DossierCode
from onestop.domain.dossier import Actor, Dossier
from onestop.domain.statuses import ACTIVE_STATUSES, DossierStatus
from onestop.errors import (
    AgencyNotFound,
    CodeSequenceExhausted,
    ConcurrentUpdate,
    DossierNotFound,
    DuplicateError,
    TransitionNotAllowed,
)
from onestop.ports.storage import Storage, UnitOfWork
from onestop.testing import builders
from onestop.testing.contracts._storage_base import (
    _PROPERTY,
    DAY,
    OTHER_AGENCY,
    StorageContractBase,
    _commit,
    _ids,
    _in_unit,
    _refused,
    _submitted,
)
from onestop.testing.contracts._support import (
    assert_same_fields,
    dossiers,
)


class DossierStorageContract(StorageContractBase):
    """Dossiers, audit trail and code sequences; part of :class:`StorageContract`."""

    # --- dossiers ------------------------------------------------------------------------

    @pytest.mark.parametrize("kind", ["draft", "submitted", "decided"])
    def test_dossier_round_trip(self, storage: Storage, kind: str) -> None:
        build: Callable[[], Dossier] = {
            "draft": builders.draft_dossier,
            "submitted": lambda: builders.submitted_dossier(idempotency_key="submit-1"),
            "decided": builders.decided_dossier,
        }[kind]
        dossier = build()
        _commit(storage, lambda uow: uow.dossiers.add(dossier))
        loaded = _in_unit(storage, lambda uow: uow.dossiers.get(dossier.id))
        assert_same_fields(loaded, dossier)
        assert loaded.peek_events() == ()
        code = dossier.code
        if code is not None:
            by_code = _in_unit(storage, lambda uow: uow.dossiers.get_by_code(code))
            assert_same_fields(by_code, dossier)
            assert str(by_code.code) == str(dossier.code)

    @given(dossier=dossiers())
    @_PROPERTY
    def test_dossier_round_trip_generated(self, dossier: Dossier) -> None:
        with self.example_storage() as storage:
            _commit(storage, lambda uow: uow.dossiers.add(dossier))
            assert_same_fields(_in_unit(storage, lambda uow: uow.dossiers.get(dossier.id)), dossier)

    def test_dossier_code_keeps_its_scheme(self, storage: Storage) -> None:
        dossier = builders.draft_dossier()
        code = DossierCode.for_submission(builders.AGENCY, builders.T0, 123_456, SCHEME_WIDE)
        dossier.submit(code=code, now=builders.T0)
        _commit(storage, lambda uow: uow.dossiers.add(dossier))
        with storage.unit_of_work() as uow:
            loaded = uow.dossiers.get_by_code(code)
            assert str(loaded.code) == "000.00.03.H34-20220622-123456"

    def test_dossier_code_keeps_its_system_part_and_style(self, storage: Storage) -> None:
        """A centralised-scheme code (TT 04/2025) comes back with its system part; a code
        differing only in the system part is another code."""
        dossier = builders.draft_dossier()
        scheme = SCHEME_2025_CENTRAL.issued_by("07")
        code = DossierCode.for_submission(builders.AGENCY, builders.T0, 10_000, scheme)
        dossier.submit(code=code, now=builders.T0)
        _commit(storage, lambda uow: uow.dossiers.add(dossier))
        other_system = attrs.evolve(code, system="05")
        fixed_style = DossierCode(
            builders.AGENCY.written("fixed"), code.day, code.seq, scheme, system="07"
        )
        with storage.unit_of_work() as uow:
            assert str(uow.dossiers.get_by_code(code).code) == "H34.03-220622-0710000"
            assert uow.dossiers.get_by_code(fixed_style).id == dossier.id
            with pytest.raises(DossierNotFound):
                uow.dossiers.get_by_code(other_system)

    def test_code_counter_is_the_same_for_both_id_styles(self, storage: Storage) -> None:
        """The day's counter of a unit continues whichever style its id is written in."""
        fixed = builders.AGENCY.written("fixed")
        left_to_right = builders.AGENCY.written("left_to_right")
        with storage.unit_of_work() as uow:
            assert uow.codes.next(fixed, DAY, maximum=9999) == 1
            assert uow.codes.next(left_to_right, DAY, maximum=9999) == 2
            assert uow.codes.peek(fixed, DAY) == 2
            uow.commit()

    def test_agency_found_by_its_former_id_or_other_style(self, storage: Storage) -> None:
        """An agency that recorded its ids from before a merger is found by any of them."""
        merged = attrs.evolve(
            builders.agency(AgencyCode.parse("H56.14")),
            former_codes=(AgencyCode.parse("000.00.14.H41"),),
        )
        _commit(storage, lambda uow: uow.catalog.put_agency(merged))
        with storage.unit_of_work() as uow:
            for known in ("H56.14", "000.00.14.H56", "H41.14", "000.00.14.H41"):
                assert uow.catalog.get_agency(AgencyCode.parse(known)) == merged
            with pytest.raises(AgencyNotFound):
                uow.catalog.get_agency(AgencyCode.parse("H41.15"))

    def test_dossier_unknown(self, storage: Storage) -> None:
        with storage.unit_of_work() as uow:
            with pytest.raises(DossierNotFound):
                uow.dossiers.get("dossier-missing")
            with pytest.raises(DossierNotFound):
                uow.dossiers.get_by_code(builders.dossier_code(7))
            assert uow.dossiers.find_by_idempotency_key("account-x", "key") is None
            with pytest.raises(DossierNotFound):
                uow.dossiers.delete_draft("dossier-missing")
        _refused(
            storage, DossierNotFound, lambda uow: uow.dossiers.update(builders.draft_dossier())
        )

    def test_dossier_find_by_idempotency_key(self, storage: Storage) -> None:
        dossier = builders.submitted_dossier(idempotency_key="nộp-lần-1")
        _commit(storage, lambda uow: uow.dossiers.add(dossier))
        with storage.unit_of_work() as uow:
            found = uow.dossiers.find_by_idempotency_key(dossier.owner_id, "nộp-lần-1")
            assert found is not None
            assert found.id == dossier.id
            assert uow.dossiers.find_by_idempotency_key(dossier.owner_id, "nộp-lần-2") is None
            assert uow.dossiers.find_by_idempotency_key("account-other", "nộp-lần-1") is None

    def test_dossier_duplicate_id(self, storage: Storage) -> None:
        dossier = builders.draft_dossier()
        _commit(storage, lambda uow: uow.dossiers.add(dossier))
        again = builders.draft_dossier(dossier.id)
        _refused(storage, DuplicateError, lambda uow: uow.dossiers.add(again))
        assert _in_unit(storage, lambda uow: uow.dossiers.get(dossier.id)).owner_id == (
            dossier.owner_id
        )

    def test_dossier_duplicate_code(self, storage: Storage) -> None:
        first = builders.submitted_dossier(seq=5)
        _commit(storage, lambda uow: uow.dossiers.add(first))
        second = builders.submitted_dossier(seq=5)
        _refused(storage, DuplicateError, lambda uow: uow.dossiers.add(second))
        with storage.unit_of_work() as uow, pytest.raises(DossierNotFound):
            uow.dossiers.get(second.id)

    def test_dossier_duplicate_code_on_update(self, storage: Storage) -> None:
        first = builders.submitted_dossier(seq=5)
        draft = builders.draft_dossier()

        def add_both(uow: UnitOfWork) -> None:
            uow.dossiers.add(first)
            uow.dossiers.add(draft)

        _commit(storage, add_both)
        loaded = _in_unit(storage, lambda uow: uow.dossiers.get(draft.id))
        loaded.submit(code=builders.dossier_code(5), now=builders.T0)
        _refused(storage, DuplicateError, lambda uow: uow.dossiers.update(loaded))
        assert _in_unit(storage, lambda uow: uow.dossiers.get(draft.id)).code is None

    def test_dossier_duplicate_idempotency_key(self, storage: Storage) -> None:
        first = builders.submitted_dossier(idempotency_key="k-1", seq=1)
        _commit(storage, lambda uow: uow.dossiers.add(first))
        same_owner = builders.submitted_dossier(
            owner_id=first.owner_id, idempotency_key="k-1", seq=2
        )
        _refused(storage, DuplicateError, lambda uow: uow.dossiers.add(same_owner))
        # Another owner may use the same key, and dossiers without a key never collide.
        other_owner = builders.submitted_dossier(idempotency_key="k-1", seq=3)
        no_key = [builders.draft_dossier(owner_id=first.owner_id) for _ in range(2)]

        def add_others(uow: UnitOfWork) -> None:
            uow.dossiers.add(other_owner)
            for draft in no_key:
                uow.dossiers.add(draft)

        _commit(storage, add_others)
        owned = _in_unit(storage, lambda uow: uow.dossiers.list_by_owner(first.owner_id))
        assert sorted(_ids(owned)) == sorted([first.id, *(d.id for d in no_key)])

    def test_dossier_update_bumps_version(self, storage: Storage) -> None:
        dossier = builders.submitted_dossier()
        _commit(storage, lambda uow: uow.dossiers.add(dossier))
        clerk = Actor.officer("officer-clerk", "Trần Thị Bình")
        with storage.unit_of_work() as uow:
            loaded = uow.dossiers.get(dossier.id)
            loaded.request_supplement(
                officer=clerk, now=builders.T0 + dt.timedelta(hours=3), note="Bổ sung bản sao"
            )
            loaded.pull_events()
            uow.dossiers.update(loaded)
            assert loaded.version == 1
            # A unit of work sees its own changes.
            assert uow.dossiers.get(dossier.id).status is DossierStatus.SUPPLEMENT_REQUESTED
            uow.commit()
        stored = _in_unit(storage, lambda uow: uow.dossiers.get(dossier.id))
        assert_same_fields(stored, loaded)
        assert stored.version == 1

    def test_dossier_stale_update(self, storage: Storage) -> None:
        dossier = builders.submitted_dossier()
        _commit(storage, lambda uow: uow.dossiers.add(dossier))
        clerk = Actor.officer("officer-clerk", "Trần Thị Bình")
        later = builders.T0 + dt.timedelta(hours=1)
        first = _in_unit(storage, lambda uow: uow.dossiers.get(dossier.id))
        second = _in_unit(storage, lambda uow: uow.dossiers.get(dossier.id))
        first.refuse_reception(officer=clerk, now=later, reason="Sai thủ tục")
        _commit(storage, lambda uow: uow.dossiers.update(first))
        second.withdraw(actor=Actor.applicant(dossier.owner_id), now=later, reason="Không cần nữa")
        _refused(storage, ConcurrentUpdate, lambda uow: uow.dossiers.update(second))
        stored = _in_unit(storage, lambda uow: uow.dossiers.get(dossier.id))
        assert stored.status is DossierStatus.RECEPTION_REFUSED
        assert stored.version == 1

    def test_dossier_stale_update_in_one_unit_of_work(self, storage: Storage) -> None:
        dossier = builders.draft_dossier()
        _commit(storage, lambda uow: uow.dossiers.add(dossier))

        def update_twice(uow: UnitOfWork) -> None:
            first = uow.dossiers.get(dossier.id)
            second = uow.dossiers.get(dossier.id)
            first.choose_home_pickup("1 Lê Lợi")
            uow.dossiers.update(first)
            second.choose_home_pickup("2 Lê Lợi")
            uow.dossiers.update(second)

        _refused(storage, ConcurrentUpdate, update_twice)
        stored = _in_unit(storage, lambda uow: uow.dossiers.get(dossier.id))
        assert stored.home_pickup_address is None

    def test_delete_draft(self, storage: Storage) -> None:
        draft = builders.draft_dossier()
        _commit(storage, lambda uow: uow.dossiers.add(draft))
        _commit(storage, lambda uow: uow.dossiers.delete_draft(draft.id))
        with storage.unit_of_work() as uow:
            with pytest.raises(DossierNotFound):
                uow.dossiers.get(draft.id)
            assert list(uow.dossiers.list_by_owner(draft.owner_id)) == []

    def test_delete_draft_rolled_back(self, storage: Storage) -> None:
        draft = builders.draft_dossier()
        _commit(storage, lambda uow: uow.dossiers.add(draft))
        with storage.unit_of_work() as uow:
            uow.dossiers.delete_draft(draft.id)
        assert _in_unit(storage, lambda uow: uow.dossiers.get(draft.id)).id == draft.id

    def test_delete_draft_refuses_a_submitted_dossier(self, storage: Storage) -> None:
        dossier = builders.submitted_dossier()
        _commit(storage, lambda uow: uow.dossiers.add(dossier))
        _refused(storage, TransitionNotAllowed, lambda uow: uow.dossiers.delete_draft(dossier.id))
        assert _in_unit(storage, lambda uow: uow.dossiers.get(dossier.id)).code == dossier.code

    def test_referenced_file_keys_sees_drafts_and_submitted_dossiers(
        self, storage: Storage
    ) -> None:
        """Which stored files a dossier references: drafts count, detached files do not."""
        draft = builders.draft_dossier()
        component = draft.procedure.mandatory_components()[0].id
        only_in_draft = builders.file_ref(f"%PDF-1.4 {draft.id}".encode())
        draft.attach(component, only_in_draft)
        submitted = builders.submitted_dossier()
        with storage.unit_of_work() as uow:
            uow.dossiers.add(draft)
            uow.dossiers.add(submitted)
            uow.commit()
        in_draft = {a.file.key for a in draft.attachments}
        in_submitted = {a.file.key for a in submitted.attachments}
        unknown = builders.file_ref(b"never attached").key
        asked = sorted(in_draft | in_submitted | {unknown})

        def referenced(uow: UnitOfWork) -> set[str]:
            return set(uow.dossiers.referenced_file_keys(asked))

        assert only_in_draft.key not in in_submitted
        assert _in_unit(storage, referenced) == in_draft | in_submitted
        assert _in_unit(storage, lambda uow: set(uow.dossiers.referenced_file_keys([]))) == set()

        def detach(uow: UnitOfWork) -> None:
            loaded = uow.dossiers.get(draft.id)
            loaded.detach(component, only_in_draft.key)
            uow.dossiers.update(loaded)

        _commit(storage, detach)
        assert _in_unit(storage, referenced) == (in_draft - {only_in_draft.key}) | in_submitted
        _commit(storage, lambda uow: uow.dossiers.delete_draft(draft.id))
        assert _in_unit(storage, referenced) == in_submitted

    def test_list_by_owner_newest_first(self, storage: Storage) -> None:
        owner = builders.new_id("account")
        times = [builders.T0 + dt.timedelta(hours=h) for h in (2, 0, 5, 2)]
        owned = [
            builders.draft_dossier(f"dossier-{n}", owner_id=owner, now=at)
            for n, at in zip("dbca", times, strict=True)
        ]
        # The same instant in another time zone sorts as that instant.
        owned.append(
            builders.draft_dossier(
                "dossier-e",
                owner_id=owner,
                now=(builders.T0 + dt.timedelta(hours=3)).astimezone(dt.UTC),
            )
        )
        others = builders.draft_dossier()

        def add_all(uow: UnitOfWork) -> None:
            for dossier in [*owned, others]:
                uow.dossiers.add(dossier)

        _commit(storage, add_all)
        listed = _in_unit(storage, lambda uow: uow.dossiers.list_by_owner(owner))
        assert _ids(listed) == ["dossier-c", "dossier-e", "dossier-d", "dossier-a", "dossier-b"]
        assert list(_in_unit(storage, lambda uow: uow.dossiers.list_by_owner("nobody"))) == []

    def test_list_by_agency(self, storage: Storage) -> None:
        clerk = Actor.officer("officer-clerk", "Trần Thị Bình")
        at = [builders.T0 + dt.timedelta(minutes=m) for m in (30, 10, 20)]
        mine = [
            builders.submitted_dossier(f"dossier-{n}", now=when, seq=seq)
            for seq, (n, when) in enumerate(zip("abc", at, strict=True), start=1)
        ]
        mine[2].refuse_reception(officer=clerk, now=at[2] + dt.timedelta(hours=1), reason="Sai")
        draft = builders.draft_dossier("dossier-draft")
        elsewhere = builders.submitted_dossier(
            "dossier-other", procedure=builders.procedure(agency=OTHER_AGENCY)
        )

        def add_all(uow: UnitOfWork) -> None:
            for dossier in [*mine, draft, elsewhere]:
                uow.dossiers.add(dossier)

        _commit(storage, add_all)
        with storage.unit_of_work() as uow:
            assert _ids(uow.dossiers.list_by_agency(builders.AGENCY)) == [
                "dossier-b",
                "dossier-c",
                "dossier-a",
            ]
            waiting = frozenset({DossierStatus.AWAITING_RECEPTION})
            assert _ids(uow.dossiers.list_by_agency(builders.AGENCY, statuses=waiting)) == [
                "dossier-b",
                "dossier-a",
            ]
            refused = frozenset({DossierStatus.RECEPTION_REFUSED, DossierStatus.DRAFT})
            assert _ids(uow.dossiers.list_by_agency(builders.AGENCY, statuses=refused)) == [
                "dossier-c"
            ]
            assert _ids(uow.dossiers.list_by_agency(builders.AGENCY, statuses=frozenset())) == []
            assert _ids(uow.dossiers.list_by_agency(OTHER_AGENCY)) == ["dossier-other"]

    def test_list_due_by_agency_soonest_first(self, storage: Storage) -> None:
        """The agency's dossiers in the statuses asked for, due on or before the day,
        soonest first then by id; without a due date, elsewhere or withdrawn: left out."""
        clerk = Actor.officer("officer-clerk", "Trần Thị Bình")
        calendar = WorkingCalendar()
        # Received on Wednesday 22/06/2022 (due Monday 27/06) or on Friday (due Wednesday).
        plan = {"due-c": 1, "due-b": 1, "due-a": 49, "due-w": 1, "due-n": None}
        dossiers = []
        for seq, (id, hours) in enumerate(plan.items(), start=1):
            dossier = builders.submitted_dossier(id, seq=seq)
            if hours is not None:
                now = builders.T0 + dt.timedelta(hours=hours)
                dossier.receive(officer=clerk, now=now, calendar=calendar)
            dossiers.append(dossier)
        withdrawn = dossiers[3]
        withdrawn.withdraw(
            actor=Actor.applicant(withdrawn.owner_id),
            now=builders.T0 + dt.timedelta(hours=2),
            reason="Rút",
        )
        elsewhere = builders.submitted_dossier(
            "due-other", procedure=builders.procedure(agency=OTHER_AGENCY)
        )
        elsewhere.receive(officer=clerk, now=builders.T0, calendar=calendar)

        def add_all(uow: UnitOfWork) -> None:
            for dossier in [*dossiers, elsewhere]:
                uow.dossiers.add(dossier)

        _commit(storage, add_all)
        with storage.unit_of_work() as uow:
            due = uow.dossiers.list_due_by_agency
            running = ACTIVE_STATUSES
            assert _ids(due(builders.AGENCY, due_by=dt.date(2022, 6, 28), statuses=running)) == [
                "due-b",
                "due-c",
            ]
            assert _ids(due(builders.AGENCY, due_by=dt.date(2022, 6, 29), statuses=running)) == [
                "due-b",
                "due-c",
                "due-a",
            ]
            assert _ids(due(builders.AGENCY, due_by=dt.date(2022, 6, 26), statuses=running)) == []
            every = frozenset(DossierStatus)
            assert "due-w" in _ids(due(builders.AGENCY, due_by=dt.date(2022, 7, 1), statuses=every))
            assert _ids(due(builders.AGENCY, due_by=dt.date.max, statuses=frozenset())) == []
            assert _ids(due(OTHER_AGENCY, due_by=dt.date(2022, 6, 30), statuses=running)) == [
                "due-other"
            ]

    # --- audit trail ---------------------------------------------------------------------

    def test_audit_append_head_list_and_streams(self, storage: Storage) -> None:
        first = AuditRecord.following(
            None, ADMIN_STREAM, AuditEvent.of(builders.T0, "operator", "x.done", "s", n=1)
        )
        second = AuditRecord.following(
            first, ADMIN_STREAM, AuditEvent.of(builders.T0, "operator", "x.done", "s", n=2)
        )
        with storage.unit_of_work() as uow:
            assert uow.audit.head(ADMIN_STREAM) is None
            uow.audit.append(first)
            uow.audit.append(second)
            assert uow.audit.head(ADMIN_STREAM) == second  # its own writes
            uow.commit()
        with storage.unit_of_work() as uow:
            assert uow.audit.head(ADMIN_STREAM) == second
            assert list(uow.audit.list(ADMIN_STREAM)) == [first, second]
            assert list(uow.audit.streams()) == [ADMIN_STREAM]
            assert list(uow.audit.list("elsewhere")) == []
        assert verify_stream(ADMIN_STREAM, [first, second]) == []

    def test_audit_position_is_unique_per_stream(self, storage: Storage) -> None:
        event = AuditEvent.of(builders.T0, "operator", "x.done", "s")
        record = AuditRecord.following(None, ADMIN_STREAM, event)
        _commit(storage, lambda uow: uow.audit.append(record))
        caught = _refused(storage, DuplicateError, lambda uow: uow.audit.append(record))
        assert isinstance(caught.value, DuplicateError)
        assert caught.value.field == "audit.id"
        other = AuditRecord.following(None, "other", event)
        _commit(storage, lambda uow: uow.audit.append(other))  # same position, other stream

    def test_audit_rolled_back_with_its_unit_of_work(self, storage: Storage) -> None:
        record = AuditRecord.following(
            None, ADMIN_STREAM, AuditEvent.of(builders.T0, "operator", "x.done", "s")
        )
        with storage.unit_of_work() as uow:
            uow.audit.append(record)
        assert _in_unit(storage, lambda uow: list(uow.audit.streams())) == []

    def test_submitted_dossier_history_is_chained_as_it_is_written(self, storage: Storage) -> None:
        dossier = _submitted(storage)
        stream = dossier_stream(dossier.id)
        records = _in_unit(storage, lambda uow: list(uow.audit.list(stream)))
        assert len(records) == len(dossier.history)
        assert compare_history(dossier, records) == []
        with storage.unit_of_work() as uow:
            loaded = uow.dossiers.get(dossier.id)
            loaded.receive(
                officer=Actor.officer("officer-1", "Trần Thị Bình"),
                now=builders.T0 + dt.timedelta(hours=1),
                calendar=builders._CALENDAR,
            )
            uow.dossiers.update(loaded)
            uow.commit()
        records = _in_unit(storage, lambda uow: list(uow.audit.list(stream)))
        assert [r.action for r in records][-1] == "received"
        assert verify_stream(stream, records) == []
        assert compare_history(loaded, records) == []

    def test_a_draft_has_no_audit_stream_and_a_rollback_writes_none(self, storage: Storage) -> None:
        draft = builders.draft_dossier()
        _commit(storage, lambda uow: uow.dossiers.add(draft))
        with storage.unit_of_work() as uow:
            uow.dossiers.add(builders.submitted_dossier(seq=7))
        assert _in_unit(storage, lambda uow: list(uow.audit.streams())) == []

    # --- code sequences ------------------------------------------------------------------

    def test_code_sequence_counts_per_agency_and_day(self, storage: Storage) -> None:
        next_day = DAY + dt.timedelta(days=1)
        with storage.unit_of_work() as uow:
            assert uow.codes.peek(builders.AGENCY, DAY) == 0
            assert [uow.codes.next(builders.AGENCY, DAY, maximum=9999) for _ in range(3)] == [
                1,
                2,
                3,
            ]
            assert uow.codes.next(OTHER_AGENCY, DAY, maximum=9999) == 1
            assert uow.codes.next(builders.AGENCY, next_day, maximum=9999) == 1
            uow.commit()
        with storage.unit_of_work() as uow:
            assert uow.codes.peek(builders.AGENCY, DAY) == 3
            assert uow.codes.peek(OTHER_AGENCY, DAY) == 1
            assert uow.codes.peek(builders.AGENCY, next_day) == 1
            assert uow.codes.peek(OTHER_AGENCY, next_day) == 0
            assert uow.codes.next(builders.AGENCY, DAY, maximum=9999) == 4
            uow.commit()
        assert _in_unit(storage, lambda uow: uow.codes.peek(builders.AGENCY, DAY)) == 4

    def test_code_sequence_rollback_gives_the_number_back(self, storage: Storage) -> None:
        _commit(storage, lambda uow: uow.codes.next(builders.AGENCY, DAY, maximum=9999))
        with storage.unit_of_work() as uow:
            assert uow.codes.next(builders.AGENCY, DAY, maximum=9999) == 2
        with storage.unit_of_work() as uow:
            assert uow.codes.next(builders.AGENCY, DAY, maximum=9999) == 2
            uow.rollback()
            assert uow.codes.next(builders.AGENCY, DAY, maximum=9999) == 2
            uow.commit()
        assert _in_unit(storage, lambda uow: uow.codes.peek(builders.AGENCY, DAY)) == 2

    def test_code_sequence_exhausted(self, storage: Storage) -> None:
        with storage.unit_of_work() as uow:
            assert uow.codes.next(builders.AGENCY, DAY, maximum=2) == 1
            uow.commit()
        with storage.unit_of_work() as uow:
            assert uow.codes.next(builders.AGENCY, DAY, maximum=2) == 2
            with pytest.raises(CodeSequenceExhausted) as caught:
                uow.codes.next(builders.AGENCY, DAY, maximum=2)
            assert caught.value.maximum == 2
            assert caught.value.day == DAY
        # Another agency, or another day, still has numbers.
        with storage.unit_of_work() as uow:
            assert uow.codes.next(OTHER_AGENCY, DAY, maximum=2) == 1
            assert uow.codes.next(builders.AGENCY, DAY + dt.timedelta(days=1), maximum=2) == 1

    def test_concurrent_submissions_get_unique_gap_free_numbers(self, storage: Storage) -> None:
        start = threading.Barrier(self.threads, timeout=60)

        def submit_some(_: int) -> list[int]:
            start.wait()
            numbers = []
            for _ in range(self.per_thread):
                code = _submitted(storage).code
                assert code is not None
                numbers.append(code.seq)
            return numbers

        with ThreadPoolExecutor(max_workers=self.threads) as pool:
            numbers = [n for got in pool.map(submit_some, range(self.threads)) for n in got]
        total = self.threads * self.per_thread
        assert sorted(numbers) == list(range(1, total + 1))
        with storage.unit_of_work() as uow:
            assert uow.codes.peek(builders.AGENCY, DAY) == total
            listed = uow.dossiers.list_by_agency(builders.AGENCY)
            assert sorted(d.code.seq for d in listed if d.code is not None) == sorted(numbers)
