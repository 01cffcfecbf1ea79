"""The repositories of an :class:`~onestop.adapters.memory.InMemoryUnitOfWork`.

Private: each repository is a thin view that checks its arguments and hands the work to
the unit of work's staging helpers (``_get``, ``_list``, ``_insert``, ``_update``, ...),
which :mod:`onestop.adapters.memory` implements.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence, Set
from typing import TYPE_CHECKING

from onestop.adapters import _memory_claims as claims
from onestop.adapters._memory_tables import (
    _ACCOUNTS,
    _AGENCIES,
    _AUDIT,
    _COMPLAINTS,
    _DOSSIERS,
    _FIELDS,
    _OFFICERS,
    _OUTBOX,
    _PAYMENTS,
    _PROCEDURES,
    _RATINGS,
    _SYNC,
    _oldest_first,
)
from onestop.adapters._search_index import SearchIndex
from onestop.adapters._slices import check_slice
from onestop.domain.accounts import Account, Officer
from onestop.domain.audit import AuditRecord, dossier_stream, history_records
from onestop.domain.catalog import Agency, Field, Procedure
from onestop.domain.codes import AgencyCode, DossierCode
from onestop.domain.dossier import Dossier
from onestop.domain.mail import OutboxEntry, OutboxState
from onestop.domain.payments import Payment, PaymentState
from onestop.domain.satisfaction import Complaint, Rating
from onestop.domain.search import SearchHits, SearchPlan
from onestop.domain.statuses import DossierStatus
from onestop.domain.sync import SyncEntry, SyncState
from onestop.errors import AgencyNotFound, DossierNotFound, InvalidInput, TransitionNotAllowed
from onestop.ports.storage import AuditTrail

if TYPE_CHECKING:
    from onestop.adapters.memory import InMemoryUnitOfWork


class _Repository:
    def __init__(self, uow: InMemoryUnitOfWork) -> None:
        self._uow = uow


class _Accounts(_Repository):
    def add(self, account: Account) -> None:
        """Store a new account; a taken id or email raises DuplicateError."""
        self._uow._insert("accounts.add", _ACCOUNTS, account)

    def get(self, account_id: str) -> Account:
        """The account, or AccountNotFound."""
        return self._uow._get("accounts.get", _ACCOUNTS, account_id)

    def find_by_email(self, email: str) -> Account | None:
        """The account registered with this (normalised) email, if any."""
        self._uow._begin("accounts.find_by_email")
        return self._uow._find_unique(_ACCOUNTS, "account.email", email)

    def find_by_national_subject(self, subject: str) -> Account | None:
        """The account linked to the national identity ``subject`` (VNeID), if any."""
        self._uow._begin("accounts.find_by_national_subject")
        return self._uow._find_unique(_ACCOUNTS, "account.national_subject", subject)

    def update(self, account: Account) -> None:
        """Store changes; ConcurrentUpdate if it changed since read. Bumps ``version``."""
        self._uow._update("accounts.update", _ACCOUNTS, account)


class _Officers(_Repository):
    def add(self, officer: Officer) -> None:
        """Store a new officer; a taken id or email raises DuplicateError."""
        self._uow._insert("officers.add", _OFFICERS, officer)

    def get(self, officer_id: str) -> Officer:
        """The officer, or OfficerNotFound."""
        return self._uow._get("officers.get", _OFFICERS, officer_id)

    def list_by_agency(self, agency: AgencyCode) -> Sequence[Officer]:
        """The officers of one agency, by id."""
        return self._uow._list(
            "officers.list_by_agency", _OFFICERS, lambda o: o.agency == agency, lambda o: o.id
        )

    def find_by_email(self, email: str) -> Officer | None:
        """The officer with this (normalised) email, if any."""
        self._uow._begin("officers.find_by_email")
        return self._uow._find_unique(_OFFICERS, "officer.email", email)

    def find_by_external_subject(self, subject: str) -> Officer | None:
        """The officer single sign-on knows by ``subject``, if any."""
        self._uow._begin("officers.find_by_external_subject")
        return self._uow._find_unique(_OFFICERS, "officer.external_subject", subject)

    def update(self, officer: Officer) -> None:
        """Store changes; ConcurrentUpdate if it changed since read. Bumps ``version``."""
        self._uow._update("officers.update", _OFFICERS, officer)

    def list_all(self) -> Sequence[Officer]:
        """Every officer, by agency then id."""
        return self._uow._list(
            "officers.list_all", _OFFICERS, lambda o: True, lambda o: (str(o.agency), o.id)
        )


class _Catalog(_Repository):
    def put_agency(self, agency: Agency) -> None:
        """Insert or replace an agency (keyed by its code)."""
        self._uow._upsert("catalog.put_agency", _AGENCIES, agency)

    def put_field(self, field: Field) -> None:
        """Insert or replace a field (keyed by its id)."""
        self._uow._upsert("catalog.put_field", _FIELDS, field)

    def put_procedure(self, procedure: Procedure) -> None:
        """Insert or replace a procedure (keyed by its code); its agency must exist."""
        self._uow._begin("catalog.put_procedure")
        if self._uow._visible(_AGENCIES, procedure.agency) is None:
            raise AgencyNotFound(str(procedure.agency))
        self._uow._upsert("catalog.put_procedure", _PROCEDURES, procedure)

    def get_agency(self, code: AgencyCode) -> Agency:
        """The agency, or AgencyNotFound; an id it had before (``former_codes``) finds it too."""
        try:
            return self._uow._get("catalog.get_agency", _AGENCIES, code)
        except AgencyNotFound:
            renamed = [a for a in self.list_agencies() if a.known_as(code)]
            if not renamed:
                raise
            return renamed[0]

    def get_field(self, field_id: str) -> Field:
        """The field, or FieldNotFound."""
        return self._uow._get("catalog.get_field", _FIELDS, field_id)

    def get_procedure(self, code: str) -> Procedure:
        """The procedure, or ProcedureNotFound."""
        return self._uow._get("catalog.get_procedure", _PROCEDURES, code)

    def list_agencies(self) -> Sequence[Agency]:
        """Every agency, ordered by code."""
        return self._uow._list("catalog.list_agencies", _AGENCIES, _everything, lambda a: a.code)

    def list_fields(self) -> Sequence[Field]:
        """Every field, ordered by id."""
        return self._uow._list("catalog.list_fields", _FIELDS, _everything, lambda f: f.id)

    def list_procedures(
        self, *, agency: AgencyCode | None = None, field: str | None = None
    ) -> Sequence[Procedure]:
        """Procedures, optionally of one agency and/or field, ordered by code."""

        def keep(p: Procedure) -> bool:
            return (agency is None or p.agency == agency) and (field is None or p.field == field)

        return self._uow._list("catalog.list_procedures", _PROCEDURES, keep, lambda p: p.code)

    def search(
        self,
        plan: SearchPlan,
        *,
        agency: AgencyCode | Set[AgencyCode] | None = None,
        field: str | None = None,
    ) -> SearchHits:
        """Candidates from the inverted index (a scan if this unit of work changed the catalog)."""
        uow = self._uow
        uow._begin("catalog.search")
        staged = uow._staged
        if any(staged.get(spec.name) for spec in (_AGENCIES, _FIELDS, _PROCEDURES)):
            index = SearchIndex.of(
                uow._visible_rows(_PROCEDURES),
                uow._visible_rows(_AGENCIES),
                uow._visible_rows(_FIELDS),
            )
            return index.search(plan, agency=agency, field=field)
        storage = uow._storage
        with storage._lock:
            return storage._committed_search_index().search(plan, agency=agency, field=field)


def _everything(_: object) -> bool:
    return True


def _in_statuses(statuses: frozenset[DossierStatus] | None) -> Callable[[Dossier], bool]:
    """Submitted (never a draft), and in ``statuses`` when given."""

    def keep(d: Dossier) -> bool:
        return d.status is not DossierStatus.DRAFT and (statuses is None or d.status in statuses)

    return keep


class _Dossiers(_Repository):
    def add(self, dossier: Dossier) -> None:
        """Store a new dossier (draft or submitted).

        A taken id, code, or (owner, idempotency key) raises DuplicateError.
        """
        self._uow._insert("dossiers.add", _DOSSIERS, dossier)
        _record_history(self._uow.audit, dossier)

    def get(self, dossier_id: str) -> Dossier:
        """The dossier, or DossierNotFound."""
        return self._uow._get("dossiers.get", _DOSSIERS, dossier_id)

    def get_by_code(self, code: DossierCode) -> Dossier:
        """The dossier with this code, or DossierNotFound."""
        self._uow._begin("dossiers.get_by_code")
        found = self._uow._find_unique(_DOSSIERS, "dossier.code", code)
        if found is None:
            raise DossierNotFound(str(code))
        return found

    def find_by_idempotency_key(self, owner_id: str, key: str) -> Dossier | None:
        """The dossier this owner submitted with this key, if any."""
        self._uow._begin("dossiers.find_by_idempotency_key")
        return self._uow._find_unique(_DOSSIERS, "dossier.idempotency_key", (owner_id, key))

    def update(self, dossier: Dossier) -> None:
        """Store changes; ConcurrentUpdate if it changed since read. Bumps ``version``.

        The code, and the (owner, idempotency key) pair, stay unique (DuplicateError).
        """
        self._uow._update("dossiers.update", _DOSSIERS, dossier)
        _record_history(self._uow.audit, dossier)

    def delete_draft(self, dossier_id: str) -> None:
        """Remove a draft; a submitted dossier is a legal record and is never deleted."""
        self._uow._begin("dossiers.delete_draft")
        current: Dossier | None = self._uow._visible(_DOSSIERS, dossier_id)
        if current is None:
            raise DossierNotFound(dossier_id)
        if current.status is not DossierStatus.DRAFT:
            raise TransitionNotAllowed("delete", current.status.value, ("draft",))
        self._uow._delete(_DOSSIERS, dossier_id)

    def list_by_owner(
        self, owner_id: str, *, offset: int = 0, limit: int | None = None
    ) -> Sequence[Dossier]:
        """One owner's dossiers, newest first (by created_at, then id), one slice of them."""
        check_slice(offset, limit)
        return self._uow._list(
            "dossiers.list_by_owner",
            _DOSSIERS,
            lambda d: True,
            _oldest_first,
            newest_first=True,
            group=("owner_id", owner_id),
            offset=offset,
            limit=limit,
        )

    def count_by_owner(self, owner_id: str) -> int:
        """How many dossiers (drafts included) one owner has."""
        return self._uow._count(
            "dossiers.count_by_owner", _DOSSIERS, lambda d: True, ("owner_id", owner_id)
        )

    def list_by_agency(
        self,
        agency: AgencyCode,
        *,
        statuses: frozenset[DossierStatus] | None = None,
        offset: int = 0,
        limit: int | None = None,
    ) -> Sequence[Dossier]:
        """One agency's submitted dossiers (never drafts), oldest submission first, one
        slice of them."""
        check_slice(offset, limit)

        def submission(d: Dossier) -> tuple[dt.datetime, str]:
            # Every non-draft has been submitted; created_at only keeps the type checker calm.
            return (d.submitted_at or d.created_at, d.id)

        return self._uow._list(
            "dossiers.list_by_agency",
            _DOSSIERS,
            _in_statuses(statuses),
            submission,
            group=("agency", agency),
            offset=offset,
            limit=limit,
        )

    def list_due_by_agency(
        self, agency: AgencyCode, *, due_by: dt.date, statuses: frozenset[DossierStatus]
    ) -> Sequence[Dossier]:
        """One agency's dossiers in ``statuses`` due on or before ``due_by``, soonest first."""
        in_statuses = _in_statuses(statuses)

        def due(d: Dossier) -> bool:
            return d.due_date is not None and d.due_date <= due_by and in_statuses(d)

        return self._uow._list(
            "dossiers.list_due_by_agency",
            _DOSSIERS,
            due,
            lambda d: (d.due_date, d.id),
            group=("agency", agency),
        )

    def count_by_agency(
        self, agency: AgencyCode, *, statuses: frozenset[DossierStatus] | None = None
    ) -> int:
        """How many submitted dossiers (in ``statuses``, if given) one agency has."""
        return self._uow._count(
            "dossiers.count_by_agency", _DOSSIERS, _in_statuses(statuses), ("agency", agency)
        )

    def referenced_file_keys(self, keys: Iterable[str]) -> set[str]:
        """Which of ``keys`` any dossier (a draft included) has a file attached under."""
        self._uow._begin("dossiers.referenced_file_keys")
        wanted = set(keys)
        return {
            ref.key
            for d in self._uow._visible_rows(_DOSSIERS)
            for ref in (*(a.file for a in d.attachments), *d.results)
            if ref.key in wanted
        }


