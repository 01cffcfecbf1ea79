"""The SQL storage's dossier and payment repositories."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import Table
from sqlalchemy.pool import PoolProxiedConnection

from onestop.adapters._slices import check_slice
from onestop.adapters.sql import schema as t
from onestop.adapters.sql._repositories import _Repository
from onestop.adapters.sql._rows import (
    _Children,
    _dossier,
    _dossier_row,
    _due_date_rows,
    _fee_rows,
    _file_rows,
    _files_of,
    _history_rows,
    _load,
    _payment_row,
    _Row,
)
from onestop.adapters.sql._statements import (
    _ALL_ROWS,
    _CHILD_TABLES,
    _COUNT_OF_AGENCY,
    _COUNT_OF_AGENCY_IN,
    _COUNT_OF_OWNER,
    _DELETE_CHILDREN,
    _DELETE_DRAFT,
    _DOSSIER_BY_CODE,
    _DOSSIER_BY_ID,
    _DOSSIER_BY_KEY,
    _DOSSIER_STATE,
    _DOSSIERS_DUE_OF_AGENCY,
    _DOSSIERS_OF_AGENCY,
    _DOSSIERS_OF_AGENCY_IN,
    _DOSSIERS_OF_AGENCY_IN_PAGE,
    _DOSSIERS_OF_AGENCY_PAGE,
    _DOSSIERS_OF_OWNER,
    _DOSSIERS_OF_OWNER_PAGE,
    _FILE_KEYS_IN_USE,
    _INSERT,
    _PAYMENT_BY_ID,
    _PAYMENT_BY_TXN,
    _PAYMENTS_IN_STATE,
    _PAYMENTS_IN_STATE_BEFORE,
    _PAYMENTS_OF_DOSSIER,
)
from onestop.domain.audit import dossier_stream, history_records
from onestop.domain.codes import AgencyCode, DossierCode
from onestop.domain.dossier import Dossier
from onestop.domain.payments import Payment, PaymentState
from onestop.domain.statuses import DossierStatus
from onestop.errors import (
    ConcurrentUpdate,
    DossierNotFound,
    PaymentNotFound,
    TransitionNotAllowed,
)

if TYPE_CHECKING:
    from onestop.adapters.sql.storage import SqlUnitOfWork
    from onestop.ports.storage import (
        AuditTrail,
    )


def _dossier_values(dossier: Dossier) -> dict[str, object]:
    idempotency = (
        None if dossier.idempotency_key is None else (dossier.owner_id, dossier.idempotency_key)
    )
    return {
        "dossier.id": dossier.id,
        "dossier.code": dossier.code,
        "dossier.idempotency_key": idempotency,
    }


def _load_dossier(uow: SqlUnitOfWork, row: _Row) -> Dossier:
    """A dossier read back, its row and child rows remembered to write only what changes."""
    uow._rows[(t.dossiers.name, row["id"])] = dict(row)
    dossier = _dossier(row)
    uow._children[dossier.id] = _Children.of(dossier, dossier.version)
    return dossier


def _write_children(
    uow: SqlUnitOfWork, connection: PoolProxiedConnection, dossier: Dossier, before: int | None
) -> None:
    """Bring the dossier's child rows in step, writing only what changed if known."""
    known = uow._children.get(dossier.id)
    # The statements to run, in order, all at once (one round trip on psycopg).
    steps: list[tuple[Any, Any]] = []
    if before is not None and (known is None or known.version != before):
        # Not read in this transaction: rewrite every child row.
        for table in _CHILD_TABLES:
            steps.append((_DELETE_CHILDREN[table.name], {"p_dossier_id": dossier.id}))
        known = _Children(before, (), (), ())
    if known is None:
        known = _Children(0, (), (), ())
    plans: list[tuple[Table, tuple[Any, ...], tuple[Any, ...], Callable[..., Any]]] = [
        (t.dossier_files, known.attachments, _files_of(dossier), _file_rows),
        (t.dossier_fee_lines, known.fee_lines, dossier.fee_lines, _fee_rows),
        (t.dossier_history, known.history, dossier.history, _history_rows),
        (t.dossier_due_dates, known.due_dates, dossier.due_dates, _due_date_rows),
    ]
    for table, old, new, rows_of in plans:
        if old == new:
            continue
        if new[: len(old)] == old:
            start, fresh = len(old), new[len(old) :]
        else:
            steps.append((_DELETE_CHILDREN[table.name], {"p_dossier_id": dossier.id}))
            start, fresh = 0, new
        if fresh:
            rows = rows_of(dossier.id, start, fresh)
            steps.append((_INSERT[table.name], rows[0] if len(rows) == 1 else rows))
    if steps:
        uow._execute_together(connection, "dossiers.update", steps)


