"""Hypothesis strategies for agency ids, code schemes, dossier codes and aware instants."""

from __future__ import annotations

import datetime as dt
import string
import zoneinfo

from dateutil import tz
from hypothesis import strategies as st

from onestop.domain.codes import (
    SCHEME_2018,
    SCHEME_2018_LEFT_TO_RIGHT,
    SCHEME_2025_CENTRAL,
    SCHEME_WIDE,
    VN_TZ,
    AgencyCode,
    CodeScheme,
    DossierCode,
)

__all__ = [
    "SHIPPED_SCHEMES",
    "agency_codes",
    "aware_datetimes",
    "code_schemes",
    "dossier_codes",
    "left_to_right_only_agencies",
    "scheme_days",
    "separators",
    "time_zones",
]

# Zones with DST, half-hour and 45-minute offsets, the date line, and Vietnam itself; only
# those the machine's tz database has (the fixed offsets below need none).
_ZONE_NAMES = (
    "Asia/Ho_Chi_Minh",
    "Asia/Bangkok",
    "Asia/Kathmandu",
    "Australia/Lord_Howe",
    "America/St_Johns",
    "America/New_York",
    "Europe/Paris",
    "Pacific/Kiritimati",
    "Pacific/Pago_Pago",
)
_AVAILABLE_ZONES = sorted(set(_ZONE_NAMES) & zoneinfo.available_timezones())


#: Every scheme the library ships (the centralised one issuing as system 07 and reading any).
SHIPPED_SCHEMES = (
    SCHEME_2018,
    SCHEME_WIDE,
    SCHEME_2018_LEFT_TO_RIGHT,
    SCHEME_2025_CENTRAL,
    SCHEME_2025_CENTRAL.issued_by("07"),
)


def _level1s() -> st.SearchStrategy[str]:
    letters = st.sampled_from("HG") | st.sampled_from(string.ascii_uppercase)
    return st.builds(lambda letter, n: f"{letter}{n:02d}", letters, st.integers(1, 99))


def left_to_right_only_agencies() -> st.SearchStrategy[AgencyCode]:
    """Left-to-right ids whose units do not fit the 2016 widths (no fixed-width form)."""
    unit = st.text(alphabet=string.ascii_uppercase + string.digits, min_size=1, max_size=4)
    units = st.lists(unit.filter(lambda u: u.strip("0") != ""), min_size=1, max_size=6)
    return st.builds(AgencyCode.from_units, _level1s(), units.map(tuple)).filter(
        lambda a: not a.has_fixed_form and len(str(a)) <= 35
    )


def agency_codes(style: str | None = None) -> st.SearchStrategy[AgencyCode]:
    """Valid agency ids of every depth, mostly provinces (H) and ministries (G).

    ``style="fixed"`` gives ids written in the 2016 style, ``"left_to_right"`` ids written
    left to right (some with no fixed-width form), ``"any"`` both; None (the default) ids of
    units the 2016 style can write, printed in either style, so any scheme can issue them.
    """
    fixed = _fixed_width_agencies()
    converted = fixed.map(lambda a: a.written("left_to_right"))
    if style == "fixed":
        return fixed
    if style == "left_to_right":
        return converted | left_to_right_only_agencies()
    if style == "any":
        return fixed | converted | left_to_right_only_agencies()
    return fixed | converted


def _fixed_width_agencies() -> st.SearchStrategy[AgencyCode]:
    level1 = _level1s()
    # Draw the deeper levels, then cut at a random depth: a unit always sits under its parent.
    return st.builds(
        lambda top, l2, l3, l4, depth: AgencyCode(
            top,
            l2 if depth >= 2 else 0,
            l3 if depth >= 3 else 0,
            l4 if depth >= 4 else 0,
        ),
        level1,
        st.integers(1, 99),
        st.integers(1, 99),
        st.integers(1, 999),
        st.integers(1, 4),
    )