class _Payments(_Repository):
    def add(self, payment: Payment) -> None:
        """Store a new payment; a taken id or (gateway, txn_ref) raises DuplicateError."""
        self._uow._insert("payments.add", _PAYMENTS, payment)

    def get(self, payment_id: str) -> Payment:
        """The payment, or PaymentNotFound."""
        return self._uow._get("payments.get", _PAYMENTS, payment_id)

    def find_by_txn_ref(self, gateway: str, txn_ref: str) -> Payment | None:
        """The payment a gateway knows by ``txn_ref``, if any."""
        self._uow._begin("payments.find_by_txn_ref")
        return self._uow._find_unique(_PAYMENTS, "payment.txn_ref", (gateway, txn_ref))

    def update(self, payment: Payment) -> None:
        """Store changes; ConcurrentUpdate if it changed since read. Bumps ``version``."""
        self._uow._update("payments.update", _PAYMENTS, payment)

    def list_by_dossier(self, dossier_id: str) -> Sequence[Payment]:
        """A dossier's payments, oldest first."""
        return self._uow._list(
            "payments.list_by_dossier",
            _PAYMENTS,
            lambda p: p.dossier_id == dossier_id,
            _oldest_first,
            group=("dossier_id", dossier_id),
        )

    def list_by_state(
        self, state: PaymentState, *, created_before: dt.datetime | None = None
    ) -> Sequence[Payment]:
        """The payments in ``state`` (created at or before ``created_before``), oldest first."""
        return self._uow._list(
            "payments.list_by_state",
            _PAYMENTS,
            lambda p: (
                p.state is state and (created_before is None or p.created_at <= created_before)
            ),
            _oldest_first,
            group=("state", state),
        )


