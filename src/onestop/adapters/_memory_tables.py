"""Tables, record specs and staged writes behind :mod:`onestop.adapters.memory`.

Private: how each kind of record is keyed, checked for uniqueness, indexed and copied
(:class:`_Spec`), the committed rows of one kind (:class:`_Table`) and one staged change
(:class:`_Write`). Nothing here knows about storages or units of work.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable, Hashable
from typing import Any, Final, Generic, Literal, Protocol, TypeVar, cast

import attrs

from onestop.domain.accounts import Account, Officer
from onestop.domain.audit import AuditRecord
from onestop.domain.catalog import Agency, Field, Procedure
from onestop.domain.codes import AgencyCode
from onestop.domain.dossier import Dossier
from onestop.domain.mail import OutboxEntry
from onestop.domain.payments import Payment
from onestop.domain.satisfaction import Complaint, Rating
from onestop.domain.sync import SyncEntry
from onestop.errors import (
    AccountNotFound,
    AgencyNotFound,
    DossierNotFound,
    FieldNotFound,
    NotFound,
    OfficerNotFound,
    PaymentNotFound,
    ProcedureNotFound,
)

_T = TypeVar("_T")


class _Versioned(Protocol):
    id: str
    version: int


_V = TypeVar("_V", bound=_Versioned)

_SeqKey = tuple[AgencyCode, dt.date]


# --- tables --------------------------------------------------------------------------------


def _entity_copy(record: _T) -> _T:
    """A shallow clone without pending domain events: a stored or loaded record has none.

    An entity's values are immutable (frozen attrs values, tuples, frozensets, enums, dates),
    so the clone shares them: a procedure is held once, however many dossiers name it.
    Only the entity itself, whose attributes may be reassigned, is new; the event buffer is
    a fresh empty list, and any other mutable container a caller put in is copied.
    """
    cls = type(record)
    clone = _CLONERS.get(cls)
    if clone is None:
        clone = _CLONERS[cls] = _cloner(cls)
    return cast(_T, clone(record))


_CLONERS: Final[dict[type[Any], Callable[[Any], Any]]] = {}
_MUTABLE: Final = frozenset({list, dict, set})


def _cloner(cls: type[Any]) -> Callable[[Any], Any]:
    """A function cloning ``cls`` field by field, written out once: 5-8x a generic loop.

    Values are assigned through the slots' descriptors, bypassing validators and
    ``__init__`` as a copy should (the record was valid when it was made).
    """
    namespace: dict[str, Any] = {
        "_new": object.__new__,
        "_cls": cls,
        "_copy": copy.copy,
        "_MUTABLE": _MUTABLE,
    }
    lines = ["def clone(record):", "    duplicate = _new(_cls)"]
    for i, attribute in enumerate(attrs.fields(cls)):
        namespace[f"_set{i}"] = getattr(cls, attribute.name).__set__
        if attribute.name == "_events":
            lines.append(f"    _set{i}(duplicate, [])")
        else:
            lines.append(f"    value = record.{attribute.name}")
            lines.append(
                f"    _set{i}(duplicate, _copy(value) if value.__class__ in _MUTABLE else value)"
            )
    lines.append("    return duplicate")
    exec("\n".join(lines), namespace)  # the text holds attrs field names only, never input
    return cast(Callable[[Any], Any], namespace["clone"])


def _same(record: _T) -> _T:
    """Frozen values cannot be changed, so sharing them is as safe as copying."""
    return record


@attrs.frozen
class _Unique(Generic[_T]):
    """A unique rule: ``what`` names it in DuplicateError; ``value`` None means exempt."""

    what: str
    value: Callable[[_T], Hashable | None]


_Mode = Literal["insert", "update", "upsert"]


@attrs.frozen
class _Spec(Generic[_T]):
    """How one kind of record is keyed, checked and copied."""

    name: str
    key: Callable[[_T], Hashable]
    not_found: Callable[[Hashable], NotFound]
    mode: _Mode
    uniques: tuple[_Unique[_T], ...] = ()
    copy: Callable[[_T], _T] = _entity_copy
    #: Values rows are listed by (a dossier's payments, an owner's dossiers): indexed, so
    #: that listing them does not scan the whole table.
    groups: dict[str, Callable[[_T], Hashable]] = attrs.field(factory=dict)


@attrs.frozen
class _ConsumedToken:
    token_id: str
    at: dt.datetime


def _national_subject(account: Account) -> Hashable | None:
    identity = account.national_identity
    return None if identity is None else identity.subject


def _dossier_code(dossier: Dossier) -> Hashable | None:
    return dossier.code


def _idempotency(dossier: Dossier) -> Hashable | None:
    if dossier.idempotency_key is None:
        return None
    return (dossier.owner_id, dossier.idempotency_key)


_ACCOUNTS: Final = _Spec[Account](
    "account",
    key=lambda a: a.id,
    not_found=AccountNotFound,
    mode="update",
    uniques=(
        _Unique("account.email", lambda a: a.email),
        _Unique("account.national_subject", _national_subject),
    ),
)
_OFFICERS: Final = _Spec[Officer](
    "officer",
    key=lambda o: o.id,
    not_found=OfficerNotFound,
    mode="update",
    uniques=(
        _Unique("officer.email", lambda o: o.email),
        _Unique("officer.external_subject", lambda o: o.external_subject),
    ),
)
_AGENCIES: Final = _Spec[Agency](
    "agency", key=lambda a: a.code, not_found=AgencyNotFound, mode="upsert", copy=_same
)
_FIELDS: Final = _Spec[Field](
    "field", key=lambda f: f.id, not_found=FieldNotFound, mode="upsert", copy=_same
)
_PROCEDURES: Final = _Spec[Procedure](
    "procedure", key=lambda p: p.code, not_found=ProcedureNotFound, mode="upsert", copy=_same
)
_DOSSIERS: Final = _Spec[Dossier](
    "dossier",
    key=lambda d: d.id,
    not_found=DossierNotFound,
    mode="update",
    uniques=(
        _Unique("dossier.code", _dossier_code),
        _Unique("dossier.idempotency_key", _idempotency),
    ),
    groups={"owner_id": lambda d: d.owner_id, "agency": lambda d: d.procedure.agency},
)
_PAYMENTS: Final = _Spec[Payment](
    "payment",
    key=lambda p: p.id,
    not_found=PaymentNotFound,
    mode="update",
    uniques=(_Unique("payment.txn_ref", lambda p: (p.gateway, p.txn_ref)),),
    groups={"dossier_id": lambda p: p.dossier_id, "state": lambda p: p.state},
)
_OUTBOX: Final = _Spec[OutboxEntry](
    "outbox_entry", key=lambda e: e.id, not_found=NotFound, mode="update"
)
_SYNC: Final = _Spec[SyncEntry](
    "sync_entry",
    key=lambda e: e.id,
    not_found=NotFound,
    mode="update",
    uniques=(_Unique("sync_entry.sequence", lambda e: (e.dossier_id, e.sequence)),),
    groups={"dossier_id": lambda e: e.dossier_id},
)
_RATINGS: Final = _Spec[Rating](
    "rating",
    key=lambda r: r.dossier_id,
    not_found=NotFound,
    mode="insert",
    copy=_same,
)
_COMPLAINTS: Final = _Spec[Complaint](
    "complaint",
    key=lambda c: c.id,
    not_found=NotFound,
    mode="insert",
    copy=_same,
    groups={"dossier_id": lambda c: c.dossier_id, "agency": lambda c: c.agency},
)
_TOKENS: Final = _Spec[_ConsumedToken](
    "token", key=lambda t: t.token_id, not_found=NotFound, mode="insert", copy=_same
)

_AUDIT: Final = _Spec[AuditRecord](
    "audit",
    key=lambda r: (r.stream, r.position),
    not_found=NotFound,
    mode="insert",
    copy=_same,
)

_SPECS: Final[dict[str, _Spec[Any]]] = {
    spec.name: spec
    for spec in (
        _ACCOUNTS,
        _OFFICERS,
        _AGENCIES,
        _FIELDS,
        _PROCEDURES,
        _DOSSIERS,
        _PAYMENTS,
        _RATINGS,
        _COMPLAINTS,
        _OUTBOX,
        _SYNC,
        _TOKENS,
        _AUDIT,
    )
}


class _Table:
    """Committed rows of one kind, with an index per unique rule."""

    def __init__(self, spec: _Spec[Any]) -> None:
        self.spec = spec
        self.rows: dict[Hashable, Any] = {}
        self.index: dict[str, dict[Hashable, Hashable]] = {u.what: {} for u in spec.uniques}
        self.groups: dict[str, dict[Hashable, set[Hashable]]] = {g: {} for g in spec.groups}

    def owner(self, what: str, value: Hashable) -> Hashable | None:
        """The key of the committed row holding ``value`` under rule ``what``, if any."""
        return self.index[what].get(value)

    def put(self, key: Hashable, row: Any) -> None:
        self.remove(key)
        self.rows[key] = row
        for group, value_of in self.spec.groups.items():
            self.groups[group].setdefault(value_of(row), set()).add(key)
        for unique in self.spec.uniques:
            value = unique.value(row)
            if value is not None:
                self.index[unique.what][value] = key

    def remove(self, key: Hashable) -> None:
        old = self.rows.pop(key, None)
        if old is None:
            return
        for group, value_of in self.spec.groups.items():
            members = self.groups[group][value_of(old)]
            members.discard(key)
            if not members:
                del self.groups[group][value_of(old)]
        for unique in self.spec.uniques:
            value = unique.value(old)
            # Another row may already have taken this value in the same commit (a swap).
            if value is not None and self.index[unique.what].get(value) == key:
                del self.index[unique.what][value]


WriteKind = Literal["insert", "update", "upsert", "delete"]


@attrs.define
class _Write:
    """One staged change: ``row`` None deletes; ``base`` is the version it was made against."""

    kind: WriteKind
    row: Any | None
    base: int | None = None


_Staged = dict[str, dict[Hashable, _Write]]


def _oldest_first(record: Dossier | Payment | OutboxEntry) -> tuple[dt.datetime, str]:
    return (record.created_at, record.id)
