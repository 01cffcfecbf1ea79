"""Storage ports: repositories behind a unit of work.

A unit of work is a context manager: changes become visible to others only when
:meth:`UnitOfWork.commit` is called inside the ``with`` block; leaving the block without it
(or with an exception) rolls everything back: no dossier, no outbox mail, no consumed code
number, no used token.

Every adapter raises the library's own errors: :class:`~onestop.errors.DuplicateError` for a
unique rule, :class:`~onestop.errors.ConcurrentUpdate` when ``update`` finds a newer version
than the one read, the matching ``...NotFound`` from ``get``, and
:class:`~onestop.errors.StorageError` when the storage itself fails.

Objects returned by a repository are the caller's copies: changing one changes nothing
stored until it is passed to ``update`` (which checks and bumps ``version``) and the unit
of work commits.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence, Set
from types import TracebackType
from typing import Protocol, Self

from onestop.domain.accounts import Account, Officer
from onestop.domain.audit import AuditRecord
from onestop.domain.catalog import Agency, Field, Procedure
from onestop.domain.codes import AgencyCode, DossierCode
from onestop.domain.dossier import Dossier
from onestop.domain.mail import OutboxEntry, OutboxState
from onestop.domain.payments import Payment, PaymentState
from onestop.domain.reports import IndicatorCounts, Measure, Part, ReportScope
from onestop.domain.satisfaction import Complaint, Rating
from onestop.domain.search import SearchHits, SearchPlan
from onestop.domain.statuses import DossierStatus
from onestop.domain.sync import SyncEntry, SyncState

__all__ = [
    "AccountRepository",
    "AuditTrail",
    "CatalogRepository",
    "CodeSequence",
    "DossierRepository",
    "FeedbackRepository",
    "MailOutbox",
    "OfficerRepository",
    "PaymentRepository",
    "ReportQueries",
    "Storage",
    "SyncOutbox",
    "TokenLedger",
    "UnitOfWork",
]


class AccountRepository(Protocol):
    def add(self, account: Account) -> None:
        """Store a new account; a taken id or email raises DuplicateError."""

    def get(self, account_id: str) -> Account:
        """The account, or AccountNotFound."""

    def find_by_email(self, email: str) -> Account | None:
        """The account registered with this (normalised) email, if any."""

    def find_by_national_subject(self, subject: str) -> Account | None:
        """The account linked to the national identity ``subject`` (VNeID), if any."""

    def update(self, account: Account) -> None:
        """Store changes; ConcurrentUpdate if it changed since read. Bumps ``version``.

        The email and the national subject stay unique (DuplicateError).
        """


class OfficerRepository(Protocol):
    def add(self, officer: Officer) -> None:
        """Store a new officer; a taken id or email raises DuplicateError."""

    def get(self, officer_id: str) -> Officer:
        """The officer, or OfficerNotFound."""

    def list_by_agency(self, agency: AgencyCode) -> Sequence[Officer]:
        """The officers of one agency, by id."""

    def find_by_email(self, email: str) -> Officer | None:
        """The officer with this (normalised) email, if any."""

    def find_by_external_subject(self, subject: str) -> Officer | None:
        """The officer single sign-on knows by ``subject``, if any."""

    def update(self, officer: Officer) -> None:
        """Store changes; ConcurrentUpdate if it changed since read. Bumps ``version``.

        The email and the external subject stay unique (DuplicateError).
        """

    def list_all(self) -> Sequence[Officer]:
        """Every officer, by agency then id."""


class CatalogRepository(Protocol):
    def put_agency(self, agency: Agency) -> None:
        """Insert or replace an agency (keyed by its code)."""

    def put_field(self, field: Field) -> None:
        """Insert or replace a field (keyed by its id)."""

    def put_procedure(self, procedure: Procedure) -> None:
        """Insert or replace a procedure (keyed by its code); its agency must exist."""

    def get_agency(self, code: AgencyCode) -> Agency:
        """The agency, or AgencyNotFound."""

    def get_field(self, field_id: str) -> Field:
        """The field, or FieldNotFound."""

    def get_procedure(self, code: str) -> Procedure:
        """The procedure, or ProcedureNotFound."""

    def list_agencies(self) -> Sequence[Agency]:
        """Every agency, ordered by code."""

    def list_fields(self) -> Sequence[Field]:
        """Every field, ordered by id."""

    def list_procedures(
        self, *, agency: AgencyCode | None = None, field: str | None = None
    ) -> Sequence[Procedure]:
        """Procedures, optionally of one agency and/or field, ordered by code."""

    def search(
        self,
        plan: SearchPlan,
        *,
        agency: AgencyCode | Set[AgencyCode] | None = None,
        field: str | None = None,
    ) -> SearchHits:
        """Candidates for ``plan`` among the procedures of the scope: of one agency or of any
        of a set of agencies, and/or of one field.

        Every procedure with the highest coverage of the plan's required terms (all of them
        if any procedure has them), the scope's size, and how many procedures of the scope
        have each of ``plan.wanted()``: what :func:`onestop.domain.search.rank` orders.
        """


class DossierRepository(Protocol):
    def add(self, dossier: Dossier) -> None:
        """Store a new dossier (draft or submitted).

        A taken id, code, or (owner, idempotency key) raises DuplicateError.
        """

    def get(self, dossier_id: str) -> Dossier:
        """The dossier, or DossierNotFound."""

    def get_by_code(self, code: DossierCode) -> Dossier:
        """The dossier with this code, or DossierNotFound."""

    def find_by_idempotency_key(self, owner_id: str, key: str) -> Dossier | None:
        """The dossier this owner submitted with this key, if any."""

    def update(self, dossier: Dossier) -> None:
        """Store changes; ConcurrentUpdate if it changed since read. Bumps ``version``.

        The code, and the (owner, idempotency key) pair, stay unique (DuplicateError).
        """

    def delete_draft(self, dossier_id: str) -> None:
        """Remove a draft; a submitted dossier is a legal record and is never deleted."""

    def list_by_owner(
        self, owner_id: str, *, offset: int = 0, limit: int | None = None
    ) -> Sequence[Dossier]:
        """One owner's dossiers, newest first (by created_at, then id), skipping ``offset``
        and at most ``limit`` of them (all when None): one page, read through an index."""

    def count_by_owner(self, owner_id: str) -> int:
        """How many dossiers (drafts included) one owner has."""

    def list_by_agency(
        self,
        agency: AgencyCode,
        *,
        statuses: frozenset[DossierStatus] | None = None,
        offset: int = 0,
        limit: int | None = None,
    ) -> Sequence[Dossier]:
        """One agency's submitted dossiers (never drafts), oldest submission first (then
        by id), skipping ``offset`` and at most ``limit`` of them (all when None)."""

    def count_by_agency(
        self, agency: AgencyCode, *, statuses: frozenset[DossierStatus] | None = None
    ) -> int:
        """How many submitted dossiers (in ``statuses``, if given) one agency has."""

    def list_due_by_agency(
        self, agency: AgencyCode, *, due_by: dt.date, statuses: frozenset[DossierStatus]
    ) -> Sequence[Dossier]:
        """One agency's dossiers in ``statuses`` whose due date is on or before ``due_by``,
        soonest due first (then by id); dossiers without a due date are left out."""

    def referenced_file_keys(self, keys: Iterable[str]) -> set[str]:
        """Which of ``keys`` any dossier (a draft included) has a file attached under."""


class PaymentRepository(Protocol):
    def add(self, payment: Payment) -> None:
        """Store a new payment; a taken id or (gateway, txn_ref) raises DuplicateError."""

    def get(self, payment_id: str) -> Payment:
        """The payment, or PaymentNotFound."""

    def find_by_txn_ref(self, gateway: str, txn_ref: str) -> Payment | None:
        """The payment a gateway knows by ``txn_ref``, if any."""

    def update(self, payment: Payment) -> None:
        """Store changes; ConcurrentUpdate if it changed since read. Bumps ``version``."""

    def list_by_dossier(self, dossier_id: str) -> Sequence[Payment]:
        """A dossier's payments, oldest first."""

    def list_by_state(
        self, state: PaymentState, *, created_before: dt.datetime | None = None
    ) -> Sequence[Payment]:
        """The payments in ``state`` (created at or before ``created_before``, if given),
        oldest first (by created_at, then id), read through an index on the state."""