class _Outbox(_Repository):
    def add(self, entry: OutboxEntry) -> None:
        """Queue a message; a taken id raises DuplicateError."""
        self._uow._insert("outbox.add", _OUTBOX, entry)

    def get(self, entry_id: str) -> OutboxEntry:
        """The entry, or NotFound."""
        return self._uow._get("outbox.get", _OUTBOX, entry_id)

    def claim_due(
        self, *, worker: str, now: dt.datetime, lease: dt.timedelta, limit: int
    ) -> Sequence[OutboxEntry]:
        """Claim up to ``limit`` due entries for ``worker``, oldest first.

        Two units of work claiming at once never get the same entry: an entry another
        (uncommitted) unit of work is claiming is skipped, not waited for.
        """
        self._uow._begin("outbox.claim_due")
        return claims.claim_outbox(self._uow, worker, now, lease, limit)

    def update(self, entry: OutboxEntry) -> None:
        """Store changes; ConcurrentUpdate if it changed since read. Bumps ``version``."""
        self._uow._update("outbox.update", _OUTBOX, entry)
        # An updated row is locked until the transaction ends, so claimers skip it.
        claims.lock_outbox_entry(self._uow, entry.id)

    def list(self, *, state: OutboxState | None = None) -> Sequence[OutboxEntry]:
        """Entries, optionally in one state, oldest first."""
        return self._uow._list(
            "outbox.list", _OUTBOX, lambda e: state is None or e.state is state, _oldest_first
        )


