"""Row mapping for the SQL storage: records to and from rows and JSON documents."""

from __future__ import annotations

import functools
import json
import threading
import types
import typing
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final, TypeVar, cast

import attrs
import cattrs
from cattrs.gen import make_dict_unstructure_fn, override

from onestop.domain.accounts import Account, Officer
from onestop.domain.catalog import Procedure
from onestop.domain.codes import AgencyCode, CodeScheme, DossierCode
from onestop.domain.dossier import Attachment, Dossier, DueDateChange, HistoryEntry
from onestop.domain.files import FileRef
from onestop.domain.mail import OutboxEntry
from onestop.domain.money import FeeLine
from onestop.domain.payments import Payment
from onestop.domain.reports import static_facts
from onestop.domain.sync import SyncEntry
from onestop.errors import (
    StorageError,
)
from onestop.serialization import make_converter

_T = TypeVar("_T")
_Row = Mapping[str, Any]

# --- rows and documents --------------------------------------------------------------------


def _dumps(data: object) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


# The storage's converter: the library's rules, except that a dossier's procedure snapshot
# passes through as is. Snapshots are stored as their own text (``procedure_doc``) and read
# back through a cache: many dossiers share one snapshot, and a Procedure is frozen.
converter: Final = make_converter()
_unstructure_procedure: Final = converter.get_unstructure_hook(Procedure)
_structure_procedure: Final = converter.get_structure_hook(Procedure)


def _pass_procedures(conv: cattrs.Converter) -> None:
    conv.register_unstructure_hook(Procedure, lambda p: p)
    conv.register_structure_hook(
        Procedure, lambda v, cls: v if isinstance(v, Procedure) else _structure_procedure(v, cls)
    )


_pass_procedures(converter)
# A dossier's document leaves out the procedure (in procedure_doc) and writes its code as
# null (the code lives in its columns), so neither is turned into data only to be dropped.
converter.register_unstructure_hook(
    Dossier,
    make_dict_unstructure_fn(
        Dossier,
        converter,
        _events=override(omit=True),
        procedure=override(omit=True),
        code=override(unstruct_hook=lambda _: None),
    ),
)
# The same rules without cattrs' detailed validation: it builds the same values faster, and
# only reports a failure less precisely. Records are read with it first; one that fails is
# read again with ``converter``, whose error (every problem, with its path) is the one raised.
_fast: Final = make_converter(detailed_validation=False)
_pass_procedures(_fast)


def _homogeneous_tuple(cls: Any) -> bool:
    args = typing.get_args(cls)
    return (
        typing.get_origin(cls) is tuple
        and len(args) == 2
        and args[1] is Ellipsis
        and args[0] is not Any
    )


def _optional(cls: Any) -> bool:
    args = typing.get_args(cls)
    return (
        typing.get_origin(cls) in (typing.Union, types.UnionType)
        and len(args) == 2
        and type(None) in args
    )


def _structure_homogeneous_tuple(cls: Any) -> Callable[[Any, Any], Any]:
    # What cattrs does for tuple[X, ...] without detailed validation, X's hook found once.
    item = typing.get_args(cls)[0]
    structure_item = _fast.get_structure_hook(item)
    return lambda value, _: tuple([structure_item(v, item) for v in value])


def _structure_optional(cls: Any) -> Callable[[Any, Any], Any]:
    # What cattrs does for X | None, X's hook found once.
    (item,) = (a for a in typing.get_args(cls) if a is not type(None))
    structure_item = _fast.get_structure_hook(item)
    return lambda value, _: None if value is None else structure_item(value, item)


_fast.register_structure_hook_factory(_homogeneous_tuple, _structure_homogeneous_tuple)
_fast.register_structure_hook_factory(_optional, _structure_optional)


def _procedure_text(procedure: Procedure) -> str:
    # By identity first: a dossier read back holds the very snapshot _procedure_of gave,
    # and comparing (or hashing) a whole procedure costs more than this lookup.
    known = _TEXT_OF_PROCEDURE.get(id(procedure))
    if known is not None and known[0] is procedure:
        return known[1]
    text = _procedure_text_of_value(procedure)
    _remember_text(procedure, text)
    return text


@functools.lru_cache(maxsize=256)
def _procedure_text_of_value(procedure: Procedure) -> str:
    return _dumps(_unstructure_procedure(procedure))


@functools.lru_cache(maxsize=256)
def _procedure_of(text: str) -> Procedure:
    procedure = _structure_procedure(json.loads(text), Procedure)
    assert isinstance(procedure, Procedure)
    _remember_text(procedure, text)
    return procedure


# id(procedure) -> (procedure, its text); the procedure is held, so its id is not reused.
_TEXT_OF_PROCEDURE: Final[dict[int, tuple[Procedure, str]]] = {}


