"""Catalog use cases: browse agencies and fields, search procedures, load a catalog file.

Search ignores Vietnamese diacritics and case ("dang ky kinh doanh" finds "Đăng ký kinh
doanh hộ kinh doanh"), knows everyday names and abbreviations ("cccd", "sổ đỏ"), ranks
the procedure people mean first (:mod:`onestop.domain.search`), a page at a time. A
catalog file is JSON ``{"agencies": [...], "fields": [...], "procedures": [...]}`` read
through the library's one converter; a bad file is refused as a whole, with every problem
named by its JSON path (``procedures[2].working_days: ...``).
"""

from __future__ import annotations

import enum
import hashlib
import importlib.resources
import json
import os
import re
import typing
import warnings
from collections.abc import Callable, Collection, Iterable, Sequence
from pathlib import Path
from typing import Any

import attrs
import cattrs
from cattrs.cols import homogenous_tuple_structure_factory, list_structure_factory

from onestop.application.arguments import checked_methods
from onestop.application.audit import record_admin_action
from onestop.application.context import AppContext
from onestop.application.pagination import Page, check_page
from onestop.domain.catalog import Agency, Field, Procedure
from onestop.domain.codes import AgencyCode
from onestop.domain.search import SearchPlan, Synonyms, rank
from onestop.errors import InvalidCatalog, InvalidInput, ProcedureNotFound, show_value
from onestop.ports.storage import UnitOfWork
from onestop.serialization import converter, parse_json

__all__ = ["CatalogLoadReport", "CatalogService", "shipped_synonyms"]

# A file with thousands of broken entries should still give a message one can read.
_MAX_PROBLEMS_SHOWN = 50
#: The largest catalog file load_json reads: 64 MiB, ten times a 6,000-procedure catalog.
MAX_CATALOG_FILE_SIZE = 64 * 1024 * 1024

#: Longest search query: longer than any procedure's name, short enough that folding it
#: for each of thousands of procedures stays cheap.
MAX_QUERY_LENGTH = 500
#: Most agencies one search may be limited to.
MAX_SEARCH_AGENCIES = 1000

# The library's converter, made to refuse a JSON text or object where a list belongs: by
# default a text is iterated letter by letter, which hides the mistake behind odd errors.
_converter = converter.copy()


def _list_hook(type_: Any) -> Callable[[Any, Any], Any]:
    if typing.get_origin(type_) is tuple:
        build = homogenous_tuple_structure_factory(type_, _converter)
    elif typing.get_origin(type_) is list:
        build = list_structure_factory(type_, _converter)
    else:
        build = converter.get_structure_hook(type_)

    def structure(value: Any, cls: Any) -> Any:
        if not isinstance(value, list):
            raise InvalidCatalog("list", "must be a JSON list", value)
        return build(value, cls)

    return structure


def _is_list_like(type_: Any) -> bool:
    """A list, frozenset or variable-length tuple type: read from a JSON list only."""
    origin: Any = typing.get_origin(type_)
    if origin is tuple:
        return typing.get_args(type_)[-1:] == (...,)
    return origin is list or origin is frozenset


_converter.register_structure_hook_factory(_is_list_like, _list_hook)


@attrs.frozen
class CatalogFile:
    """The content of a catalog file: agencies, fields and procedures, each a JSON list."""

    agencies: tuple[Agency, ...] = ()
    fields: tuple[Field, ...] = ()
    procedures: tuple[Procedure, ...] = ()


@attrs.frozen
class CatalogLoadReport:
    """How many agencies, fields and procedures a catalog file put (added or replaced)."""

    agencies: int
    fields: int
    procedures: int


