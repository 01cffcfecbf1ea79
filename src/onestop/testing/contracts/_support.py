"""Helpers shared by the contract suites: field-by-field comparison and hypothesis strategies."""

from __future__ import annotations

import datetime as dt
from typing import Final, Literal

import attrs
from dateutil import tz
from hypothesis import strategies as st

from onestop.domain.accounts import Account, Applicant
from onestop.domain.calendar import WorkingCalendar
from onestop.domain.codes import VN_TZ
from onestop.domain.dossier import Actor, Dossier
from onestop.domain.mail import MailMessage, OutboxEntry, OutboxState
from onestop.domain.national_identity import NationalIdentity
from onestop.domain.payments import Payment, PaymentOutcome
from onestop.testing import builders

__all__ = [
    "accounts",
    "assert_same_fields",
    "aware_datetimes",
    "dossiers",
    "free_text",
    "one_line_text",
    "outbox_entries",
    "payments",
    "vietnamese_names",
]

_SYLLABLES: Final = (
    "Nguyễn",
    "Trần",
    "Lê",
    "Phạm",
    "Hoàng",
    "Huỳnh",
    "Vũ",
    "Võ",
    "Đặng",
    "Bùi",
    "Đỗ",
    "Hồ",
    "Ngô",
    "Dương",
    "Lý",
    "Văn",
    "Thị",
    "Hữu",
    "Đức",
    "Minh",
    "Ánh",
    "Thảo",
    "Ngọc",
    "Hương",
    "Quỳnh",
    "Đào",
    "Ưng",
    "Ơn",
)

_NO_SURROGATES: Final[tuple[Literal["Cs"], ...]] = ("Cs",)
_ZONES: Final = (dt.UTC, VN_TZ, tz.tzoffset(None, -5 * 3600), tz.tzoffset(None, 5 * 3600 + 1800))


def assert_same_fields(
    loaded: attrs.AttrsInstance,
    stored: attrs.AttrsInstance,
    *,
    ignore: frozenset[str] = frozenset(),
) -> None:
    """Assert each public attrs field of ``loaded`` equals ``stored``'s; name the first to differ.

    Datetimes compare as instants: an adapter may hand back another time zone.
    """
    assert type(loaded) is type(stored), f"loaded a {type(loaded)}, stored a {type(stored)}"
    for field in attrs.fields(type(stored)):
        if field.name.startswith("_") or field.name in ignore:
            continue
        got, want = getattr(loaded, field.name), getattr(stored, field.name)
        assert got == want, f"{type(stored).__name__}.{field.name}: stored {want!r}, loaded {got!r}"


def vietnamese_names() -> st.SearchStrategy[str]:
    """Full names of two to five Vietnamese syllables, diacritics included."""
    return st.lists(st.sampled_from(_SYLLABLES), min_size=2, max_size=5).map(" ".join)


def free_text(*, min_size: int = 0, max_size: int = 200) -> st.SearchStrategy[str]:
    """Text a database can hold (no NUL, no lone surrogates), already stripped."""
    return (
        st.text(
            alphabet=st.characters(exclude_categories=_NO_SURROGATES, exclude_characters="\x00"),
            min_size=min_size,
            max_size=max_size,
        )
        .map(str.strip)
        .filter(lambda s: len(s) >= min_size)
    )


def note_text(*, min_size: int = 1, max_size: int = 300) -> st.SearchStrategy[str]:
    """What a dossier step's note or reason may hold: lines and tabs, no other control
    character and no bidirectional control (``Dossier`` refuses those)."""
    return (
        st.text(
            alphabet=st.characters(
                exclude_categories=("Cc", "Cs"),
                exclude_characters="\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069",
            )
            | st.sampled_from("\n\t"),
            min_size=min_size,
            max_size=max_size,
        )
        .map(str.strip)
        .filter(lambda s: len(s) >= min_size)
    )


def address_text(*, max_size: int = 200) -> st.SearchStrategy[str]:
    """An address as ``check_text`` accepts it: one line, no control or invisible character."""
    return (
        st.text(
            alphabet=st.characters(exclude_categories=("C", "Z"), include_characters=" "),
            min_size=1,
            max_size=max_size,
        )
        .map(str.strip)
        .filter(bool)
    )


def one_line_text(*, min_size: int = 1, max_size: int = 120) -> st.SearchStrategy[str]:
    """Printable text on one line, as a mail subject must be."""
    return free_text(min_size=min_size, max_size=max_size).filter(
        lambda s: not any(c in s for c in "\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")
    )


def aware_datetimes(
    *, min_year: int = 2001, max_year: int = 2098
) -> st.SearchStrategy[dt.datetime]:
    """Aware instants in UTC, Vietnam and two other offsets, to whole microseconds."""
    return st.datetimes(
        min_value=dt.datetime(min_year, 1, 2),
        max_value=dt.datetime(max_year, 12, 30),
        timezones=st.sampled_from(_ZONES),
    )


# --- domain objects with generated content -----------------------------------------------

_DOMAINS: Final = ("example.vn", "kontum.gov.vn", "mail.example.com", "xn--bcher-kva.example")


def _emails(prefix: str) -> st.SearchStrategy[str]:
    """Unique, already normalised email addresses (a new id in each)."""
    return st.sampled_from(_DOMAINS).map(lambda domain: f"{builders.new_id(prefix)}@{domain}")


def _optional_text(max_size: int = 120) -> st.SearchStrategy[str | None]:
    return st.none() | free_text(min_size=1, max_size=max_size)