def separators() -> st.SearchStrategy[str]:
    """Valid separators: one or two punctuation characters."""
    return st.text(alphabet="-_/|:#~+*", min_size=1, max_size=2)


def code_schemes() -> st.SearchStrategy[CodeScheme]:
    """The shipped schemes and generated valid ones (any token order, width, separator)."""
    patterns = st.permutations(["YY", "MM", "DD"]) | st.permutations(["YYYY", "MM", "DD"])
    generated = st.builds(
        CodeScheme,
        name=st.text(alphabet=string.ascii_letters + string.digits + "/-", min_size=1, max_size=12),
        date_pattern=patterns.map("".join),
        seq_width=st.integers(1, 9),
        separator=separators(),
        agency_style=st.sampled_from(["fixed", "left_to_right", "any"]),
        seq_grows=st.booleans(),
        system_width=st.integers(0, 4),
    )
    return st.sampled_from(SHIPPED_SCHEMES) | generated


def scheme_days(scheme: CodeScheme) -> st.SearchStrategy[dt.date]:
    """Days the scheme can write (2000 to 2099 for a two-digit year)."""
    return st.dates(min_value=scheme.earliest_day, max_value=scheme.latest_day)


@st.composite
def _dossier_codes(draw: st.DrawFn, scheme: CodeScheme | None) -> DossierCode:
    chosen = scheme if scheme is not None else draw(code_schemes())
    style = chosen.agency_style
    system = chosen.system
    if system is None:
        width = chosen.system_width
        system = draw(st.text(alphabet=string.digits, min_size=width, max_size=width))
    return DossierCode(
        agency=draw(agency_codes(style)),
        day=draw(scheme_days(chosen)),
        seq=draw(st.integers(1, chosen.max_seq)),
        scheme=chosen,
        system=system,
    )


def dossier_codes(scheme: CodeScheme | None = None) -> st.SearchStrategy[DossierCode]:
    """Valid dossier codes under ``scheme``, or under any scheme from :func:`code_schemes`."""
    return _dossier_codes(scheme)


def time_zones() -> st.SearchStrategy[dt.tzinfo]:
    """Fixed offsets (whole minutes, up to a day either way), VN_TZ and a few real zones."""
    offsets = st.integers(-24 * 60 + 1, 24 * 60 - 1).map(lambda m: dt.timedelta(minutes=m))
    fixed: st.SearchStrategy[dt.tzinfo] = st.one_of(
        st.sampled_from([dt.UTC, VN_TZ, dt.timezone(dt.timedelta(hours=7))]),
        offsets.map(dt.timezone),
        offsets.map(lambda delta: tz.tzoffset(None, delta)),
    )
    if not _AVAILABLE_ZONES:
        return fixed
    return fixed | st.sampled_from(_AVAILABLE_ZONES).map(zoneinfo.ZoneInfo)


_EARLIEST = dt.datetime(1900, 1, 1)
_LATEST = dt.datetime(2200, 12, 31)


def aware_datetimes(
    min_value: dt.datetime = _EARLIEST, max_value: dt.datetime = _LATEST
) -> st.SearchStrategy[dt.datetime]:
    """Aware instants in assorted time zones; the naive bounds keep clear of year 1 and 9999.

    Wall-clock times that do not exist or exist twice (daylight-saving gaps and folds) are
    left out: Python compares them across zones by rules of their own (PEP 495).
    """
    return st.datetimes(min_value=min_value, max_value=max_value, timezones=time_zones()).filter(
        _unambiguous
    )


def _unambiguous(value: dt.datetime) -> bool:
    there_and_back = value.astimezone(dt.UTC).astimezone(value.tzinfo)
    other_fold = value.replace(fold=1 - value.fold)
    return there_and_back.replace(tzinfo=None) == value.replace(tzinfo=None) and (
        other_fold.utcoffset() == value.utcoffset()
    )