def _remember_text(procedure: Procedure, text: str) -> None:
    if len(_TEXT_OF_PROCEDURE) >= 512:
        _TEXT_OF_PROCEDURE.clear()
    _TEXT_OF_PROCEDURE[id(procedure)] = (procedure, text)


def _doc(value: object) -> dict[str, Any]:
    data = converter.unstructure(value)
    assert isinstance(data, dict)
    return data


def _load(cls: type[_T], text: str, **overrides: Any) -> _T:
    try:
        data = json.loads(text)
        data.update(overrides)
        try:
            return _fast.structure(data, cls)
        except Exception:
            pass  # read it again below, for the detailed error
        return converter.structure(data, cls)
    except Exception as e:
        raise StorageError(f"a stored {cls.__name__} cannot be read back: {e}") from e


class _ReadCache:
    """Records read back from their stored text, by (class, text, version), most recent kept.

    Reading the same text always builds the same record (or fails the same way), so a
    record read before is copied instead of built again: each caller gets its own copy
    (``_clone``), and the one kept is never handed out. An account, read by every use case,
    is the record this is for.
    """

    def __init__(self, size: int) -> None:
        self._size = size
        self._records: dict[tuple[type[Any], str, int], Any] = {}
        self._lock = threading.Lock()

    def load(self, cls: type[_T], text: str, version: int) -> _T:
        key = (cls, text, version)
        found = self._records.get(key)
        if found is None:
            found = _load(cls, text, version=version)
            with self._lock:
                if len(self._records) >= self._size:
                    self._records.pop(next(iter(self._records)))
                self._records[key] = found
        return _clone(found)


def _clone(record: _T) -> _T:
    """A copy of an attrs record whose values are immutable but for lists (the event buffer)."""
    cls = type(record)
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(a.name for a in attrs.fields(cast(Any, cls)))
    copy: _T = object.__new__(cls)
    for name in names:
        value = getattr(record, name)
        object.__setattr__(copy, name, list(value) if isinstance(value, list) else value)
    return copy


_FIELD_NAMES: Final[dict[type[Any], tuple[str, ...]]] = {}


_accounts_read: Final = _ReadCache(256)


@functools.lru_cache(maxsize=64)
def _scheme_text(scheme: CodeScheme) -> str:
    return _dumps(converter.unstructure(scheme))


@functools.lru_cache(maxsize=64)
def _scheme_of(text: str) -> CodeScheme:
    return converter.structure(json.loads(text), CodeScheme)


def _account_row(a: Account, version: int) -> dict[str, Any]:
    return {
        "id": a.id,
        "email": a.email,
        "kind": a.kind.value,
        "status": a.status.value,
        "created_at": a.created_at,
        "version": version,
        "doc": _dumps(_doc(a)),
        "national_subject": _national_subject(a),
    }


def _national_subject(a: Account) -> str | None:
    return None if a.national_identity is None else a.national_identity.subject


def _account(row: _Row) -> Account:
    return _accounts_read.load(Account, row["doc"], row["version"])


def _officer_row(o: Officer, version: int) -> dict[str, Any]:
    data = _doc(o)
    data["version"] = version
    return {
        "id": o.id,
        "email": o.email,
        "agency": o.agency.key,
        "active": o.active,
        "external_subject": o.external_subject,
        "version": version,
        "doc": _dumps(data),
    }


def _dossier_row(d: Dossier, version: int) -> dict[str, Any]:
    data = _doc(d)  # without the procedure (in procedure_doc) and the code (in its columns)
    data["version"] = version
    code = d.code
    return {
        "id": d.id,
        "owner_id": d.owner_id,
        "agency": d.procedure.agency.key,
        "procedure_code": d.procedure.code,
        "procedure_doc": _procedure_text(d.procedure),
        "status": d.status.value,
        "created_at": d.created_at,
        "submitted_at": d.submitted_at,
        "code": None if code is None else str(code),
        "code_agency": None if code is None else code.agency.key,
        "code_day": None if code is None else code.day,
        "code_seq": None if code is None else code.seq,
        "code_scheme": None if code is None else _scheme_text(code.scheme),
        "idempotency_key": d.idempotency_key,
        "version": version,
        "doc": _dumps(data),
        "due_date": d.due_date,
        "due_at": d.due_at,
        **_report_columns(d),
    }


def _report_columns(d: Dossier) -> dict[str, Any]:
    """The columns the indicator queries read; the due date has its own column above."""
    facts = static_facts(d)
    del facts["due_date"]
    return facts