@checked_methods
class CatalogService:
    """The catalog of public services, as applicants browse it and hosts load it."""

    def __init__(self, ctx: AppContext) -> None:
        self._ctx = ctx
        self._synonyms = shipped_synonyms()

    def extend_synonyms(self, path: str | os.PathLike[str]) -> None:
        """Add the synonym rules of a host's file (UTF-8) to those search uses.

        One rule a line: ``typed phrase = catalogue phrase | another`` or ``! filler, words``
        (see :class:`onestop.domain.search.Synonyms`). InvalidInput names the line at fault;
        InvalidInput too for a file that cannot be read.
        """
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError, ValueError) as e:
            raise InvalidInput("synonyms", f"cannot be read: {e}", str(path)) from e
        self._synonyms = self._synonyms.merged(Synonyms.parse(text, source=str(path)))

    # --- browsing -------------------------------------------------------------------------

    def list_agencies(self) -> Sequence[Agency]:
        """Every agency (Đơn vị), ordered by code (a unit before the units under it)."""
        with self._ctx.storage.unit_of_work() as uow:
            return tuple(uow.catalog.list_agencies())

    def list_fields(self, agency: AgencyCode | str | None = None) -> Sequence[Field]:
        """Every field (Lĩnh vực) by id; given an agency, those it has procedures in.

        AgencyNotFound for an agency the catalog does not have.
        """
        with self._ctx.storage.unit_of_work() as uow:
            fields = tuple(uow.catalog.list_fields())
            if agency is None:
                return fields
            code = _agency_code(agency)
            uow.catalog.get_agency(code)
            used = {p.field for p in uow.catalog.list_procedures(agency=code)}
        return tuple(f for f in fields if f.id in used)

    def get_procedure(self, code: str) -> Procedure:
        """The procedure, or ProcedureNotFound."""
        with self._ctx.storage.unit_of_work() as uow:
            return uow.catalog.get_procedure(code)

    def search(
        self,
        query: str = "",
        *,
        agency: AgencyCode | str | Collection[AgencyCode | str] | None = None,
        with_sub_agencies: bool = False,
        field: str | None = None,
        page: int = 1,
        page_size: int | None = None,
    ) -> Page[Procedure]:
        """Procedures for ``query`` as people type it, the one they most likely mean first.

        Words match whole words of the name (the last word also as the start of one, while
        it is typed), with or without diacritics; synonyms and abbreviations count; the
        field's and agency's names count less; a procedure code finds that procedure first.
        Procedures having every word come first, else those having the most. Empty query:
        every procedure, by code.

        Optionally of one field and of one agency or several (a portal's own: a code or a
        list of codes, at most :data:`MAX_SEARCH_AGENCIES`), each with every agency under it
        if ``with_sub_agencies``; AgencyNotFound / FieldNotFound if the catalog lacks one.
        ``page`` from 1, ``page_size`` up to ``Settings.max_page_size``
        (``Settings.page_size`` if None). InvalidInput names ``query``, ``agency``, ``page``
        or ``page_size``.
        """
        if not isinstance(query, str):
            raise InvalidInput("query", "must be text", query)
        if len(query) > MAX_QUERY_LENGTH:
            raise InvalidInput(
                "query",
                f"must be at most {MAX_QUERY_LENGTH} characters",
                query,
                rule_code="too_long",
                limits={"max_length": MAX_QUERY_LENGTH},
            )
        settings = self._ctx.settings
        page, size = check_page(
            page, page_size, default=settings.page_size, maximum=settings.max_page_size
        )
        codes = _agency_codes(agency)
        plan = SearchPlan.of(query, self._synonyms)
        with self._ctx.storage.unit_of_work() as uow:
            scope = _agency_scope(uow, codes, with_sub_agencies)
            if field is not None:
                uow.catalog.get_field(field)
            if not plan.terms:
                return Page.of(_procedures_of(uow, scope, field), page=page, page_size=size)
            ranked = rank(plan, uow.catalog.search(plan, agency=scope, field=field))
            exact = _by_code(uow, query.strip(), scope, field)
            if exact is not None:
                ranked = [exact, *(c for c in ranked if c != exact)]
            start = (page - 1) * size
            items = tuple(uow.catalog.get_procedure(c) for c in ranked[start : start + size])
        return Page(items=items, page=page, page_size=size, total=len(ranked))

    # --- editing --------------------------------------------------------------------------

    def put_agency(self, agency: Agency) -> None:
        """Add or replace an agency (keyed by its code); its parent must be in the catalog.

        AgencyNotFound otherwise.
        """
        with self._ctx.storage.unit_of_work() as uow:
            if agency.parent is not None:
                uow.catalog.get_agency(agency.parent)
            uow.catalog.put_agency(agency)
            uow.commit()

    def put_field(self, field: Field) -> None:
        """Add or replace a field (keyed by its id)."""
        with self._ctx.storage.unit_of_work() as uow:
            uow.catalog.put_field(field)
            uow.commit()

    def put_procedure(self, procedure: Procedure) -> None:
        """Add or replace a procedure; its agency and field must be in the catalog already.

        AgencyNotFound / FieldNotFound otherwise.
        """
        with self._ctx.storage.unit_of_work() as uow:
            uow.catalog.get_agency(procedure.agency)
            uow.catalog.get_field(procedure.field)
            uow.catalog.put_procedure(procedure)
            uow.commit()

    # --- files ----------------------------------------------------------------------------

    def load_json(
        self,
        path: str | os.PathLike[str] | bytes,
        *,
        progress: Callable[[int, int], None] | None = None,
    ) -> CatalogLoadReport:
        """Put every entry of the catalog file at ``path``, or none.

        ``progress(done, total)``, if given, is called as entries are stored (a command shows
        a progress bar with it); the entries are committed together at the end.

        Entries replace those with the same key. Each procedure's agency and field must be in
        the file or in the catalog already. InvalidCatalog lists every problem by JSON path.
        The JSON itself goes to :meth:`load_json_text` (bytes given here still work, with a
        DeprecationWarning, for one release).
        """
        if isinstance(path, bytes | bytearray):
            warnings.warn(
                "CatalogService.load_json(bytes) is deprecated: load_json takes a path; "
                "give the JSON itself to load_json_text",
                DeprecationWarning,
                stacklevel=3,  # past checked_methods' wrapper
            )
            return self._load(bytes(path), progress)
        return self._load(_read_path(path), progress)

    def load_json_text(
        self, document: str | bytes, *, progress: Callable[[int, int], None] | None = None
    ) -> CatalogLoadReport:
        """:meth:`load_json` for the catalog's JSON itself: text, or bytes in UTF-8."""
        if isinstance(document, str):
            try:
                document = document.encode("utf-8")
            except UnicodeEncodeError as e:  # a lone surrogate
                raise InvalidCatalog(
                    "catalog", "must be valid Unicode text (it holds a lone surrogate)"
                ) from e
        return self._load(bytes(document), progress)

    def _load(
        self, content: bytes, progress: Callable[[int, int], None] | None = None
    ) -> CatalogLoadReport:
        data = parse_json(
            content, max_size=MAX_CATALOG_FILE_SIZE, error=InvalidCatalog, field="catalog"
        )
        catalog = _structure(data)
        total = len(catalog.agencies) + len(catalog.fields) + len(catalog.procedures)
        done = 0

        def stored() -> None:
            nonlocal done
            done += 1
            if progress is not None and (done % 50 == 0 or done == total):
                progress(done, total)

        with self._ctx.storage.unit_of_work() as uow:
            _raise_problems(_cross_reference_problems(catalog, uow))
            # Codes sort a unit before the units under it, so parents go in first.
            for agency in sorted(catalog.agencies, key=lambda a: a.code):
                uow.catalog.put_agency(agency)
                stored()
            for field in catalog.fields:
                uow.catalog.put_field(field)
                stored()
            for procedure in catalog.procedures:
                uow.catalog.put_procedure(procedure)
                stored()
            record_admin_action(
                uow,
                self._ctx,
                "catalog.loaded",
                "catalog",
                by="operator",
                sha256=hashlib.sha256(content).hexdigest(),
                agencies=len(catalog.agencies),
                fields=len(catalog.fields),
                procedures=len(catalog.procedures),
            )
            uow.commit()
        return CatalogLoadReport(
            agencies=len(catalog.agencies),
            fields=len(catalog.fields),
            procedures=len(catalog.procedures),
        )

    def dump_json(self) -> bytes:
        """The whole catalog as a catalog file (UTF-8 JSON) that :meth:`load_json` reads back."""
        with self._ctx.storage.unit_of_work() as uow:
            catalog = CatalogFile(
                agencies=tuple(uow.catalog.list_agencies()),
                fields=tuple(uow.catalog.list_fields()),
                procedures=tuple(uow.catalog.list_procedures()),
            )
        text = json.dumps(_converter.unstructure(catalog), ensure_ascii=False, indent=2)
        return (text + "\n").encode("utf-8")


