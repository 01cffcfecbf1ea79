"""Factories for valid domain objects, for contract suites and any other test.

Every builder returns a fresh, valid object with sensible Vietnamese defaults; keyword
arguments change what a test cares about. Ids default to new unique ones (``new_id``), so
records built in one test never collide in a shared database. Times default to :data:`T0`,
a Wednesday morning in Vietnam; builders that make a history step forward from ``now``.

Needs only the core dependencies (no pytest, no hypothesis).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import Iterable
from typing import Final

from onestop.domain.accounts import Account, Applicant, Officer
from onestop.domain.calendar import WorkingCalendar
from onestop.domain.catalog import DEFAULT_CUTOFF, Agency, Component, FeesDue, Field, Procedure
from onestop.domain.codes import SCHEME_2018, VN_TZ, AgencyCode, CodeScheme, DossierCode
from onestop.domain.deadlines import SupplementRule
from onestop.domain.dossier import Actor, Dossier
from onestop.domain.files import FileRef
from onestop.domain.mail import MailMessage, OutboxEntry
from onestop.domain.money import FeeItem, FeeKind
from onestop.domain.payments import Payment

__all__ = [
    "AGENCY",
    "FIELD_ID",
    "PROCEDURE_CODE",
    "T0",
    "account",
    "agency",
    "applicant",
    "component",
    "decided_dossier",
    "dossier_code",
    "draft_dossier",
    "field",
    "file_ref",
    "mail_message",
    "new_id",
    "officer",
    "outbox_entry",
    "payment",
    "procedure",
    "submitted_dossier",
]

#: 22 June 2022, 09:30 in Vietnam: the day of the portal guide's example code.
T0: Final = dt.datetime(2022, 6, 22, 9, 30, tzinfo=VN_TZ)
#: Unit 03 directly under the province H34 (Kon Tum), as in ``000.00.03.H34-220622-0001``.
AGENCY: Final = AgencyCode("H34", 3)
FIELD_ID: Final = "thanh-lap-va-hoat-dong-doanh-nghiep"
PROCEDURE_CODE: Final = "1.001612"
#: A syntactically valid scrypt hash; builders never run a slow hash.
_PASSWORD_HASH: Final = "scrypt$n=1024,r=8,p=1$c2FsdHNhbHRzYWx0c2FsdA==$" + "A" * 43 + "="
_CALENDAR: Final = WorkingCalendar()


def new_id(prefix: str = "id") -> str:
    """A new unique id such as ``dossier-3f2a9c1b7d4e``."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


# --- catalog -------------------------------------------------------------------------------


def agency(
    code: AgencyCode = AGENCY,
    *,
    name: str = "Sở Kế hoạch và Đầu tư tỉnh Kon Tum",
    parent: AgencyCode | None = None,
) -> Agency:
    """An agency (Đơn vị)."""
    return Agency(code=code, name=name, parent=parent)


def field(id: str = FIELD_ID, *, name: str = "Thành lập và hoạt động doanh nghiệp") -> Field:
    """A field of public services (Lĩnh vực)."""
    return Field(id=id, name=name)


def component(
    id: str = "giay-de-nghi",
    *,
    name: str = "Giấy đề nghị đăng ký doanh nghiệp",
    mandatory: bool = True,
    originals: int = 1,
    copies: int = 0,
) -> Component:
    """A required document (thành phần hồ sơ) accepting PDF, JPEG and PNG up to 10 MiB."""
    return Component(id=id, name=name, originals=originals, copies=copies, mandatory=mandatory)


def procedure(
    code: str = PROCEDURE_CODE,
    *,
    agency: AgencyCode = AGENCY,
    field: str = FIELD_ID,
    name: str = "Đăng ký thành lập doanh nghiệp tư nhân",
    working_days: int | None = 3,
    components: Iterable[Component] | None = None,
    fees: Iterable[FeeItem] | None = None,
    fees_due: FeesDue = FeesDue.AT_SUBMISSION,
    home_pickup: bool = True,
    home_delivery: bool = True,
    working_hours: int | None = None,
    cutoff: dt.time | None = DEFAULT_CUTOFF,
    supplement_rule: SupplementRule | None = None,
) -> Procedure:
    """A procedure (thủ tục hành chính) with two components and a 50.000 VND charge.

    ``working_hours`` gives a limit in working hours instead of days (``working_days``
    is then ignored)."""
    if components is None:
        components = (
            component(),
            component("dieu-le", name="Điều lệ công ty", originals=0, copies=1, mandatory=False),
        )
    if fees is None:
        fees = (FeeItem(FeeKind.LE_PHI, 50_000, "Lệ phí đăng ký doanh nghiệp"),)
    return Procedure(
        code=code,
        name=name,
        agency=agency,
        field=field,
        working_days=None if working_hours is not None else working_days,
        working_hours=working_hours,
        cutoff=cutoff,
        supplement_rule=supplement_rule,
        components=tuple(components),
        fees=tuple(fees),
        fees_due=fees_due,
        home_pickup=home_pickup,
        home_delivery=home_delivery,
    )


