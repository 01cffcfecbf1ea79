"""The national portal's messages, built from our records (DOMAIN section 10).

Private to :mod:`onestop.application.sync`, which re-exports :func:`dossier_record`,
:func:`progress_rows` and :func:`channel`. :func:`dossier_record` is a submitted dossier's
``DongBoHoSoMC`` record, :func:`progress_rows` the ``CapNhatTienDoHoSoMC`` rows of some
history entries, :func:`carried_supplements` the supplements list a new entry carries on
from the previous one. Every value is a string; dates are ``yyyyMMddHHmmss`` in Vietnam time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any, Final

from onestop.application.due_dates import due_moment
from onestop.domain.accounts import Account, AccountKind
from onestop.domain.deadlines import Deadlines
from onestop.domain.dossier import ActorKind, Dossier, HistoryEntry
from onestop.domain.money import FeeKind
from onestop.domain.payments import Payment, PaymentState
from onestop.domain.statuses import DossierStatus
from onestop.domain.sync import SyncEntry, national_timestamp
from onestop.errors import InvalidInput

__all__ = [
    "MAX_SUMMARY",
    "carried_supplements",
    "channel",
    "default_file_link",
    "dossier_record",
    "progress_rows",
]

#: Longest summary (TrichYeuHoSo) the national portal takes.
MAX_SUMMARY = 1000

# KenhThucHien: 1 in person, 2 online, 3 public postal service.
_ONLINE, _POSTAL = "2", "3"
# LoaiDoiTuong: 1 citizen, 2 enterprise (3 state agency, 4 other organisation: not recorded).
_CITIZEN, _ENTERPRISE = "1", "2"
# DuocThanhToanTrucTuyen: 1 on the national portal, 2 through the province's own gateway.
_PAID_ON_OUR_GATEWAY = "2"
_FEE_KIND = {FeeKind.PHI: "1", FeeKind.LE_PHI: "2"}

_ACTION_TEXT = {
    "submitted": "Nộp hồ sơ trực tuyến",
    "received": "Tiếp nhận hồ sơ",
    "reception_refused": "Từ chối tiếp nhận hồ sơ",
    "supplement_requested": "Yêu cầu bổ sung hồ sơ",
    "resubmitted": "Công dân bổ sung hồ sơ",
    "processing_started": "Chuyển xử lý hồ sơ",
    "paused": "Tạm dừng tính thời gian xử lý",
    "resumed": "Tiếp tục xử lý hồ sơ",
    "payment_requested": "Yêu cầu thực hiện nghĩa vụ tài chính",
    "payment_completed": "Đã hoàn thành nghĩa vụ tài chính",
    "approved": "Phê duyệt kết quả",
    "refused": "Từ chối giải quyết hồ sơ",
    "result_returned": "Trả kết quả",
    "withdrawn": "Công dân rút hồ sơ",
    "stopped": "Dừng xử lý hồ sơ",
    "rescheduled": "Xin lỗi và hẹn lại ngày trả kết quả",
    "component_digitised": "Số hoá thành phần hồ sơ",
    "result_added": "Cập nhật kết quả điện tử",
}


#: The office hours a record is built with when the caller gives none.
_USUAL_OFFICE: Final = Deadlines()


def _due_timestamp(dossier: Dossier, office: Deadlines | None) -> str:
    """When the dossier is due: its due instant (a limit in working hours), else the end of
    the office's last session on its due date (``office``: the portal's deadlines; None:
    the usual office hours)."""
    return national_timestamp(due_moment(office or _USUAL_OFFICE, dossier))


def _when(dossier: Dossier, *actions: str) -> dt.datetime | None:
    """When the last history entry with one of ``actions`` happened, if any."""
    found = [h.at for h in dossier.history if h.action in actions]
    return found[-1] if found else None


def channel(dossier: Dossier) -> str:
    """KenhThucHien: filed on this portal (2); a paper dossier fetched from home comes by
    public post (3)."""
    return _POSTAL if dossier.home_pickup_address else _ONLINE


def _national_subject(account: Account | None) -> str:
    identity = None if account is None else account.national_identity
    return "" if identity is None else identity.subject


def _is_enterprise(dossier: Dossier, account: Account | None) -> bool:
    if account is not None and account.kind is AccountKind.ORGANISATION:
        return True
    return dossier.applicant.organisation_name is not None or dossier.applicant.tax_code is not None


def _id_documents(dossier: Dossier) -> list[dict[str, str]]:
    number = dossier.applicant.id_number
    if not number:
        return []
    # LoaiDinhDanh: 1 a 12-digit citizen identity card (CCCD), 2 a 9-digit identity card.
    kind = "1" if len(number) == 12 else "2"
    return [{"LoaiDinhDanh": kind, "SoDinhDanh": number}]


def _online_payment_flag(payments: Sequence[Payment]) -> str:
    if any(p.state is PaymentState.CONFIRMED for p in payments):
        return _PAID_ON_OUR_GATEWAY
    return "0"


def default_file_link(base_url: str, dossier: Dossier, file_key: str) -> str:
    """Where an officer of the national portal downloads an attached file from us."""
    return f"{base_url.rstrip('/')}/dossiers/{dossier.id}/files/{file_key}"


def dossier_record(
    dossier: Dossier,
    *,
    account: Account | None,
    payments: Sequence[Payment],
    field_name: str,
    base_url: str,
    supplements: Sequence[Mapping[str, str]] = (),
    office: Deadlines | None = None,
) -> dict[str, Any]:
    """The ``DongBoHoSoMC`` record of a submitted dossier, built from our records.

    ``office`` is the portal's deadlines (``ctx.deadlines``): the due moment sent
    (``NgayHenTra``) is the dossier's due instant, else the end of that office's last
    session on its due date (None: the usual office hours).
    """
    if dossier.code is None:
        raise InvalidInput("dossier", "must be submitted (it has no code yet)", dossier.id)
    applicant = dossier.applicant
    enterprise = _is_enterprise(dossier, account)
    online_paid = _online_payment_flag(payments)
    owner_name = (applicant.organisation_name if enterprise else None) or applicant.full_name
    summary = f"{dossier.procedure.name} - {owner_name}"[:MAX_SUMMARY]
    decided_at = dossier.decision.at if dossier.decision is not None else None
    ended_at = decided_at or _when(dossier, "reception_refused", "withdrawn", "stopped")
    return {
        "MaHoSo": str(dossier.code),
        "MaTTHC": dossier.procedure.code,
        "TenTTHC": dossier.procedure.name,
        "MaLinhVuc": dossier.procedure.field,
        "TenLinhVuc": field_name,
        "KenhThucHien": channel(dossier),
        "ChuHoSo": owner_name,
        "LoaiDoiTuong": _ENTERPRISE if enterprise else _CITIZEN,
        # The applicant's national account id: the subject the national identity provider
        # (VNeID) vouched for, once the owner's account is linked to it.
        "MaDoiTuong": _national_subject(account),
        "SoGiayToChuHoSo": (applicant.tax_code if enterprise else None)
        or applicant.id_number
        or "",
        "DinhDanhCHS": _id_documents(dossier),
        "SoDienThoai": applicant.phone or "",
        "Email": applicant.email,
        "TrichYeuHoSo": summary,
        "NgayNopHoSo": national_timestamp(dossier.submitted_at),
        "NgayTiepNhan": national_timestamp(dossier.received_at),
        "NgayHenTra": _due_timestamp(dossier, office),
        "NgayTra": national_timestamp(_when(dossier, "result_returned")),
        "NgayKetThucXuLy": national_timestamp(ended_at),
        "NgayTuChoi": national_timestamp(_when(dossier, "reception_refused")),
        "TrangThaiHoSo": str(dossier.status.national_code),
        # 1: the result is delivered to the applicant's address, 0: handed over at the desk.
        "HinhThuc": "1" if dossier.home_delivery_address else "0",
        "DonViXuLy": dossier.agency,
        "GhiChu": "",
        "TaiLieuNop": [
            {
                "MaThanhPhanHoSo": a.component_id,
                "TenTepDinhKem": a.file.name,
                "DuongDanTaiTepTin": default_file_link(base_url, dossier, a.file.key),
                "DuocSoHoa": "1" if a.digitised else "0",
                "DuocTaiSuDung": "1" if a.reused else "0",
                # Not recorded by this portal (no national data store lookup): never claimed.
                "DuocLayTuKhoDMQG": "0",
                "IsDeleted": "0",
            }
            for a in dossier.attachments
        ],
        "DanhSachLePhi": [
            {
                "TenPhiLePhi": line.description,
                "MaPhiLePhi": line.kind.value,
                "HinhThucThu": online_paid,
                "Gia": str(line.amount),
                "LoaiPhiLePhi": _FEE_KIND[line.kind],
            }
            for line in dossier.fee_lines
        ],
        "DanhSachHoSoBoSung": [dict(s) for s in supplements],
        "DanhSachGiayToKetQua": [
            {
                "TenGiayTo": r.name,
                "MaGiayToKetQua": r.key,
                "DuongDanTepTinKetQua": default_file_link(base_url, dossier, r.key),
            }
            for r in dossier.results
        ],
        "HoSoCoThanhPhanSoHoa": "1" if any(a.digitised for a in dossier.attachments) else "0",
        "TaiKhoanDuocXacThucVoiVNeID": "1" if account is not None and account.vneid else "0",
        "DuocThanhToanTrucTuyen": online_paid,
        "NoiNopHoSo": "",
        "DSKetNoiCSDL": [],
    }


def progress_rows(
    dossier: Dossier, entries: Sequence[HistoryEntry], office: Deadlines | None = None
) -> list[dict[str, str]]:
    """The ``CapNhatTienDoHoSoMC`` rows of some history entries of a submitted dossier."""
    code = str(dossier.code)
    due = _due_timestamp(dossier, office)
    rows: list[dict[str, str]] = []
    for entry in entries:
        if entry.to_status is DossierStatus.DRAFT:
            continue
        what = _ACTION_TEXT.get(entry.action, entry.action)
        is_officer = entry.actor.kind is ActorKind.OFFICER
        rows.append(
            {
                "MaHoSo": code,
                "NguoiXuLy": entry.actor.name or entry.actor.id,
                "ChucDanh": "Cán bộ" if is_officer else "",
                "ThoiDiemXuLy": national_timestamp(entry.at),
                "PhongBanXuLy": dossier.agency if is_officer else "",
                "NoiDungXuLy": f"{what}: {entry.note}" if entry.note else what,
                "TrangThai": str(entry.to_status.national_code),
                "NgayBatDau": national_timestamp(entry.at),
                "NgayKetThucTheoQuyDinh": due,
            }
        )
    return rows


def carried_supplements(
    dossier: Dossier,
    previous: SyncEntry | None,
    new: Sequence[HistoryEntry],
    office: Deadlines | None = None,
) -> list[dict[str, str]]:
    """The supplements list, carried from the previous entry, with this change's steps."""
    listed: list[dict[str, str]] = (
        [dict(s) for s in previous.record.get("DanhSachHoSoBoSung", [])] if previous else []
    )
    old_due = previous.record.get("NgayHenTra", "") if previous else ""
    for entry in new:
        if entry.action == "supplement_requested":
            listed.append(
                {
                    "NgayYeuCauBoSung": national_timestamp(entry.at),
                    "NoiDungBoSung": entry.note,
                    "NgayHenTraCu": old_due,
                    "NgayHenTraMoi": "",
                    "NgayBoSung": "",
                }
            )
        elif entry.action == "resubmitted" and listed and not listed[-1]["NgayBoSung"]:
            listed[-1]["NgayBoSung"] = national_timestamp(entry.at)
            listed[-1]["NgayHenTraMoi"] = _due_timestamp(dossier, office)
    return listed