# --- reading a catalog file ----------------------------------------------------------------


def shipped_synonyms() -> Synonyms:
    """The synonym and abbreviation table the library ships (``domain/synonyms-vi.txt``)."""
    global _shipped
    if _shipped is None:
        text = importlib.resources.files("onestop.domain").joinpath("synonyms-vi.txt")
        _shipped = Synonyms.parse(text.read_text(encoding="utf-8"), source="synonyms-vi.txt")
    return _shipped


_shipped: Synonyms | None = None
_PROCEDURE_CODE = re.compile(r"[0-9]+\.[0-9]{6}")


def _by_code(uow: UnitOfWork, text: str, scope: _Scope, field: str | None) -> str | None:
    """The code ``text`` is, if a procedure of the scope has it."""
    if not _PROCEDURE_CODE.fullmatch(text):
        return None
    try:
        procedure = uow.catalog.get_procedure(text)
    except ProcedureNotFound:
        return None
    if not _in_scope(procedure.agency, scope) or (field is not None and procedure.field != field):
        return None
    return procedure.code


def _agency_code(agency: AgencyCode | str) -> AgencyCode:
    return agency if isinstance(agency, AgencyCode) else AgencyCode.parse(agency)


#: The agencies a search is limited to: None (every one), one, or any of a set.
_Scope = AgencyCode | frozenset[AgencyCode] | None