class FeedbackRepository(Protocol):
    """Citizens' ratings of returned dossiers and complaints (:mod:`onestop.domain.satisfaction`).

    Records are written once and never changed.
    """

    def add_rating(self, rating: Rating) -> None:
        """Store a rating; a dossier already rated raises DuplicateError (``rating.dossier_id``)."""

    def rating_of(self, dossier_id: str) -> Rating | None:
        """The dossier's rating, if it was rated."""

    def add_complaint(self, complaint: Complaint) -> None:
        """Store a complaint; a taken id raises DuplicateError (``complaint.id``)."""

    def complaints_of(self, dossier_id: str) -> Sequence[Complaint]:
        """One dossier's complaints, oldest first (by ``at``, then id)."""

    def list_complaints(
        self, agency: AgencyCode, *, offset: int = 0, limit: int | None = None
    ) -> Sequence[Complaint]:
        """The complaints about dossiers of ``agency``, newest first (by ``at``, then id),
        skipping ``offset`` and at most ``limit`` of them (all when None)."""

    def count_complaints(self, agency: AgencyCode) -> int:
        """How many complaints there are about dossiers of ``agency``."""


class ReportQueries(Protocol):
    """The service indicators of a scope (:mod:`onestop.domain.reports`), counted by storage.

    Both methods must agree with :func:`onestop.domain.reports.count` and
    :func:`~onestop.domain.reports.members` over the facts of the scope's dossiers (the
    contract suite checks it); a SQL storage answers with aggregate queries.
    """

    def indicator_counts(self, scope: ReportScope) -> IndicatorCounts:
        """Every count of a report of ``scope``."""

    def indicator_members(
        self,
        scope: ReportScope,
        measure: Measure,
        part: Part,
        *,
        offset: int = 0,
        limit: int | None = None,
    ) -> Sequence[str]:
        """The dossier ids (procedure codes, for procedures with an online dossier) counted
        in ``part`` of ``measure``'s figure, sorted, skipping ``offset``, at most ``limit``."""