class _Sync(_Repository):
    def add(self, entry: SyncEntry) -> None:
        """Queue an entry; a taken id or (dossier, sequence) raises DuplicateError."""
        if not isinstance(entry, SyncEntry):
            raise InvalidInput("entry", "must be a SyncEntry", entry)
        self._uow._insert("sync.add", _SYNC, entry)

    def get(self, entry_id: str) -> SyncEntry:
        """The entry, or NotFound."""
        return self._uow._get("sync.get", _SYNC, entry_id)

    def last_for(self, dossier_id: str) -> SyncEntry | None:
        """The dossier's entry with the highest sequence, as this unit of work sees it."""
        found = self._uow._list(
            "sync.last_for",
            _SYNC,
            lambda e: e.dossier_id == dossier_id,
            lambda e: e.sequence,
            group=("dossier_id", dossier_id),
        )
        return found[-1] if found else None

    def claim_due(
        self, *, worker: str, now: dt.datetime, lease: dt.timedelta, limit: int
    ) -> Sequence[SyncEntry]:
        """Claim up to ``limit`` due entries, one per dossier, each its dossier's first unsent."""
        self._uow._begin("sync.claim_due")
        return claims.claim_sync(self._uow, worker, now, lease, limit)

    def update(self, entry: SyncEntry) -> None:
        """Store changes; ConcurrentUpdate if it changed since read. Bumps ``version``."""
        self._uow._update("sync.update", _SYNC, entry)
        claims.lock_outbox_entry(self._uow, ("sync", entry.id))

    def list(
        self, *, state: SyncState | None = None, dossier_id: str | None = None
    ) -> Sequence[SyncEntry]:
        """Entries, optionally in one state and/or of one dossier, oldest first."""
        return self._uow._list(
            "sync.list",
            _SYNC,
            lambda e: (
                (state is None or e.state is state)
                and (dossier_id is None or e.dossier_id == dossier_id)
            ),
            lambda e: (e.created_at, e.sequence, e.id),
        )

    def sent_dossier_ids(self, dossier_ids: Iterable[str]) -> set[str]:
        """Which of ``dossier_ids`` have an entry the national portal acknowledged."""
        wanted = set(dossier_ids)
        self._uow._begin("sync.sent_dossier_ids")
        return {
            e.dossier_id
            for e in self._uow._visible_rows(_SYNC)
            if e.dossier_id in wanted and e.state is SyncState.SENT
        }