# --- people --------------------------------------------------------------------------------


def applicant(
    *,
    full_name: str = "Nguyễn Văn An",
    email: str = "an.nguyen@example.vn",
    phone: str | None = "0912345678",
    address: str | None = "12 Trần Hưng Đạo, phường Quyết Thắng, thành phố Kon Tum",
    date_of_birth: dt.date | None = dt.date(1990, 5, 17),
    id_number: str | None = "062090001234",
    id_issued_by: str | None = "Cục Cảnh sát quản lý hành chính về trật tự xã hội",
) -> Applicant:
    """The applicant block of a citizen (its CCCD agrees with the date of birth)."""
    return Applicant.create(
        full_name,
        email,
        phone=phone,
        address=address,
        date_of_birth=date_of_birth,
        id_number=id_number,
        id_issued_by=id_issued_by,
    )


def account(
    id: str | None = None,
    *,
    email: str | None = None,
    full_name: str = "Nguyễn Văn An",
    password_hash: str = _PASSWORD_HASH,
    now: dt.datetime = T0,
    verified: bool = True,
) -> Account:
    """A citizen's account, verified unless asked otherwise, without pending events."""
    account_id = id or new_id("account")
    created = Account.register_citizen(
        account_id,
        email or f"{account_id}@example.vn",
        password_hash,
        full_name,
        now,
        phone="0912345678",
        id_number="062090001234",
        date_of_birth=dt.date(1990, 5, 17),
        address="12 Trần Hưng Đạo, thành phố Kon Tum",
    )
    if verified:
        created.verify(now)
    created.pull_events()
    return created


def officer(
    id: str | None = None,
    *,
    agency: AgencyCode = AGENCY,
    full_name: str = "Trần Thị Bình",
    email: str | None = None,
    active: bool = True,
) -> Officer:
    """An officer (cán bộ) of ``agency``."""
    officer_id = id or new_id("officer")
    return Officer.create(
        officer_id, agency, full_name, email or f"{officer_id}@kontum.gov.vn", active=active
    )


# --- files and dossiers --------------------------------------------------------------------


def file_ref(
    data: bytes = b"%PDF-1.4 giay de nghi",
    *,
    name: str = "giấy đề nghị.pdf",
    media_type: str = "application/pdf",
) -> FileRef:
    """A reference to a stored file whose key is the sha256 of ``data``."""
    digest = hashlib.sha256(data).hexdigest()
    return FileRef(key=digest, name=name, media_type=media_type, size=len(data), sha256=digest)


def dossier_code(
    seq: int = 1,
    *,
    agency: AgencyCode = AGENCY,
    now: dt.datetime = T0,
    scheme: CodeScheme = SCHEME_2018,
) -> DossierCode:
    """The code of the ``seq``-th dossier ``agency`` received on the local day of ``now``."""
    return DossierCode.for_submission(agency, now, seq, scheme)


def draft_dossier(
    id: str | None = None,
    *,
    owner_id: str | None = None,
    procedure: Procedure | None = None,
    now: dt.datetime = T0,
    attach: bool = True,
) -> Dossier:
    """A draft (no code), with a file on every mandatory component unless ``attach`` is False."""
    chosen = procedure or _default_procedure()
    dossier = Dossier.start(
        id=id or new_id("dossier"),
        owner_id=owner_id or new_id("account"),
        procedure=chosen,
        applicant=applicant(),
        now=now,
    )
    if attach:
        for index, required in enumerate(chosen.mandatory_components()):
            dossier.attach(required.id, file_ref(f"%PDF-1.4 {required.id} {index}".encode()))
    dossier.pull_events()
    return dossier


def _default_procedure() -> Procedure:
    return procedure()


