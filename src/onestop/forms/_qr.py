"""The QR code of Circular 01/2023/TT-VPCP on a receipt: its payload and its picture.

The circular asks receipts and results to carry a QR code with the dossier code, the
procedure code, the applicant's id number, the document's name, the issuing system's name,
the time it was issued and, on a receipt, the appointment date. It does not fix a byte
layout that we could read, so the payload is one compact JSON object in UTF-8 (keys in this
order, no spaces; ``docs/forms.md`` documents it)::

    {"v":1,"ma_ho_so":"000.00.03.H34-220622-0001","ma_thu_tuc":"1.001612",
     "so_giay_to":"079090001234","ten_giay_to":"Giấy tiếp nhận hồ sơ và hẹn trả kết quả",
     "he_thong":"Cổng dịch vụ công trực tuyến","thoi_gian":"2022-06-22T10:00:00+07:00",
     "ngay_hen_tra":"2022-06-27"}

``so_giay_to`` is the citizen id (CMND/CCCD), or the organisation's tax code, or ``""``;
``thoi_gian`` is the instant on Vietnam's clock (ISO 8601 with ``+07:00``); ``ngay_hen_tra``
is ISO 8601 and left out of documents that are not receipts. :func:`parse_payload` reads it
back. The picture is drawn by segno (pure Python, no Pillow), at error correction level M.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from typing import Final

import attrs

from onestop.domain.vn_time import local_time
from onestop.errors import ConfigurationError, InvalidInput

__all__ = ["PAYLOAD_VERSION", "ReceiptQr", "parse_payload", "qr_data_uri"]

#: The payload's ``v``: raised if the layout ever changes.
PAYLOAD_VERSION: Final = 1


@attrs.frozen
class ReceiptQr:
    """What the QR code of a receipt (or result) says, per Circular 01/2023/TT-VPCP."""

    dossier_code: str
    procedure_code: str
    #: The applicant's CMND/CCCD number, an organisation's tax code, or "".
    id_number: str
    document_name: str
    system_name: str
    #: When the document was issued (aware).
    issued_at: dt.datetime
    #: The appointment date (receipts only).
    appointment: dt.date | None = None

    @property
    def payload(self) -> str:
        """The text the QR code encodes (see the module's docstring)."""
        fields: dict[str, object] = {
            "v": PAYLOAD_VERSION,
            "ma_ho_so": self.dossier_code,
            "ma_thu_tuc": self.procedure_code,
            "so_giay_to": self.id_number,
            "ten_giay_to": self.document_name,
            "he_thong": self.system_name,
            "thoi_gian": local_time(self.issued_at).isoformat(timespec="seconds"),
        }
        if self.appointment is not None:
            fields["ngay_hen_tra"] = self.appointment.isoformat()
        return json.dumps(fields, ensure_ascii=False, separators=(",", ":"))


_TEXT_KEYS: Final = ("ma_ho_so", "ma_thu_tuc", "so_giay_to", "ten_giay_to", "he_thong")


def parse_payload(payload: str) -> ReceiptQr:
    """The :class:`ReceiptQr` a scanned payload says; InvalidInput naming what is wrong."""
    if not isinstance(payload, str):
        raise InvalidInput("payload", "must be text", payload)
    try:
        fields = json.loads(payload)
    except (ValueError, RecursionError):  # RecursionError: "[[[[..." nested too deep
        raise InvalidInput("payload", "must be a JSON object", payload) from None
    version = fields.get("v") if isinstance(fields, dict) else None
    if type(version) is not int or version != PAYLOAD_VERSION:  # not True, not 1.0
        raise InvalidInput("payload", f"must be a JSON object with v={PAYLOAD_VERSION}", payload)
    for key in _TEXT_KEYS:
        if not isinstance(fields.get(key), str):
            raise InvalidInput(f"payload.{key}", "must be text", fields.get(key))
    try:
        issued_at = dt.datetime.fromisoformat(str(fields["thoi_gian"]))
    except (KeyError, ValueError):
        raise InvalidInput(
            "payload.thoi_gian", "must be an ISO 8601 date and time", fields.get("thoi_gian")
        ) from None
    appointment = fields.get("ngay_hen_tra")
    try:
        day = None if appointment is None else dt.date.fromisoformat(appointment)
    except (TypeError, ValueError):
        raise InvalidInput(
            "payload.ngay_hen_tra", "must be an ISO 8601 date", appointment
        ) from None
    if issued_at.tzinfo is None:
        raise InvalidInput("payload.thoi_gian", "must carry its UTC offset", payload)
    return ReceiptQr(
        dossier_code=fields["ma_ho_so"],
        procedure_code=fields["ma_thu_tuc"],
        id_number=fields["so_giay_to"],
        document_name=fields["ten_giay_to"],
        system_name=fields["he_thong"],
        issued_at=issued_at,
        appointment=day,
    )


def qr_data_uri(payload: str, *, kind: str = "png") -> str:
    """A ``data:`` URI of the QR code of ``payload``: PNG for the PDF, SVG for the page.

    The last few hundred are kept: a receipt printed again (or as PDF after HTML) reuses its
    picture instead of choosing the QR code's mask again, which is most of the cost.
    """
    return _data_uri(payload, "svg" if kind == "svg" else "png")


@functools.lru_cache(maxsize=256)
def _data_uri(payload: str, kind: str) -> str:
    try:
        import segno
    except ImportError as e:  # pragma: no cover - depends on the installed extras
        raise ConfigurationError(
            "the printable forms need segno for their QR code: pip install 'onestop[forms]'"
        ) from e
    code = segno.make(payload, error="m", micro=False)
    if kind == "svg":
        return str(code.svg_data_uri(scale=4, border=4))
    return str(code.png_data_uri(scale=4, border=4))