class _Dossiers(_Repository):
    def _read(self, row: _Row) -> Dossier:
        return _load_dossier(self._uow, row)

    def add(self, dossier: Dossier) -> None:
        """Store a new dossier (draft or submitted).

        A taken id, code, or (owner, idempotency key) raises DuplicateError.
        """
        uow = self._uow
        connection = uow._write("dossiers.add")
        uow._execute(
            connection,
            "dossiers.add",
            _INSERT[t.dossiers.name],
            _dossier_row(dossier, dossier.version),
            values=_dossier_values(dossier),
        )
        uow._children.pop(dossier.id, None)
        _write_children(uow, connection, dossier, None)
        uow._children[dossier.id] = _Children.of(dossier, dossier.version)
        _record_history(uow.audit, dossier)

    def get(self, dossier_id: str) -> Dossier:
        """The dossier, or DossierNotFound."""
        found = self._uow._one(
            "dossiers.get",
            _DOSSIER_BY_ID,
            {"p_id": dossier_id},
            self._read,
        )
        if found is None:
            raise DossierNotFound(dossier_id)
        return found

    def get_by_code(self, code: DossierCode) -> Dossier:
        """The dossier with this code, or DossierNotFound."""
        found = self._uow._one(
            "dossiers.get_by_code",
            _DOSSIER_BY_CODE,
            {"p_code_agency": code.agency.key, "p_code_day": code.day, "p_code_seq": code.seq},
            self._read,
        )
        if found is None or found.code != code:  # a code differing in its system part
            raise DossierNotFound(str(code))
        return found

    def find_by_idempotency_key(self, owner_id: str, key: str) -> Dossier | None:
        """The dossier this owner submitted with this key, if any."""
        return self._uow._one(
            "dossiers.find_by_idempotency_key",
            _DOSSIER_BY_KEY,
            {"p_owner_id": owner_id, "p_idempotency_key": key},
            self._read,
        )

    def update(self, dossier: Dossier) -> None:
        """Store changes; ConcurrentUpdate if it changed since read. Bumps ``version``.

        The code, and the (owner, idempotency key) pair, stay unique (DuplicateError).
        """
        uow = self._uow
        before = dossier.version
        # Read as a draft at this version in this transaction (the update below checks the
        # version): its audit stream is empty, a draft's history being chained at submission.
        known = uow._rows.get((t.dossiers.name, dossier.id))
        was_draft = (
            known is not None
            and known["version"] == before
            and known["status"] == DossierStatus.DRAFT.value
        )
        uow._versioned_update(
            "dossiers.update",
            "dossier",
            t.dossiers,
            dossier,
            _dossier_row(dossier, before + 1),
            DossierNotFound,
            values=_dossier_values(dossier),
        )
        assert uow._connection is not None
        _write_children(uow, uow._connection, dossier, before)
        dossier.version = before + 1
        uow._children[dossier.id] = _Children.of(dossier, dossier.version)
        _record_history(uow.audit, dossier, was_draft=was_draft)

    def delete_draft(self, dossier_id: str) -> None:
        """Remove a draft; a submitted dossier is a legal record and is never deleted."""
        uow = self._uow
        connection = uow._begin("dossiers.delete_draft")
        current = uow._execute(
            connection, "dossiers.delete_draft", _DOSSIER_STATE, {"p_id": dossier_id}
        ).first()
        if current is None:
            raise DossierNotFound(dossier_id)
        if current["status"] != DossierStatus.DRAFT.value:
            raise TransitionNotAllowed("delete", current["status"], ("draft",))
        uow._start_writing(connection)
        for table in _CHILD_TABLES:
            uow._execute(
                connection,
                "dossiers.delete_draft",
                _DELETE_CHILDREN[table.name],
                {"p_dossier_id": dossier_id},
            )
        result = uow._execute(
            connection,
            "dossiers.delete_draft",
            _DELETE_DRAFT,
            {"p_id": dossier_id, "p_version": current["version"]},
        )
        uow._children.pop(dossier_id, None)
        if result.rowcount != 1:
            raise ConcurrentUpdate("dossier", dossier_id)

    def list_by_owner(
        self, owner_id: str, *, offset: int = 0, limit: int | None = None
    ) -> Sequence[Dossier]:
        """One owner's dossiers, newest first (by created_at, then id), one slice of them."""
        check_slice(offset, limit)
        params: dict[str, Any] = {"p_owner_id": owner_id}
        statement = _DOSSIERS_OF_OWNER
        if offset or limit is not None:
            statement = _DOSSIERS_OF_OWNER_PAGE
            params |= {"p_offset": offset, "p_limit": _ALL_ROWS if limit is None else limit}
        return self._uow._all("dossiers.list_by_owner", statement, params, self._read)

    def count_by_owner(self, owner_id: str) -> int:
        """How many dossiers (drafts included) one owner has."""
        return self._count("dossiers.count_by_owner", _COUNT_OF_OWNER, {"p_owner_id": owner_id})

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
        params: dict[str, Any] = {"p_agency": agency.key}
        load = self._read
        paged = bool(offset) or limit is not None
        if paged:
            params |= {"p_offset": offset, "p_limit": _ALL_ROWS if limit is None else limit}
        if statuses is None:
            statement = _DOSSIERS_OF_AGENCY_PAGE if paged else _DOSSIERS_OF_AGENCY
            return self._uow._all("dossiers.list_by_agency", statement, params, load)
        params["p_statuses"] = sorted(s.value for s in statuses)
        statement = _DOSSIERS_OF_AGENCY_IN_PAGE if paged else _DOSSIERS_OF_AGENCY_IN
        return self._uow._all("dossiers.list_by_agency", statement, params, load, built=True)

    def count_by_agency(
        self, agency: AgencyCode, *, statuses: frozenset[DossierStatus] | None = None
    ) -> int:
        """How many submitted dossiers (in ``statuses``, if given) one agency has."""
        params: dict[str, Any] = {"p_agency": agency.key}
        if statuses is None:
            return self._count("dossiers.count_by_agency", _COUNT_OF_AGENCY, params)
        params["p_statuses"] = sorted(s.value for s in statuses)
        return self._count("dossiers.count_by_agency", _COUNT_OF_AGENCY_IN, params, built=True)

    def list_due_by_agency(
        self, agency: AgencyCode, *, due_by: dt.date, statuses: frozenset[DossierStatus]
    ) -> Sequence[Dossier]:
        """One agency's dossiers in ``statuses`` due on or before ``due_by``, soonest first
        (on the (agency, due_date) index)."""
        if not statuses:
            return []
        params: dict[str, Any] = {
            "p_agency": agency.key,
            "p_statuses": sorted(s.value for s in statuses),
            "p_due_by": due_by,
        }
        return self._uow._all(
            "dossiers.list_due_by_agency",
            _DOSSIERS_DUE_OF_AGENCY,
            params,
            self._read,
            built=True,
        )

    def _count(
        self, operation: str, statement: Any, params: dict[str, Any], *, built: bool = False
    ) -> int:
        [n] = self._uow._all(operation, statement, params, lambda row: int(row["n"]), built=built)
        return n

    def referenced_file_keys(self, keys: Iterable[str]) -> set[str]:
        """Which of ``keys`` any dossier (a draft included) has a file attached under."""
        wanted = sorted(set(keys))
        if not wanted:
            return set()
        found = self._uow._all(
            "dossiers.referenced_file_keys",
            _FILE_KEYS_IN_USE,
            {"p_keys": wanted},
            lambda row: str(row["file_key"]),
            built=True,
        )
        return set(found)