def _agency_codes(
    agency: AgencyCode | str | Collection[AgencyCode | str] | None,
) -> tuple[AgencyCode, ...] | None:
    """The agency codes a search names, each once (InvalidInput for none or too many)."""
    if agency is None:
        return None
    if isinstance(agency, AgencyCode | str):
        return (_agency_code(agency),)
    if len(agency) > MAX_SEARCH_AGENCIES:
        raise InvalidInput(
            "agency",
            f"must name at most {MAX_SEARCH_AGENCIES} agencies",
            agency,
            rule_code="at_most",
            limits={"maximum": MAX_SEARCH_AGENCIES},
        )
    codes = tuple(dict.fromkeys(_agency_code(a) for a in agency))
    if not codes:
        raise InvalidInput(
            "agency",
            "must name at least one agency (None: every agency)",
            agency,
            rule_code="at_least",
            limits={"minimum": 1},
        )
    return codes


def agencies_in_scope(
    uow: UnitOfWork, codes: Iterable[AgencyCode], with_sub_agencies: bool
) -> frozenset[AgencyCode]:
    """The agencies ``codes`` name (AgencyNotFound if the catalog lacks one) and, if asked,
    every agency under one of them: what a search or a report covers."""
    named = frozenset(codes)
    for code in named:
        uow.catalog.get_agency(code)
    if not with_sub_agencies:
        return named
    below = {
        a.code
        for a in uow.catalog.list_agencies()
        if any(code.is_ancestor_of(a.code) for code in named)
    }
    return named.union(below)


def _agency_scope(
    uow: UnitOfWork, codes: tuple[AgencyCode, ...] | None, with_sub_agencies: bool
) -> _Scope:
    """The agencies searched: None for every one, one code, or a set."""
    if codes is None:
        return None
    scope = agencies_in_scope(uow, codes, with_sub_agencies)
    return next(iter(scope)) if len(scope) == 1 else scope


def _in_scope(agency: AgencyCode, scope: _Scope) -> bool:
    if scope is None:
        return True
    return agency == scope if isinstance(scope, AgencyCode) else agency in scope


def _procedures_of(uow: UnitOfWork, scope: _Scope, field: str | None) -> list[Procedure]:
    """Every procedure of the scope, by code."""
    if scope is None or isinstance(scope, AgencyCode):
        return list(uow.catalog.list_procedures(agency=scope, field=field))
    found = [p for a in scope for p in uow.catalog.list_procedures(agency=a, field=field)]
    return sorted(found, key=lambda p: p.code)


def _read_path(source: str | os.PathLike[str]) -> bytes:
    """A catalog file's bytes: at most MAX_CATALOG_FILE_SIZE + 1, enough to tell it is over."""
    if not isinstance(source, str | os.PathLike):
        raise InvalidCatalog("catalog", "must be a file path (str or Path)", source)
    if isinstance(source, str) and source.lstrip()[:1] in ("{", "["):
        raise InvalidCatalog(
            "catalog",
            "must be a file path; this looks like the JSON itself: use load_json_text",
            source[:40],
        )
    try:
        with Path(source).open("rb") as file:
            return file.read(MAX_CATALOG_FILE_SIZE + 1)
    except OSError as e:  # missing, a directory, unreadable...
        raise InvalidCatalog(
            "catalog", f"cannot be read: {e.strerror or type(e).__name__}", source
        ) from e
    except (ValueError, TypeError) as e:  # a NUL or lone surrogate in the path, a bad PathLike
        raise InvalidCatalog(
            "catalog", "must be a usable file path (no NUL or lone surrogates)", source
        ) from e


def _structure(data: Any) -> CatalogFile:
    if not isinstance(data, dict):
        raise InvalidCatalog(
            "catalog", 'must be a JSON object like {"agencies": [], "fields": [], "procedures": []}'
        )
    try:
        return _converter.structure(data, CatalogFile)
    except cattrs.BaseValidationError as e:
        _raise_problems(_problems(e, ""))
        raise  # unreachable: cattrs reports at least one problem


