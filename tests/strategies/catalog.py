"""Hypothesis strategies for the catalog: agencies, fields, components, procedures."""

from __future__ import annotations

import datetime as dt
import string

from hypothesis import strategies as st

from onestop.domain.catalog import Agency, Component, FeesDue, Field, Procedure
from onestop.domain.codes import AgencyCode
from tests.strategies.codes import agency_codes
from tests.strategies.money import fee_items
from tests.strategies.people import vietnamese_words

__all__ = [
    "agencies",
    "components",
    "cutoffs",
    "fields",
    "media_types",
    "procedure_codes",
    "procedure_names",
    "procedures",
    "slugs",
]

_MEDIA_TYPES = (
    "application/pdf",
    "image/jpeg",
    "image/png",
    "image/tiff",
    "application/msword",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
)


def slugs() -> st.SearchStrategy[str]:
    """Ids such as ``giay-to-tuy-than`` or ``tp_01``."""
    part = st.text(alphabet=string.ascii_lowercase + string.digits, min_size=1, max_size=8)
    return st.builds(
        lambda first, rest: first + "".join(sep + p for sep, p in rest),
        part,
        st.lists(st.tuples(st.sampled_from("-_."), part), max_size=3),
    )


def media_types() -> st.SearchStrategy[str]:
    """Common media types of scanned documents."""
    return st.sampled_from(_MEDIA_TYPES)


def procedure_names() -> st.SearchStrategy[str]:
    """Procedure names made of Vietnamese words."""
    return st.lists(vietnamese_words(), min_size=1, max_size=6).map(" ".join)


def procedure_codes() -> st.SearchStrategy[str]:
    """Codes like ``1.001234``: a number, a dot, six digits."""
    return st.builds(
        lambda n, digits: f"{n}.{digits}",
        st.integers(1, 99),
        st.text(alphabet=string.digits, min_size=6, max_size=6),
    )


@st.composite
def components(draw: st.DrawFn, id: str | None = None) -> Component:
    """Valid components, with at least one original or copy and at least one media type."""
    originals = draw(st.integers(0, 3))
    copies = draw(st.integers(1 if originals == 0 else 0, 3))
    return Component(
        id=id if id is not None else draw(slugs()),
        name=draw(procedure_names()),
        originals=originals,
        copies=copies,
        mandatory=draw(st.booleans()),
        media_types=draw(st.frozensets(media_types(), min_size=1)),
        max_bytes=draw(st.integers(1, 50 * 1024 * 1024)),
    )


def fields() -> st.SearchStrategy[Field]:
    """Valid fields (lĩnh vực)."""
    return st.builds(Field, id=slugs(), name=procedure_names())


@st.composite
def agencies(draw: st.DrawFn) -> Agency:
    """Agencies with, sometimes, one of the units above them as parent."""
    code = draw(agency_codes())
    above: list[AgencyCode] = []
    parent = code.parent
    while parent is not None:
        above.append(parent)
        parent = parent.parent
    return Agency(
        code=code,
        name=draw(procedure_names()),
        parent=draw(st.sampled_from([None, *above])),
    )


@st.composite
def procedures(draw: st.DrawFn, online: bool | None = True) -> Procedure:
    """Valid procedures: unique component ids, any fees, home services and cutoff.

    ``online`` fixes whether the procedure can be filed online (None: either).
    """
    ids = draw(st.lists(slugs(), max_size=5, unique=True))
    hours = draw(st.none() | st.integers(1, 80))
    return Procedure(
        code=draw(procedure_codes()),
        name=draw(procedure_names()),
        agency=draw(agency_codes()),
        field=draw(slugs()),
        working_days=None if hours else draw(st.integers(0, 60)),
        working_hours=hours,
        supplement_rule=draw(st.sampled_from([None, "restart", "exclude_wait"])),
        components=tuple(draw(components(id=i)) for i in ids),
        fees=tuple(draw(st.lists(fee_items(), max_size=4))),
        fees_due=draw(st.sampled_from(FeesDue)),
        home_pickup=draw(st.booleans()),
        home_delivery=draw(st.booleans()),
        cutoff=draw(cutoffs()),
        description=draw(st.text(st.characters(exclude_categories=("Cc", "Cs")), max_size=30)),
        online=draw(st.booleans()) if online is None else online,
    )


def cutoffs() -> st.SearchStrategy[dt.time | None]:
    """Cutoff hours (local), or None for no cutoff."""
    return st.none() | st.builds(dt.time, st.integers(0, 23), st.sampled_from([0, 30]))