@st.composite
def accounts(draw: st.DrawFn) -> Account:
    """A citizen's account with generated names, profile text, times and login state."""
    created = draw(aware_datetimes())
    email = draw(_emails("account"))
    created_account = builders.account(
        email=email, full_name=draw(vietnamese_names()), now=created, verified=draw(st.booleans())
    )
    profile = Applicant(
        full_name=created_account.profile.full_name,
        email=email,
        phone=draw(st.none() | st.from_regex(r"0[35789][0-9]{8}", fullmatch=True)),
        address=draw(_optional_text()),
        date_of_birth=draw(st.none() | st.dates(dt.date(1900, 1, 1), dt.date(2020, 12, 31))),
        id_number=draw(st.none() | st.from_regex(r"0[0-9]{11}", fullmatch=True)),
        id_issued_by=draw(_optional_text(80)),
    )
    created_account.profile = profile
    created_account.failed_logins = draw(st.integers(0, 20))
    created_account.locked_until = draw(st.none() | aware_datetimes())
    if draw(st.booleans()):
        created_account.lock()
    if draw(st.booleans()):
        created_account.national_identity = NationalIdentity(
            subject=draw(
                st.text(
                    st.characters(codec="utf-8", exclude_categories=("C", "Z")),
                    min_size=1,
                    max_size=60,
                ).filter(str.strip)
            ),
            issuer="https://sso.dichvucong.gov.vn",
            level_of_assurance=draw(st.sampled_from([1, 2])),
            id_number=None,
            linked_at=draw(aware_datetimes()),
        )
    created_account.pull_events()
    return created_account


#: The calendar generated dossiers are received under.
_CALENDAR: Final = WorkingCalendar()


@st.composite
def dossiers(draw: st.DrawFn) -> Dossier:
    """A dossier, draft or a few steps after submission, with generated text and times."""
    now = draw(aware_datetimes(max_year=2090))
    in_hours = builders.procedure(working_days=None, working_hours=8)
    dossier = builders.draft_dossier(
        now=now, procedure=draw(st.sampled_from([builders.procedure(), in_hours]))
    )
    email = draw(_emails("applicant"))
    dossier.update_applicant(
        Applicant(
            full_name=draw(vietnamese_names()),
            email=email,
            address=draw(_optional_text(200)),
            id_issued_by=draw(_optional_text(80)),
        )
    )
    if draw(st.booleans()):
        dossier.choose_home_pickup(draw(address_text()))
    if draw(st.booleans()):
        dossier.choose_home_delivery(draw(address_text()))
    steps = draw(st.integers(0, 3))
    if steps >= 1:
        submitted = now + draw(st.timedeltas(dt.timedelta(0), dt.timedelta(days=30)))
        dossier.submit(
            code=builders.dossier_code(draw(st.integers(1, 9999)), now=submitted),
            now=submitted,
            idempotency_key=draw(st.none() | free_text(min_size=1, max_size=60)),
        )
        officer = Actor.officer(builders.new_id("officer"), draw(vietnamese_names()))
        if draw(st.booleans()):  # received: a due date (and instant, for a limit in hours)
            dossier.receive(
                officer=officer, now=submitted + dt.timedelta(minutes=30), calendar=_CALENDAR
            )
        if steps >= 2:
            dossier.request_supplement(
                officer=officer,
                now=submitted + dt.timedelta(hours=1),
                note=draw(note_text()),
            )
        if steps >= 3:
            dossier.withdraw(
                actor=Actor.applicant(dossier.owner_id, dossier.applicant.full_name),
                now=submitted + dt.timedelta(hours=2),
                reason=draw(note_text()),
            )
    dossier.pull_events()
    return dossier


@st.composite
def payments(draw: st.DrawFn) -> Payment:
    """A payment, pending or settled, with generated amount, reference and reason."""
    created = draw(aware_datetimes())
    made = builders.payment(
        amount=draw(st.integers(1, 10**12)),
        gateway=draw(st.sampled_from(("fake", "vnpay"))),
        txn_ref=builders.new_id("txn") + draw(st.from_regex(r"[A-Z0-9]{0,8}", fullmatch=True)),
        created_at=created,
    )
    outcome = draw(st.none() | st.sampled_from(PaymentOutcome))
    if outcome is not None:
        made.settle(
            outcome,
            amount=made.amount,
            now=created + dt.timedelta(minutes=draw(st.integers(0, 10_000))),
            gateway_transaction_id=draw(st.none() | st.from_regex(r"[0-9]{8,14}", fullmatch=True)),
            reason=draw(st.none() | free_text(min_size=1, max_size=200)),
        )
    return made


@st.composite
def outbox_entries(draw: st.DrawFn) -> OutboxEntry:
    """An outbox entry in any state, with a generated Vietnamese (or any) message."""
    created = draw(aware_datetimes())
    message = MailMessage(
        to=draw(_emails("to")),
        subject=draw(one_line_text(max_size=150)),
        text=draw(free_text(max_size=2000)),
        html=draw(st.none() | free_text(max_size=500)),
        template=draw(st.sampled_from(("", "account_verification", "dossier_received"))),
        locale=draw(st.sampled_from(("vi", "en"))),
    )
    entry = builders.outbox_entry(
        message=message,
        created_at=created,
        next_attempt_at=draw(st.none() | aware_datetimes()),
    )
    later = created + dt.timedelta(days=36_500)
    state = draw(st.sampled_from(OutboxState))
    if state is not OutboxState.PENDING:
        entry.claim(
            draw(free_text(min_size=1, max_size=40)),
            now=later,
            lease=dt.timedelta(seconds=draw(st.integers(1, 10**6))),
        )
        error = draw(free_text(min_size=1, max_size=500))
        if state is OutboxState.SENT:
            entry.mark_sent(now=later)
        elif state is OutboxState.FAILED:
            entry.mark_failed(error=error)
    return entry