def _raise_problems(problems: Sequence[str]) -> None:
    if not problems:
        return
    shown = list(problems[:_MAX_PROBLEMS_SHOWN])
    if len(problems) > len(shown):
        shown.append(f"… and {len(problems) - len(shown)} more")
    raise InvalidCatalog("catalog", "is not valid:\n  " + "\n  ".join(shown))


def _problems(error: BaseException, path: str, expected: Any = None) -> list[str]:
    """Every leaf error under ``error``, as ``path: rule`` lines with JSON paths."""
    if isinstance(error, cattrs.ClassValidationError):
        found: list[str] = []
        with_notes, without_notes = error.group_exceptions()
        for sub, note in with_notes:
            found += _problems(sub, _join(path, note.name), note.type)
        for sub in without_notes:
            found += _problems(sub, path, error.cl)
        return found
    if isinstance(error, cattrs.IterableValidationError):
        found = []
        indexed, unindexed = error.group_exceptions()
        for sub, item_note in indexed:
            found += _problems(sub, f"{path}[{item_note.index}]", item_note.type)
        for sub in unindexed:
            found += _problems(sub, path, expected)
        return found
    return [_describe(error, path or "catalog", expected)]


def _describe(error: BaseException, path: str, expected: Any) -> str:
    if isinstance(error, InvalidInput):
        # The domain names a problem from inside the entry ("procedure.working_days"), while
        # the path already says which entry it is: keep only what lies below the entry.
        _, dot, inner = error.field.partition(".")
        if dot:
            path = _join(path, inner)
        elif attrs.has(expected) and error.field in attrs.fields_dict(expected):
            path = _join(path, error.field)
        got = f" (got {show_value(error.value)})" if error.value is not None else ""
        return f"{path}: {error.rule}{got}"
    if isinstance(error, cattrs.ForbiddenExtraKeysError):
        allowed = ", ".join(attrs.fields_dict(error.cl)) if attrs.has(error.cl) else ""
        unknown = sorted(error.extra_fields)
        shown = ", ".join(show_value(key, 40) for key in unknown[:10])
        more = f" and {len(unknown) - 10} more" if len(unknown) > 10 else ""
        return f"{path}: has unknown key(s) {shown}{more} (allowed: {allowed})"
    if isinstance(error, KeyError):
        return f"{path}: is required"
    if isinstance(expected, type) and issubclass(expected, enum.Enum):
        choices = ", ".join(repr(m.value) for m in expected)
        return f"{path}: must be one of {choices}"
    if attrs.has(expected):
        keys = ", ".join(attrs.fields_dict(expected))
        return f"{path}: must be a JSON object with the keys {keys}"
    if isinstance(error, TypeError | AttributeError):
        return f"{path}: must be a JSON list"
    return f"{path}: {show_value(str(error), 200)}"


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _cross_reference_problems(catalog: CatalogFile, uow: UnitOfWork) -> list[str]:
    """Entries listed twice, and parents, agencies or fields that are nowhere to be found."""
    problems = _duplicates("agencies", (str(a.code) for a in catalog.agencies), "code")
    problems += _duplicates("fields", (f.id for f in catalog.fields), "id")
    problems += _duplicates("procedures", (p.code for p in catalog.procedures), "code")
    agencies = {a.code for a in catalog.agencies} | {a.code for a in uow.catalog.list_agencies()}
    fields = {f.id for f in catalog.fields} | {f.id for f in uow.catalog.list_fields()}
    for i, agency in enumerate(catalog.agencies):
        if agency.parent is not None and agency.parent not in agencies:
            problems.append(
                f"agencies[{i}].parent: must be an agency of the file or of the catalog "
                f"(got '{agency.parent}')"
            )
    for i, procedure in enumerate(catalog.procedures):
        if procedure.agency not in agencies:
            problems.append(
                f"procedures[{i}].agency: must be an agency of the file or of the catalog "
                f"(got '{procedure.agency}')"
            )
        if procedure.field not in fields:
            problems.append(
                f"procedures[{i}].field: must be a field of the file or of the catalog "
                f"(got '{procedure.field}')"
            )
    return problems


def _duplicates(section: str, keys: Iterable[str], key_name: str) -> list[str]:
    first_at: dict[str, int] = {}
    problems = []
    for i, key in enumerate(keys):
        if key in first_at:
            problems.append(
                f"{section}[{i}].{key_name}: '{key}' is listed twice "
                f"(first at {section}[{first_at[key]}])"
            )
        else:
            first_at[key] = i
    return problems
