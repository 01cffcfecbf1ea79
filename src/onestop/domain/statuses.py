"""Dossier statuses, with the national portal's numeric codes and labels (DOMAIN section 3)."""

from __future__ import annotations

import enum

from onestop.errors import InvalidInput

__all__ = ["ACTIVE_STATUSES", "TERMINAL_STATUSES", "DossierStatus"]


class DossierStatus(enum.Enum):
    """Where a dossier is in its life; ``national_code`` is what the national portal reports."""

    DRAFT = "draft"
    AWAITING_RECEPTION = "awaiting_reception"
    RECEIVED = "received"
    RECEPTION_REFUSED = "reception_refused"
    PROCESSING = "processing"
    SUPPLEMENT_REQUESTED = "supplement_requested"
    PAYMENT_REQUESTED = "payment_requested"
    WITHDRAWN = "withdrawn"
    STOPPED = "stopped"
    DECIDED = "decided"
    RESULT_RETURNED = "result_returned"

    @property
    def national_code(self) -> int | None:
        """The national portal's code (1 to 10); a draft has none."""
        return _NATIONAL_CODES[self]

    @property
    def label_vi(self) -> str:
        """The Vietnamese label an applicant sees."""
        return _LABELS[self][0]

    @property
    def label_en(self) -> str:
        """The English label."""
        return _LABELS[self][1]

    @property
    def is_terminal(self) -> bool:
        """True when nothing can happen to the dossier any more."""
        return self in TERMINAL_STATUSES

    @classmethod
    def from_national_code(cls, code: int) -> DossierStatus:
        """The status the national portal reports as ``code`` (1 to 10); InvalidInput if none."""
        for status, number in _NATIONAL_CODES.items():
            # A bool or a float equal to a code is not one.
            if number == code and type(code) is int:
                return status
        raise InvalidInput("national_code", "must be a whole number from 1 to 10", code)


_NATIONAL_CODES: dict[DossierStatus, int | None] = {
    DossierStatus.DRAFT: None,
    DossierStatus.AWAITING_RECEPTION: 1,
    DossierStatus.RECEIVED: 2,
    DossierStatus.RECEPTION_REFUSED: 3,
    DossierStatus.PROCESSING: 4,
    DossierStatus.SUPPLEMENT_REQUESTED: 5,
    DossierStatus.PAYMENT_REQUESTED: 6,
    DossierStatus.WITHDRAWN: 7,
    DossierStatus.STOPPED: 8,
    DossierStatus.DECIDED: 9,
    DossierStatus.RESULT_RETURNED: 10,
}

_LABELS: dict[DossierStatus, tuple[str, str]] = {
    DossierStatus.DRAFT: ("Hồ sơ nháp", "Draft"),
    DossierStatus.AWAITING_RECEPTION: ("Hồ sơ đang chờ tiếp nhận", "Awaiting reception"),
    DossierStatus.RECEIVED: ("Được tiếp nhận", "Received"),
    DossierStatus.RECEPTION_REFUSED: ("Không được tiếp nhận", "Reception refused"),
    DossierStatus.PROCESSING: ("Đang xử lý", "Processing"),
    DossierStatus.SUPPLEMENT_REQUESTED: ("Yêu cầu bổ sung giấy tờ", "Supplement requested"),
    DossierStatus.PAYMENT_REQUESTED: (
        "Yêu cầu thực hiện nghĩa vụ tài chính",
        "Payment requested",
    ),
    DossierStatus.WITHDRAWN: ("Công dân yêu cầu rút hồ sơ", "Withdrawn by the applicant"),
    DossierStatus.STOPPED: ("Dừng xử lý", "Processing stopped"),
    DossierStatus.DECIDED: ("Đã xử lý xong", "Decided, result ready"),
    DossierStatus.RESULT_RETURNED: ("Đã trả kết quả", "Result returned"),
}

TERMINAL_STATUSES = frozenset(
    {
        DossierStatus.RECEPTION_REFUSED,
        DossierStatus.WITHDRAWN,
        DossierStatus.STOPPED,
        DossierStatus.RESULT_RETURNED,
    }
)

#: Statuses in which the statutory clock may run (the dossier has been received).
ACTIVE_STATUSES = frozenset(
    {
        DossierStatus.RECEIVED,
        DossierStatus.PROCESSING,
        DossierStatus.SUPPLEMENT_REQUESTED,
        DossierStatus.PAYMENT_REQUESTED,
    }
)