class MailOutbox(Protocol):
    def add(self, entry: OutboxEntry) -> None:
        """Queue a message; a taken id raises DuplicateError."""

    def get(self, entry_id: str) -> OutboxEntry:
        """The entry, or NotFound."""

    def claim_due(
        self, *, worker: str, now: dt.datetime, lease: dt.timedelta, limit: int
    ) -> Sequence[OutboxEntry]:
        """Claim up to ``limit`` due entries for ``worker``, oldest first.

        Two units of work claiming at once never get the same entry: an entry another
        (uncommitted) unit of work is claiming is skipped, not waited for.
        """

    def update(self, entry: OutboxEntry) -> None:
        """Store changes; ConcurrentUpdate if it changed since read. Bumps ``version``."""

    def list(self, *, state: OutboxState | None = None) -> Sequence[OutboxEntry]:
        """Entries, optionally in one state, oldest first."""


class SyncOutbox(Protocol):
    """What the national portal must learn (:mod:`onestop.domain.sync`), in order per dossier."""

    def add(self, entry: SyncEntry) -> None:
        """Queue an entry; a taken id, or a (dossier, sequence) taken, raises DuplicateError."""

    def get(self, entry_id: str) -> SyncEntry:
        """The entry, or NotFound."""

    def last_for(self, dossier_id: str) -> SyncEntry | None:
        """The dossier's entry with the highest sequence, as this unit of work sees it."""

    def claim_due(
        self, *, worker: str, now: dt.datetime, lease: dt.timedelta, limit: int
    ) -> Sequence[SyncEntry]:
        """Claim up to ``limit`` due entries for ``worker``, oldest first, one per dossier.

        Only a dossier's first entry that is not sent may be claimed: while it waits (a
        retry not yet due, a claim that holds, or needs attention) the dossier's later
        entries wait too, and other dossiers go on. An entry another (uncommitted) unit of
        work is claiming is skipped, not waited for.
        """

    def update(self, entry: SyncEntry) -> None:
        """Store changes; ConcurrentUpdate if it changed since read. Bumps ``version``."""

    def list(
        self, *, state: SyncState | None = None, dossier_id: str | None = None
    ) -> Sequence[SyncEntry]:
        """Entries, optionally in one state and/or of one dossier, oldest first."""

    def sent_dossier_ids(self, dossier_ids: Iterable[str]) -> set[str]:
        """Which of ``dossier_ids`` have at least one entry the national portal acknowledged."""


class CodeSequence(Protocol):
    def next(self, agency: AgencyCode, day: dt.date, *, maximum: int) -> int:
        """The next sequence number of ``agency`` on local ``day``, from 1.

        Taken inside the unit of work: a rollback gives the number back, so numbers are
        gap-free; concurrent units of work never get the same number (a second one waits
        for the first to end). Past ``maximum`` raises CodeSequenceExhausted.
        """

    def peek(self, agency: AgencyCode, day: dt.date) -> int:
        """The last number given (0 if none), as committed."""


class TokenLedger(Protocol):
    def consume(self, token_id: str, *, now: dt.datetime) -> None:
        """Record that a single-use token was used; a second use raises DuplicateError."""


class AuditTrail(Protocol):
    """The chained audit records (:mod:`onestop.domain.audit`); append-only.

    The storage also appends, by itself and in the same unit of work, the records of every
    history entry a submitted dossier gains through ``dossiers.add`` or ``dossiers.update``
    (:func:`onestop.domain.audit.history_records`).
    """

    def head(self, stream: str) -> AuditRecord | None:
        """The last record of ``stream`` (highest position), as this unit of work sees it."""

    def append(self, record: AuditRecord) -> None:
        """Store a record; a position its stream already holds raises DuplicateError
        (``what`` is ``"audit.id"``): another unit of work appended first."""

    def list(self, stream: str) -> Sequence[AuditRecord]:
        """The records of one stream, by position."""

    def streams(self) -> Sequence[str]:
        """Every stream that holds a record, sorted."""


class UnitOfWork(Protocol):
    """One atomic change across every repository."""

    accounts: AccountRepository
    officers: OfficerRepository
    catalog: CatalogRepository
    dossiers: DossierRepository
    payments: PaymentRepository
    feedback: FeedbackRepository
    reports: ReportQueries
    outbox: MailOutbox
    sync: SyncOutbox
    codes: CodeSequence
    tokens: TokenLedger
    audit: AuditTrail

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Roll back whatever was not committed, and release the unit of work."""

    def commit(self) -> None:
        """Make every change visible at once, or raise and change nothing."""

    def rollback(self) -> None:
        """Drop every uncommitted change."""


class Storage(Protocol):
    """Where the portal's records live."""

    def unit_of_work(self) -> UnitOfWork:
        """A new unit of work, to be used in a ``with`` block."""

    def close(self) -> None:
        """Release connections; the storage is unusable afterwards."""