class _Feedback(_Repository):
    def add_rating(self, rating: Rating) -> None:
        """Store a rating; a dossier already rated raises DuplicateError."""
        if not isinstance(rating, Rating):
            raise InvalidInput("rating", "must be a Rating", rating)
        self._uow._insert("feedback.add_rating", _RATINGS, rating)

    def rating_of(self, dossier_id: str) -> Rating | None:
        """The dossier's rating, if it was rated."""
        self._uow._begin("feedback.rating_of")
        found: Rating | None = self._uow._visible(_RATINGS, dossier_id)
        return found

    def add_complaint(self, complaint: Complaint) -> None:
        """Store a complaint; a taken id raises DuplicateError."""
        if not isinstance(complaint, Complaint):
            raise InvalidInput("complaint", "must be a Complaint", complaint)
        self._uow._insert("feedback.add_complaint", _COMPLAINTS, complaint)

    def complaints_of(self, dossier_id: str) -> Sequence[Complaint]:
        """One dossier's complaints, oldest first."""
        return self._uow._list(
            "feedback.complaints_of",
            _COMPLAINTS,
            lambda c: True,
            lambda c: (c.at, c.id),
            group=("dossier_id", dossier_id),
        )

    def list_complaints(
        self, agency: AgencyCode, *, offset: int = 0, limit: int | None = None
    ) -> Sequence[Complaint]:
        """The complaints about dossiers of ``agency``, newest first, one slice of them."""
        check_slice(offset, limit)
        found = self._uow._list(
            "feedback.list_complaints",
            _COMPLAINTS,
            lambda c: True,
            lambda c: (c.at, c.id),
            newest_first=True,
            group=("agency", str(agency)),
        )
        return found[offset:] if limit is None else found[offset : offset + limit]

    def count_complaints(self, agency: AgencyCode) -> int:
        """How many complaints there are about dossiers of ``agency``."""
        self._uow._begin("feedback.count_complaints")
        return len(self._uow._group_rows(_COMPLAINTS, "agency", str(agency)))


