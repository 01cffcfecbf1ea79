"""The host's yearly plan (days off, make-up days, Saturday sessions) from a TOML or JSON
file, merged with the holidays package."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from onestop import errors
from onestop.calendars import HolidayPlan, load_holiday_plan, vietnam_deadlines
from onestop.domain.codes import VN_TZ
from onestop.domain.deadlines import DeadlinePolicy, TimeLimit

PLAN_TOML = """
# Kế hoạch nghỉ lễ năm 2026 của tỉnh (ví dụ)
years = [2026]
days_off = [2026-01-02, "2026-04-24"]
makeup_days = [2026-01-10]
saturday_sessions = [["07:30", "11:30"]]
"""


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_toml_plan_merges_with_the_holidays_package(tmp_path: Path) -> None:
    """Tết from the package, the plan's swapped day off and its make-up Saturday."""
    plan = load_holiday_plan(_write(tmp_path, "plan-2026.toml", PLAN_TOML))
    assert plan.days_off == {dt.date(2026, 1, 2), dt.date(2026, 4, 24)}
    calendar = plan.calendar()
    assert not calendar.is_working_day(dt.date(2026, 2, 17))  # Tết, from the package
    assert not calendar.is_working_day(dt.date(2026, 1, 2))  # the plan's day off
    assert calendar.is_working_day(dt.date(2026, 1, 10))  # its make-up Saturday
    assert calendar.is_working_day(dt.date(2026, 1, 17))  # Saturday sessions: Saturdays work
    assert not calendar.is_working_day(dt.date(2026, 1, 18))  # Sunday


def test_saturday_sessions_count_in_hour_limits(tmp_path: Path) -> None:
    """Friday 13:30 + 8 working hours: 3h30 on Friday, 4h on Saturday morning, 30 minutes
    on Monday; a make-up Saturday keeps the usual full day."""
    office = load_holiday_plan(_write(tmp_path, "plan.toml", PLAN_TOML)).deadlines()
    friday = dt.datetime(2026, 1, 16, 13, 30, tzinfo=VN_TZ)
    due = office.due(friday, DeadlinePolicy(TimeLimit(8, "hours")))
    assert due == dt.datetime(2026, 1, 19, 7, 30, tzinfo=VN_TZ)
    assert office.hours.on(office.calendar, dt.date(2026, 1, 10)) == ((420, 690), (810, 1020))


def test_a_json_plan_reads_the_same(tmp_path: Path) -> None:
    data = {"days_off": ["2026-01-02"], "makeup_days": ["2026-01-10"], "years": [2026]}
    plan = load_holiday_plan(_write(tmp_path, "plan.json", json.dumps(data)))
    assert plan == HolidayPlan(
        days_off={dt.date(2026, 1, 2)}, makeup_days={dt.date(2026, 1, 10)}, years=[2026]
    )
    assert not plan.calendar().is_working_day(dt.date(2026, 1, 17))  # no Saturday sessions
    assert vietnam_deadlines([2026], plan=plan).calendar == plan.calendar()


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ('{"days_off": ["2026-13-01"]}', "days_off[0]"),
        ('{"makeup_days": "2026-01-10"}', "makeup_days"),
        ('{"saturday_sessions": [["11:30", "07:30"]]}', "saturday_sessions"),
        ('{"saturday_sessions": [["07:30"]]}', "saturday_sessions[0]"),
        ('{"years": [0]}', "year"),
        ('{"holidays": []}', "plan"),
        ("[]", "plan"),
    ],
)
def test_a_bad_plan_names_the_key(tmp_path: Path, text: str, field: str) -> None:
    with pytest.raises(errors.InvalidCalendar) as caught:
        load_holiday_plan(_write(tmp_path, "plan.json", text))
    assert caught.value.field == field


def test_an_unreadable_plan_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(errors.ConfigurationError):
        load_holiday_plan(tmp_path / "missing.toml")
    with pytest.raises(errors.ConfigurationError):
        load_holiday_plan(_write(tmp_path, "broken.toml", "days_off = ["))