def _payment(row: _Row) -> Payment:
    return _load(Payment, row["doc"], version=row["version"])


class _Payments(_Repository):
    def add(self, payment: Payment) -> None:
        """Store a new payment; a taken id or (gateway, txn_ref) raises DuplicateError."""
        uow = self._uow
        connection = uow._write("payments.add")
        uow._execute(
            connection,
            "payments.add",
            _INSERT[t.payments.name],
            _payment_row(payment, payment.version),
            values={
                "payment.id": payment.id,
                "payment.txn_ref": (payment.gateway, payment.txn_ref),
            },
        )

    def get(self, payment_id: str) -> Payment:
        """The payment, or PaymentNotFound."""
        found = self._uow._one(
            "payments.get",
            _PAYMENT_BY_ID,
            {"p_id": payment_id},
            self._uow._loader(t.payments, _payment),
        )
        if found is None:
            raise PaymentNotFound(payment_id)
        return found

    def find_by_txn_ref(self, gateway: str, txn_ref: str) -> Payment | None:
        """The payment a gateway knows by ``txn_ref``, if any."""
        return self._uow._one(
            "payments.find_by_txn_ref",
            _PAYMENT_BY_TXN,
            {"p_gateway": gateway, "p_txn_ref": txn_ref},
            self._uow._loader(t.payments, _payment),
        )

    def update(self, payment: Payment) -> None:
        """Store changes; ConcurrentUpdate if it changed since read. Bumps ``version``."""
        self._uow._versioned_update(
            "payments.update",
            "payment",
            t.payments,
            payment,
            _payment_row(payment, payment.version + 1),
            PaymentNotFound,
            values={"payment.txn_ref": (payment.gateway, payment.txn_ref)},
        )
        payment.version += 1

    def list_by_dossier(self, dossier_id: str) -> Sequence[Payment]:
        """A dossier's payments, oldest first."""
        return self._uow._all(
            "payments.list_by_dossier",
            _PAYMENTS_OF_DOSSIER,
            {"p_dossier_id": dossier_id},
            _payment,
        )

    def list_by_state(
        self, state: PaymentState, *, created_before: dt.datetime | None = None
    ) -> Sequence[Payment]:
        """The payments in ``state`` (created at or before ``created_before``), oldest first."""
        if created_before is None:
            return self._uow._all(
                "payments.list_by_state", _PAYMENTS_IN_STATE, {"p_state": state.value}, _payment
            )
        return self._uow._all(
            "payments.list_by_state",
            _PAYMENTS_IN_STATE_BEFORE,
            {"p_state": state.value, "p_created_before": created_before},
            _payment,
        )


def _record_history(trail: AuditTrail, dossier: Dossier, *, was_draft: bool = False) -> None:
    """Chain the history entries a submitted dossier gained into its audit stream (empty,
    not read, when it ``was_draft``)."""
    if dossier.status is DossierStatus.DRAFT:
        return
    head = None if was_draft else trail.head(dossier_stream(dossier.id))
    for record in history_records(dossier, head):
        trail.append(record)
