"""The SQL storage's repositories for accounts, officers, the catalog, codes, tokens and audit."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence, Set
from typing import TYPE_CHECKING

import attrs
from sqlalchemy import (
    select,
)

from onestop.adapters.sql import schema as t
from onestop.adapters.sql._rows import (
    _account,
    _account_row,
    _doc,
    _dumps,
    _load,
    _officer_row,
    _procedure_of,
    _procedure_text,
    _Row,
)
from onestop.adapters.sql._statements import (
    _ACCOUNT_BY_EMAIL,
    _ACCOUNT_BY_ID,
    _ACCOUNT_BY_SUBJECT,
    _AGENCY_BY_CODE,
    _AGENCY_NAME,
    _ALL_AGENCIES,
    _ALL_FIELDS,
    _ALL_OFFICERS,
    _AUDIT_HEAD,
    _AUDIT_OF_STREAM,
    _AUDIT_STREAMS,
    _FIELD_BY_ID,
    _FIELD_NAME,
    _INSERT,
    _LAST_NUMBER,
    _OFFICER_BY_EMAIL,
    _OFFICER_BY_ID,
    _OFFICER_BY_SUBJECT,
    _OFFICERS_OF_AGENCY,
    _PROCEDURE_BY_CODE,
    _SEARCH_NAMES,
)
from onestop.adapters.sql.search import bump_revision, cached_procedure, candidates, refold
from onestop.domain.accounts import Account, Officer
from onestop.domain.audit import AuditRecord
from onestop.domain.catalog import Agency, Field, Procedure
from onestop.domain.codes import AgencyCode, require_aware
from onestop.domain.search import SearchDocument, SearchHits, SearchPlan
from onestop.errors import (
    AccountNotFound,
    AgencyNotFound,
    CodeSequenceExhausted,
    FieldNotFound,
    InvalidInput,
    OfficerNotFound,
    ProcedureNotFound,
    StorageError,
)

if TYPE_CHECKING:
    from onestop.adapters.sql.storage import SqlUnitOfWork


# --- repositories --------------------------------------------------------------------------


class _Repository:
    def __init__(self, uow: SqlUnitOfWork) -> None:
        self._uow = uow


class _Accounts(_Repository):
    def add(self, account: Account) -> None:
        """Store a new account; a taken id or email raises DuplicateError."""
        uow = self._uow
        connection = uow._write("accounts.add")
        uow._execute(
            connection,
            "accounts.add",
            _INSERT[t.accounts.name],
            _account_row(account, account.version),
            values={"account.id": account.id, **_account_values(account)},
        )

    def get(self, account_id: str) -> Account:
        """The account, or AccountNotFound."""
        found = self._uow._one(
            "accounts.get",
            _ACCOUNT_BY_ID,
            {"p_id": account_id},
            self._uow._loader(t.accounts, _account),
        )
        if found is None:
            raise AccountNotFound(account_id)
        return found

    def find_by_email(self, email: str) -> Account | None:
        """The account registered with this (normalised) email, if any."""
        return self._uow._one(
            "accounts.find_by_email",
            _ACCOUNT_BY_EMAIL,
            {"p_email": email},
            self._uow._loader(t.accounts, _account),
        )

    def find_by_national_subject(self, subject: str) -> Account | None:
        """The account linked to the national identity ``subject`` (VNeID), if any."""
        return self._uow._one(
            "accounts.find_by_national_subject",
            _ACCOUNT_BY_SUBJECT,
            {"p_national_subject": subject},
            self._uow._loader(t.accounts, _account),
        )

    def update(self, account: Account) -> None:
        """Store changes; ConcurrentUpdate if it changed since read. Bumps ``version``."""
        self._uow._versioned_update(
            "accounts.update",
            "account",
            t.accounts,
            account,
            _account_row(account, account.version + 1),
            AccountNotFound,
            values=_account_values(account),
        )
        account.version += 1


def _account_values(account: Account) -> dict[str, object]:
    identity = account.national_identity
    return {
        "account.email": account.email,
        "account.national_subject": None if identity is None else identity.subject,
    }


def _officer(row: _Row) -> Officer:
    return _load(Officer, row["doc"], version=row["version"])


class _Officers(_Repository):
    def add(self, officer: Officer) -> None:
        """Store a new officer; a taken id or email raises DuplicateError."""
        uow = self._uow
        connection = uow._write("officers.add")
        uow._execute(
            connection,
            "officers.add",
            _INSERT[t.officers.name],
            _officer_row(officer, officer.version),
            values=_officer_values(officer),
        )

    def get(self, officer_id: str) -> Officer:
        """The officer, or OfficerNotFound."""
        found = self._uow._one(
            "officers.get",
            _OFFICER_BY_ID,
            {"p_id": officer_id},
            self._uow._loader(t.officers, _officer),
        )
        if found is None:
            raise OfficerNotFound(officer_id)
        return found

    def list_by_agency(self, agency: AgencyCode) -> Sequence[Officer]:
        """The officers of one agency, by id."""
        return self._uow._all(
            "officers.list_by_agency",
            _OFFICERS_OF_AGENCY,
            {"p_agency": agency.key},
            _officer,
        )

    def find_by_email(self, email: str) -> Officer | None:
        """The officer with this (normalised) email, if any."""
        return self._uow._one(
            "officers.find_by_email",
            _OFFICER_BY_EMAIL,
            {"p_email": email},
            self._uow._loader(t.officers, _officer),
        )

    def find_by_external_subject(self, subject: str) -> Officer | None:
        """The officer single sign-on knows by ``subject``, if any."""
        return self._uow._one(
            "officers.find_by_external_subject",
            _OFFICER_BY_SUBJECT,
            {"p_external_subject": subject},
            self._uow._loader(t.officers, _officer),
        )

    def update(self, officer: Officer) -> None:
        """Store changes; ConcurrentUpdate if it changed since read. Bumps ``version``."""
        self._uow._versioned_update(
            "officers.update",
            "officer",
            t.officers,
            officer,
            _officer_row(officer, officer.version + 1),
            OfficerNotFound,
            values=_officer_values(officer),
        )
        officer.version += 1

    def list_all(self) -> Sequence[Officer]:
        """Every officer, by agency then id."""
        return self._uow._all("officers.list_all", _ALL_OFFICERS, None, _officer)


def _officer_values(officer: Officer) -> dict[str, object]:
    return {
        "officer.id": officer.id,
        "officer.email": officer.email,
        "officer.external_subject": officer.external_subject,
    }


def _agency(row: _Row) -> Agency:
    return _load(Agency, row["doc"])


def _field(row: _Row) -> Field:
    return _load(Field, row["doc"])


def _procedure(row: _Row) -> Procedure:
    try:
        return _procedure_of(row["doc"])
    except Exception as e:
        raise StorageError(f"a stored procedure cannot be read back: {e}") from e


class _Catalog(_Repository):
    def put_agency(self, agency: Agency) -> None:
        """Insert or replace an agency (keyed by its code)."""
        uow = self._uow
        connection = uow._write("catalog.put_agency")
        bump_revision(uow, connection, "catalog.put_agency")
        row = {
            "code": agency.code.key,
            "name": agency.name,
            "parent": None if agency.parent is None else agency.parent.key,
            "doc": _dumps(_doc(agency)),
        }
        old = uow._execute(connection, "catalog.put_agency", _AGENCY_NAME, {"p_code": row["code"]})
        uow._execute(connection, "catalog.put_agency", uow._sql.put_agency, row)
        if old.first() not in (None, {"name": agency.name}):
            refold(uow, connection, "catalog.put_agency", t.procedures.c.agency == row["code"])

    def put_field(self, field: Field) -> None:
        """Insert or replace a field (keyed by its id)."""
        uow = self._uow
        connection = uow._write("catalog.put_field")
        bump_revision(uow, connection, "catalog.put_field")
        row = {"id": field.id, "name": field.name, "doc": _dumps(_doc(field))}
        old = uow._execute(connection, "catalog.put_field", _FIELD_NAME, {"p_code": field.id})
        uow._execute(connection, "catalog.put_field", uow._sql.put_field, row)
        if old.first() != {"name": field.name}:  # procedures may name a field before it exists
            refold(uow, connection, "catalog.put_field", t.procedures.c.field == field.id)

    def put_procedure(self, procedure: Procedure) -> None:
        """Insert or replace a procedure (keyed by its code); its agency must exist."""
        uow = self._uow
        connection = uow._begin("catalog.put_procedure")
        agency = procedure.agency.key
        known = uow._execute(
            connection,
            "catalog.put_procedure",
            _SEARCH_NAMES,
            {"p_code": agency, "p_field": procedure.field},
        ).first()
        if known is None:
            raise AgencyNotFound(agency)
        uow._start_writing(connection)
        bump_revision(uow, connection, "catalog.put_procedure")
        row = {
            "code": procedure.code,
            "agency": agency,
            "field": procedure.field,
            "name": procedure.name,
            "doc": _procedure_text(procedure),
            "search_text": SearchDocument.of(
                procedure,
                field_name=known["field_name"] or "",
                agency_name=known["agency_name"],
            ).text,
        }
        uow._execute(connection, "catalog.put_procedure", uow._sql.put_procedure, row)

    def get_agency(self, code: AgencyCode) -> Agency:
        """The agency, or AgencyNotFound."""
        found = self._uow._one(
            "catalog.get_agency",
            _AGENCY_BY_CODE,
            {"p_code": code.key},
            _agency,
        )
        if found is None:
            # An id the agency had before a merger (``former_codes``); catalogs are small.
            found = next((a for a in self.list_agencies() if a.known_as(code)), None)
        if found is None:
            raise AgencyNotFound(code)
        return found

    def get_field(self, field_id: str) -> Field:
        """The field, or FieldNotFound."""
        found = self._uow._one("catalog.get_field", _FIELD_BY_ID, {"p_id": field_id}, _field)
        if found is None:
            raise FieldNotFound(field_id)
        return found

    def get_procedure(self, code: str) -> Procedure:
        """The procedure, or ProcedureNotFound."""
        uow = self._uow
        found = cached_procedure(
            uow,
            code,
            lambda: uow._one(
                "catalog.get_procedure", _PROCEDURE_BY_CODE, {"p_code": code}, _procedure
            ),
        )
        if found is None:
            raise ProcedureNotFound(code)
        return found

    def list_agencies(self) -> Sequence[Agency]:
        """Every agency, ordered by code."""
        found = self._uow._all("catalog.list_agencies", _ALL_AGENCIES, None, _agency)
        return sorted(found, key=lambda a: a.code)

    def list_fields(self) -> Sequence[Field]:
        """Every field, ordered by id."""
        return self._uow._all("catalog.list_fields", _ALL_FIELDS, None, _field)

    def list_procedures(
        self, *, agency: AgencyCode | None = None, field: str | None = None
    ) -> Sequence[Procedure]:
        """Procedures, optionally of one agency and/or field, ordered by code."""
        query = select(t.procedures).order_by(t.procedures.c.code)
        if agency is not None:
            query = query.where(t.procedures.c.agency == agency.key)
        if field is not None:
            query = query.where(t.procedures.c.field == field)
        return self._uow._all("catalog.list_procedures", query, None, _procedure, built=True)

    def search(
        self,
        plan: SearchPlan,
        *,
        agency: AgencyCode | Set[AgencyCode] | None = None,
        field: str | None = None,
    ) -> SearchHits:
        """Candidates from the index of the folded search text (``sql/search.py``)."""
        connection = self._uow._begin("catalog.search")
        return candidates(self._uow, connection, plan, agency, field)


class _Codes(_Repository):
    def next(self, agency: AgencyCode, day: dt.date, *, maximum: int) -> int:
        """The next sequence number of ``agency`` on local ``day``, from 1.

        Taken inside the unit of work: a rollback gives the number back, so numbers are
        gap-free; concurrent units of work never get the same number (a second one waits
        for the first to end). Past ``maximum`` raises CodeSequenceExhausted.
        """
        uow = self._uow
        connection = uow._begin("codes.next")
        if isinstance(maximum, bool) or not isinstance(maximum, int) or maximum < 1:
            raise InvalidInput("maximum", "must be a whole number, 1 or more", maximum)
        uow._start_writing(connection)
        taken = uow._execute(
            connection,
            "codes.next",
            uow._sql.next_number,
            {"agency": agency.key, "day": day, "maximum": maximum},
        ).scalar()
        if taken is None:
            raise CodeSequenceExhausted(str(agency), day, maximum)
        return int(taken)

    def peek(self, agency: AgencyCode, day: dt.date) -> int:
        """The last number given (0 if none), as committed, or as this unit of work took it."""
        found = self._uow._one(
            "codes.peek",
            _LAST_NUMBER,
            {"p_agency": agency.key, "p_day": day},
            lambda row: int(row["last"]),
        )
        return 0 if found is None else found


class _Tokens(_Repository):
    def consume(self, token_id: str, *, now: dt.datetime) -> None:
        """Record that a single-use token was used; a second use raises DuplicateError."""
        require_aware(now, "now")
        uow = self._uow
        connection = uow._write("tokens.consume")
        uow._execute(
            connection,
            "tokens.consume",
            _INSERT[t.tokens.name],
            {"token_id": token_id, "used_at": now},
            values={"token.id": token_id},
        )


def _audit_record(row: _Row) -> AuditRecord:
    return AuditRecord(
        stream=row["stream"],
        position=row["position"],
        at=row["at"],
        actor=row["actor"],
        action=row["action"],
        subject=row["subject"],
        detail=row["detail"],
        previous_hash=row["previous_hash"],
        hash=row["hash"],
    )


class _Audit(_Repository):
    def head(self, stream: str) -> AuditRecord | None:
        """The last record of ``stream`` (highest position), as this unit of work sees it."""
        return self._uow._one("audit.head", _AUDIT_HEAD, {"p_stream": stream}, _audit_record)

    def append(self, record: AuditRecord) -> None:
        """Store a record; a position its stream already holds raises DuplicateError."""
        if not isinstance(record, AuditRecord):
            raise InvalidInput("record", "must be an AuditRecord", record)
        uow = self._uow
        connection = uow._write("audit.append")
        uow._execute(
            connection,
            "audit.append",
            _INSERT[t.audit_log.name],
            attrs.asdict(record),
            values={"audit.id": (record.stream, record.position)},
        )

    def list(self, stream: str) -> Sequence[AuditRecord]:
        """The records of one stream, by position."""
        return self._uow._all("audit.list", _AUDIT_OF_STREAM, {"p_stream": stream}, _audit_record)

    def streams(self) -> Sequence[str]:
        """Every stream that holds a record, sorted."""
        return self._uow._all("audit.streams", _AUDIT_STREAMS, None, lambda row: row["stream"])