def _dossier(row: _Row) -> Dossier:
    try:
        procedure = _procedure_of(row["procedure_doc"])
    except Exception as e:
        raise StorageError(f"a stored procedure snapshot cannot be read back: {e}") from e
    dossier = _load(Dossier, row["doc"], version=row["version"], procedure=procedure)
    if row["code"] is not None:
        scheme = _scheme_of(row["code_scheme"])
        if scheme.system_width or scheme.agency_style == "any":
            # The system part and the agency's own style live only in the code's text.
            dossier.code = DossierCode.parse(row["code"], scheme)
        else:
            dossier.code = DossierCode(
                AgencyCode.parse(row["code_agency"]), row["code_day"], row["code_seq"], scheme
            )
    return dossier


def _payment_row(p: Payment, version: int) -> dict[str, Any]:
    return {
        "id": p.id,
        "dossier_id": p.dossier_id,
        "gateway": p.gateway,
        "txn_ref": p.txn_ref,
        "state": p.state.value,
        "amount": p.amount,
        "created_at": p.created_at,
        "version": version,
        "doc": _dumps(_doc(p)),
    }


def _outbox_row(e: OutboxEntry, version: int) -> dict[str, Any]:
    return {
        "id": e.id,
        "state": e.state.value,
        "created_at": e.created_at,
        "next_attempt_at": e.next_attempt_at,
        "claimed_until": e.claimed_until,
        "version": version,
        "doc": _dumps(_doc(e)),
    }


def _sync_row(e: SyncEntry, version: int) -> dict[str, Any]:
    return {
        "id": e.id,
        "dossier_id": e.dossier_id,
        "sequence": e.sequence,
        "state": e.state.value,
        "created_at": e.created_at,
        "next_attempt_at": e.next_attempt_at,
        "claimed_until": e.claimed_until,
        "version": version,
        "doc": _dumps(_doc(e)),
    }


def _files_of(dossier: Dossier) -> tuple[Attachment | FileRef, ...]:
    """The rows of ``onestop_dossier_files``: the attachments, then the result documents."""
    return (*dossier.attachments, *dossier.results)


def _file_rows(
    dossier_id: str, start: int, items: Iterable[Attachment | FileRef]
) -> list[dict[str, Any]]:
    rows = []
    for i, item in enumerate(items, start):
        if isinstance(item, Attachment):
            ref, component, kind = item.file, item.component_id, "component"
            digitised, reused = item.digitised, item.reused
        else:
            ref, component, kind, digitised, reused = item, "", "result", False, False
        rows.append(
            {
                "dossier_id": dossier_id,
                "position": i,
                "component_id": component,
                "file_key": ref.key,
                "name": ref.name,
                "media_type": ref.media_type,
                "size": ref.size,
                "sha256": ref.sha256,
                "digitised": digitised,
                "reused": reused,
                "kind": kind,
            }
        )
    return rows


def _fee_rows(dossier_id: str, start: int, items: Iterable[FeeLine]) -> list[dict[str, Any]]:
    return [
        {
            "dossier_id": dossier_id,
            "position": i,
            "kind": line.kind.value,
            "quantity": line.quantity,
            "unit_amount": line.unit_amount,
            "amount": line.amount,
            "description": line.description,
        }
        for i, line in enumerate(items, start)
    ]


def _history_rows(
    dossier_id: str, start: int, items: Iterable[HistoryEntry]
) -> list[dict[str, Any]]:
    return [
        {
            "dossier_id": dossier_id,
            "position": i,
            "at": h.at,
            "actor_kind": h.actor.kind.value,
            "actor_id": h.actor.id,
            "actor_name": h.actor.name,
            "action": h.action,
            "from_status": None if h.from_status is None else h.from_status.value,
            "to_status": h.to_status.value,
            "note": h.note,
        }
        for i, h in enumerate(items, start)
    ]


def _due_date_rows(
    dossier_id: str, start: int, items: Iterable[DueDateChange]
) -> list[dict[str, Any]]:
    return [
        {
            "dossier_id": dossier_id,
            "position": i,
            "due_date": c.due_date,
            "due_at": c.due_at,
            "set_at": c.set_at,
            "actor_kind": c.by.kind.value,
            "actor_id": c.by.id,
            "actor_name": c.by.name,
            "reason": c.reason.value,
        }
        for i, c in enumerate(items, start)
    ]


@attrs.frozen
class _Children:
    """A dossier's child rows as this transaction last read or wrote them, at ``version``."""

    version: int
    #: The attachments, then the result documents (:func:`_files_of`).
    attachments: tuple[Attachment | FileRef, ...]
    fee_lines: tuple[FeeLine, ...]
    history: tuple[HistoryEntry, ...]
    due_dates: tuple[DueDateChange, ...] = ()

    @classmethod
    def of(cls, dossier: Dossier, version: int) -> _Children:
        return cls(
            version, _files_of(dossier), dossier.fee_lines, dossier.history, dossier.due_dates
        )