def submitted_dossier(
    id: str | None = None,
    *,
    owner_id: str | None = None,
    procedure: Procedure | None = None,
    now: dt.datetime = T0,
    seq: int = 1,
    idempotency_key: str | None = None,
) -> Dossier:
    """A dossier submitted at ``now`` as the ``seq``-th of its agency that day."""
    dossier = draft_dossier(id, owner_id=owner_id, procedure=procedure, now=now)
    code = dossier_code(seq, agency=dossier.procedure.agency, now=now)
    dossier.submit(code=code, now=now, idempotency_key=idempotency_key)
    dossier.pull_events()
    return dossier


def decided_dossier(
    id: str | None = None,
    *,
    owner_id: str | None = None,
    now: dt.datetime = T0,
    seq: int = 1,
    payment_id: str | None = None,
    calendar: WorkingCalendar = _CALENDAR,
) -> Dossier:
    """A dossier with every part filled: home services, two components' files, a supplement,
    a pause, a paid fee, a decision and a long history. Its last step is ``now`` + 7 days.
    """
    step = dt.timedelta(hours=20)
    dossier = draft_dossier(id, owner_id=owner_id, now=now)
    dossier.attach(
        "dieu-le", file_ref(b"\x89PNG dieu le", name="điều lệ.png", media_type="image/png")
    )
    dossier.choose_home_pickup("45 Lê Hồng Phong, thành phố Kon Tum")
    dossier.choose_home_delivery("45 Lê Hồng Phong, thành phố Kon Tum")
    dossier.submit(
        code=dossier_code(seq, agency=dossier.procedure.agency, now=now),
        now=now,
        idempotency_key=new_id("submit"),
    )
    clerk = Actor.officer("officer-clerk", "Trần Thị Bình")
    owner = Actor.applicant(dossier.owner_id, dossier.applicant.full_name)
    dossier.receive(officer=clerk, now=now + step, calendar=calendar)
    dossier.request_supplement(officer=clerk, now=now + 2 * step, note="Bổ sung bản sao điều lệ")
    dossier.resubmit(actor=owner, now=now + 3 * step, calendar=calendar, note="Đã bổ sung")
    dossier.start_processing(officer=clerk, now=now + 4 * step)
    dossier.pause(officer=clerk, now=now + 5 * step, reason="Chờ ý kiến sở ngành")
    dossier.resume(officer=clerk, now=now + 6 * step, calendar=calendar)
    dossier.request_payment(officer=clerk, now=now + 6 * step, note="Nộp lệ phí")
    dossier.record_payment(
        payment_id=payment_id or new_id("payment"),
        amount=dossier.amount_due,
        now=now + 7 * step,
        calendar=calendar,
    )
    dossier.decide(
        officer=clerk, now=now + dt.timedelta(days=7), approved=True, reasons="Đủ điều kiện"
    )
    dossier.pull_events()
    return dossier


# --- payments and mail ---------------------------------------------------------------------


def payment(
    id: str | None = None,
    *,
    dossier_id: str | None = None,
    amount: int = 50_000,
    gateway: str = "fake",
    txn_ref: str | None = None,
    created_at: dt.datetime = T0,
) -> Payment:
    """A pending payment of ``amount`` VND."""
    payment_id = id or new_id("payment")
    return Payment(
        id=payment_id,
        dossier_id=dossier_id or new_id("dossier"),
        amount=amount,
        gateway=gateway,
        txn_ref=txn_ref or uuid.uuid4().hex[:16].upper(),
        created_at=created_at,
    )


def mail_message(
    *,
    to: str = "an.nguyen@example.vn",
    subject: str = "Xác nhận đăng ký tài khoản sử dụng cổng dịch vụ công trực tuyến",
    text: str = "Kính gửi ông/bà Nguyễn Văn An,\nVui lòng bấm vào liên kết để xác nhận.",
    html: str | None = "<p>Kính gửi ông/bà <b>Nguyễn Văn An</b>,</p>",
    template: str = "account_verification",
    locale: str = "vi",
) -> MailMessage:
    """A rendered message in Vietnamese, with an HTML alternative."""
    return MailMessage(
        to=to, subject=subject, text=text, html=html, template=template, locale=locale
    )


def outbox_entry(
    id: str | None = None,
    *,
    message: MailMessage | None = None,
    created_at: dt.datetime = T0,
    next_attempt_at: dt.datetime | None = None,
) -> OutboxEntry:
    """A pending outbox entry, due at once unless ``next_attempt_at`` says later."""
    return OutboxEntry(
        id=id or new_id("mail"),
        message=message or mail_message(),
        created_at=created_at,
        next_attempt_at=next_attempt_at,
    )
