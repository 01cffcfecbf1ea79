"""The pure domain: values, entities and rules. No I/O, no clock reads, no randomness.

Everything public is re-exported here; events live in :mod:`onestop.domain.events`.
"""

from onestop.domain import events
from onestop.domain.accounts import (
    DEFAULT_LOCK_FOR,
    DEFAULT_MAX_FAILED_LOGINS,
    Account,
    AccountKind,
    AccountStatus,
    Applicant,
    Officer,
)
from onestop.domain.calendar import (
    MAX_DAYS_WITHOUT_WORK,
    WorkingCalendar,
)
from onestop.domain.catalog import (
    DEFAULT_CUTOFF,
    DEFAULT_MAX_BYTES,
    DEFAULT_MEDIA_TYPES,
    Agency,
    Component,
    FeesDue,
    Field,
    Procedure,
    fold_diacritics,
)
from onestop.domain.codes import (
    SCHEME_2018,
    SCHEME_WIDE,
    VN_TZ,
    AgencyCode,
    AgencyKind,
    CodeScheme,
    DossierCode,
    local_day,
    local_time,
    require_aware,
)
from onestop.domain.dossier import (
    Actor,
    ActorKind,
    Attachment,
    Decision,
    Dossier,
    HistoryEntry,
    PaymentStatus,
)
from onestop.domain.files import (
    FileRef,
)
from onestop.domain.identity import (
    CCCD_PROVINCE_CODES,
    MOBILE_PREFIX_DIGITS,
    Sex,
    check_cccd,
    check_citizen_id,
    check_cmnd,
    check_name,
    check_tax_code,
    check_text,
    normalize_email,
    normalize_phone,
)
from onestop.domain.mail import (
    MailMessage,
    OutboxEntry,
    OutboxState,
)
from onestop.domain.money import (
    FeeItem,
    FeeKind,
    FeeLine,
    check_amount,
    check_quantity,
    format_vnd,
    total,
)
from onestop.domain.payments import (
    Payment,
    PaymentOutcome,
    PaymentState,
)
from onestop.domain.statuses import (
    ACTIVE_STATUSES,
    TERMINAL_STATUSES,
    DossierStatus,
)

__all__ = [
    "ACTIVE_STATUSES",
    "CCCD_PROVINCE_CODES",
    "DEFAULT_CUTOFF",
    "DEFAULT_LOCK_FOR",
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_FAILED_LOGINS",
    "DEFAULT_MEDIA_TYPES",
    "MAX_DAYS_WITHOUT_WORK",
    "MOBILE_PREFIX_DIGITS",
    "SCHEME_2018",
    "SCHEME_WIDE",
    "TERMINAL_STATUSES",
    "VN_TZ",
    "Account",
    "AccountKind",
    "AccountStatus",
    "Actor",
    "ActorKind",
    "Agency",
    "AgencyCode",
    "AgencyKind",
    "Applicant",
    "Attachment",
    "CodeScheme",
    "Component",
    "Decision",
    "Dossier",
    "DossierCode",
    "DossierStatus",
    "FeeItem",
    "FeeKind",
    "FeeLine",
    "FeesDue",
    "Field",
    "FileRef",
    "HistoryEntry",
    "MailMessage",
    "Officer",
    "OutboxEntry",
    "OutboxState",
    "Payment",
    "PaymentOutcome",
    "PaymentState",
    "PaymentStatus",
    "Procedure",
    "Sex",
    "WorkingCalendar",
    "check_amount",
    "check_cccd",
    "check_citizen_id",
    "check_cmnd",
    "check_name",
    "check_quantity",
    "check_tax_code",
    "check_text",
    "events",
    "fold_diacritics",
    "format_vnd",
    "local_day",
    "local_time",
    "normalize_email",
    "normalize_phone",
    "require_aware",
    "total",
]