class _Codes(_Repository):
    def next(self, agency: AgencyCode, day: dt.date, *, maximum: int) -> int:
        """The next sequence number of ``agency`` on local ``day``, from 1.

        Taken inside the unit of work: a rollback gives the number back, so numbers are
        gap-free; concurrent units of work never get the same number (a second one waits
        for the first to end). Past ``maximum`` raises CodeSequenceExhausted.
        """
        return claims.next_number(self._uow, agency, day, maximum)

    def peek(self, agency: AgencyCode, day: dt.date) -> int:
        """The last number given (0 if none), as committed, or as this unit of work took it."""
        return claims.peek_number(self._uow, agency, day)


class _Tokens(_Repository):
    def consume(self, token_id: str, *, now: dt.datetime) -> None:
        """Record that a single-use token was used; a second use raises DuplicateError.

        A second use while the first one's unit of work is still open waits for it to end.
        """
        claims.consume_token(self._uow, token_id, now)


class _Audit(_Repository):
    def head(self, stream: str) -> AuditRecord | None:
        """The last record of ``stream`` (highest position), as this unit of work sees it."""
        uow = self._uow
        uow._begin("audit.head")
        # Streams are append-only from position 1: probe upwards, from the committed count.
        with uow._storage._lock:
            position = uow._storage._audit_heads.get(stream, 0)
        head: AuditRecord | None = uow._visible(_AUDIT, (stream, position)) if position else None
        while True:
            following: AuditRecord | None = uow._visible(_AUDIT, (stream, position + 1))
            if following is None:
                return head
            head, position = following, position + 1

    def append(self, record: AuditRecord) -> None:
        """Store a record; a position its stream already holds raises DuplicateError."""
        if not isinstance(record, AuditRecord):
            raise InvalidInput("record", "must be an AuditRecord", record)
        self._uow._insert("audit.append", _AUDIT, record)

    def list(self, stream: str) -> Sequence[AuditRecord]:
        """The records of one stream, by position."""
        return self._uow._list(
            "audit.list", _AUDIT, lambda r: r.stream == stream, lambda r: r.position
        )

    def streams(self) -> Sequence[str]:
        """Every stream that holds a record, sorted."""
        self._uow._begin("audit.streams")
        return sorted({r.stream for r in self._uow._visible_rows(_AUDIT)})


def _record_history(trail: AuditTrail, dossier: Dossier) -> None:
    """Chain the history entries a submitted dossier gained into its audit stream."""
    if dossier.status is DossierStatus.DRAFT:
        return
    for record in history_records(dossier, trail.head(dossier_stream(dossier.id))):
        trail.append(record)
