"""One cattrs converter for every domain value: round trips and readable errors."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from onestop.domain.accounts import Account, Applicant, Officer
from onestop.domain.calendar import WorkingCalendar
from onestop.domain.catalog import Agency, Component, Field, Procedure
from onestop.domain.codes import SCHEME_2018, SCHEME_WIDE, AgencyCode, DossierCode
from onestop.domain.dossier import Dossier
from onestop.domain.mail import OutboxEntry
from onestop.domain.money import FeeItem, FeeLine
from onestop.domain.payments import Payment
from onestop.errors import InvalidCatalog, InvalidInput, NaiveDatetime
from onestop.serialization import dumps, loads, make_converter, structure, unstructure
from tests.strategies.calendar import working_calendars
from tests.strategies.catalog import agencies, components, fields, procedures
from tests.strategies.codes import agency_codes, dossier_codes
from tests.strategies.dossier import dossiers, outbox_entries, payments
from tests.strategies.money import fee_items, fee_lines
from tests.strategies.people import applicants, citizen_accounts, officers


def _fields(value: Any) -> dict[str, Any]:
    """Every attribute, compared by value even for entities whose equality is identity."""
    return {
        a.name: getattr(value, a.name) for a in attrs.fields(type(value)) if a.name != "_events"
    }


def _round_trip(value: Any) -> Any:
    text = dumps(value)
    json.loads(text)  # it is real JSON
    return loads(text, type(value))


VALUES: list[tuple[type[Any], st.SearchStrategy[Any]]] = [
    (AgencyCode, agency_codes()),
    (DossierCode, dossier_codes(SCHEME_2018)),
    (FeeItem, fee_items()),
    (FeeLine, fee_lines()),
    (Component, components()),
    (Field, fields()),
    (Agency, agencies()),
    (Procedure, procedures(online=None)),
    (Applicant, applicants()),
    (Account, citizen_accounts()),
    (Officer, officers()),
    (WorkingCalendar, working_calendars()),
    (Payment, payments()),
    (OutboxEntry, outbox_entries()),
    (Dossier, dossiers()),
]


@pytest.mark.parametrize(("cls", "strategy"), VALUES, ids=[c.__name__ for c, _ in VALUES])
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_round_trip(cls: type[Any], strategy: st.SearchStrategy[Any], data: st.DataObject) -> None:
    """Any domain value survives dumps/loads with every attribute equal."""
    value = data.draw(strategy)
    back = _round_trip(value)
    assert type(back) is cls
    if attrs.has(cls):
        assert _fields(back) == _fields(value)
    else:
        assert back == value


@given(dossier_codes(SCHEME_WIDE))
def test_codes_of_the_wide_scheme_round_trip(code: DossierCode) -> None:
    """A code of the wide scheme comes back with its scheme."""
    back = _round_trip(code)
    assert back == code and str(back) == str(code)


@given(dossier_codes())
def test_codes_of_any_scheme_round_trip_with_a_converter_that_knows_it(
    code: DossierCode,
) -> None:
    """A converter made for a host's scheme reads that scheme's codes back."""
    conv = make_converter([code.scheme])
    back = loads(dumps(code, conv), DossierCode, conv)
    assert back == code and back.scheme == code.scheme


def test_codes_and_instants_are_readable_text() -> None:
    """Codes travel as their canonical text, instants as ISO 8601 with offset."""
    assert unstructure(DossierCode.parse("000.00.03.H34-220622-0001")) == (
        "000.00.03.H34-220622-0001"
    )
    assert unstructure(dt.datetime(2022, 6, 22, 2, tzinfo=dt.UTC)) == "2022-06-22T02:00:00+00:00"


def test_a_naive_datetime_is_refused() -> None:
    """Reading an instant without offset fails instead of guessing a zone."""
    with pytest.raises(NaiveDatetime):
        structure("2022-06-22T02:00:00", dt.datetime)


def test_errors_list_every_problem_with_its_path() -> None:
    """A bad procedure names each bad key with its path and the rule."""
    data = {
        "code": "1.001234",
        "name": "Cấp phép",
        "agency": "000.00.03.h34",
        "field": "xay-dung",
        "working_days": "ba",
        "components": [],
        "extra": 1,
    }
    with pytest.raises(InvalidCatalog) as info:
        structure(data, Procedure, error=InvalidCatalog, field="procedure")
    message = str(info.value)
    assert "$.agency" in message and "level1" in message
    assert "$.working_days" in message and "whole number" in message
    assert "extra" in message
    assert isinstance(info.value, InvalidInput)
