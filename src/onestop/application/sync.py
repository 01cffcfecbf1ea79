"""Keeping the national portal in step (DOMAIN section 10): enqueue, build, dispatch.

* :func:`queue_dossier_sync` is called by every use case that changes a submitted dossier,
  in the same unit of work as the change: it writes one :class:`~onestop.domain.sync.SyncEntry`
  holding the dossier's ``DongBoHoSoMC`` record as it now stands and the
  ``CapNhatTienDoHoSoMC`` rows of the history entries added since the last entry. A change
  that rolls back leaves no entry; a change that commits always has one.
* The messages are built from our records (:func:`dossier_record`, :func:`progress_rows`):
  channel, applicant type, id kind, fees, payment flag, supplements, dates as
  ``yyyyMMddHHmmss`` in Vietnam time, every value a string. ``TaiKhoanDuocXacThucVoiVNeID``
  is "1" when the owner's account is linked to a national identity (VNeID,
  :mod:`onestop.application.national_login`) as the record is built; a flag we hold no
  record for (digitised or reused components) is sent as "0", never as a guessed "1".
* :class:`SyncDispatcher` sends them like the mail dispatcher: it claims due entries in a
  committed unit of work (at most one per dossier, the dossier's first unsent one, so a later
  update never overtakes an earlier one and a failing dossier holds back only itself), sends
  them outside any transaction (record first, an insert answered "đã tồn tại" sent again as
  an update; then the progress in batches of at most 10), and records the outcome: sent, a
  retry with exponential backoff and jitter, or, after ``max_attempts`` or a refusal, *needs
  attention*, which :class:`SyncService` lists and retries (``onestop sync status|retry``).
  A claim lapses after ``lease``, so a worker that died is replaced: at least once, in order.
"""

from __future__ import annotations

import datetime as dt
import enum
import logging
import random
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs

from onestop.application.arguments import checked_methods
from onestop.application.context import AppContext
from onestop.application.retries import RetryPolicy, describe, require, run_passes
from onestop.domain.accounts import Account, AccountKind
from onestop.domain.codes import VN_TZ
from onestop.domain.dossier import ActorKind, Dossier, HistoryEntry
from onestop.domain.money import FeeKind
from onestop.domain.payments import Payment, PaymentState
from onestop.domain.statuses import DossierStatus
from onestop.domain.sync import MAX_PROGRESS_BATCH, SyncEntry, SyncState, national_timestamp
from onestop.errors import (
    ConcurrentUpdate,
    DuplicateError,
    InvalidInput,
    NationalPortalRejected,
    NotFound,
)
from onestop.ports.national import NationalPortal
from onestop.ports.storage import UnitOfWork

__all__ = [
    "SyncDispatchReport",
    "SyncDispatcher",
    "SyncService",
    "SyncStatus",
    "channel",
    "dossier_record",
    "progress_rows",
    "queue_dossier_sync",
]

_log = logging.getLogger(__name__)

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


# --- building the messages ------------------------------------------------------------------


def _due_timestamp(day: dt.date | None) -> str:
    """A due date as the end of that working day (17:00 Vietnam time)."""
    if day is None:
        return ""
    return national_timestamp(dt.datetime.combine(day, dt.time(17, 0), tzinfo=VN_TZ))


def _when(dossier: Dossier, *actions: str) -> dt.datetime | None:
    """When the last history entry with one of ``actions`` happened, if any."""
    found = [h.at for h in dossier.history if h.action in actions]
    return found[-1] if found else None


def channel(dossier: Dossier) -> str:
    """KenhThucHien: filed on this portal (2); a paper dossier fetched from home comes by
    public post (3)."""
    return _POSTAL if dossier.home_pickup_address else _ONLINE


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
) -> dict[str, Any]:
    """The ``DongBoHoSoMC`` record of a submitted dossier, built from our records."""
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
        # The applicant's national account id: this portal records none.
        "MaDoiTuong": "",
        "SoGiayToChuHoSo": (applicant.tax_code if enterprise else None)
        or applicant.id_number
        or "",
        "DinhDanhCHS": _id_documents(dossier),
        "SoDienThoai": applicant.phone or "",
        "Email": applicant.email,
        "TrichYeuHoSo": summary,
        "NgayNopHoSo": national_timestamp(dossier.submitted_at),
        "NgayTiepNhan": national_timestamp(dossier.received_at),
        "NgayHenTra": _due_timestamp(dossier.due_date),
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


def progress_rows(dossier: Dossier, entries: Sequence[HistoryEntry]) -> list[dict[str, str]]:
    """The ``CapNhatTienDoHoSoMC`` rows of some history entries of a submitted dossier."""
    code = str(dossier.code)
    due = _due_timestamp(dossier.due_date)
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


def _supplements(
    dossier: Dossier, previous: SyncEntry | None, new: Sequence[HistoryEntry]
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
            listed[-1]["NgayHenTraMoi"] = _due_timestamp(dossier.due_date)
    return listed


def queue_dossier_sync(
    uow: UnitOfWork,
    ctx: AppContext,
    dossier: Dossier,
    *,
    owner: Account | None = None,
    first: bool = False,
) -> SyncEntry | None:
    """Queue what the national portal must learn of this change, in the caller's unit of work.

    Call it after ``uow.dossiers.update(dossier)`` (or ``add``); a draft queues nothing.
    ``owner``: the dossier owner's account, when the caller has read it in this unit of
    work already (it is read otherwise). ``first``: the dossier was a draft when this unit of
    work read it, so it has no entry yet (none is looked up; the storage's unique
    (dossier, sequence) still refuses a second first entry).
    """
    if dossier.code is None or dossier.status is DossierStatus.DRAFT:
        return None
    previous = None if first else uow.sync.last_for(dossier.id)
    upto = previous.history_upto if previous is not None else 0
    new = dossier.history[upto:]
    account: Account | None = owner if owner is not None and owner.id == dossier.owner_id else None
    if account is None:
        try:
            account = uow.accounts.get(dossier.owner_id)
        except NotFound:
            account = None
    try:
        field_name = uow.catalog.get_field(dossier.procedure.field).name
    except NotFound:
        field_name = dossier.procedure.field
    record = dossier_record(
        dossier,
        account=account,
        payments=uow.payments.list_by_dossier(dossier.id),
        field_name=field_name,
        base_url=ctx.settings.base_url,
        supplements=_supplements(dossier, previous, new),
    )
    entry = SyncEntry(
        id=ctx.new_id(),
        dossier_id=dossier.id,
        dossier_code=str(dossier.code),
        sequence=(previous.sequence + 1) if previous is not None else 1,
        created_at=ctx.clock.now(),
        record=record,
        progress=tuple(progress_rows(dossier, new)),
        history_upto=len(dossier.history),
    )
    try:
        uow.sync.add(entry)
    except DuplicateError as e:
        # The dossier's next sequence number was taken by a change committed since this unit
        # of work read the dossier: the same conflict its versioned update will report.
        raise ConcurrentUpdate("dossier", dossier.id) from e
    return entry


# --- dispatching ----------------------------------------------------------------------------


@attrs.frozen
class SyncDispatchReport:
    """What one pass did: entries sent, to be retried later, and given up on."""

    sent: int = 0
    retried: int = 0
    needs_attention: int = 0

    @property
    def handled(self) -> int:
        return self.sent + self.retried + self.needs_attention


class _Result(enum.Enum):
    SENT = "sent"
    RETRY = "retry"
    GIVE_UP = "give_up"


@attrs.frozen
class _Outcome:
    result: _Result
    record_sent: bool
    progress_sent: int
    error: str | None = None


@checked_methods
class SyncDispatcher:
    """Sends the sync outbox to ``portal``: at least once, in order per dossier."""

    def __init__(
        self,
        ctx: AppContext,
        portal: NationalPortal,
        *,
        worker_id: str | None = None,
        max_attempts: int = 10,
        backoff: dt.timedelta = dt.timedelta(seconds=30),
        backoff_factor: float = 2.0,
        max_backoff: dt.timedelta = dt.timedelta(hours=1),
        lease: dt.timedelta = dt.timedelta(minutes=5),
        batch_size: int = 20,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        require(isinstance(ctx, AppContext), "ctx", "the portal's AppContext", ctx)
        self._policy = RetryPolicy.checked(
            max_attempts=max_attempts,
            backoff=backoff,
            backoff_factor=backoff_factor,
            max_backoff=max_backoff,
            lease=lease,
            batch_size=batch_size,
            jitter=jitter,
        )
        self._ctx = ctx
        self._portal = portal
        self.worker_id = worker_id or f"sync-{ctx.new_id()}"

    def dispatch_once(self) -> SyncDispatchReport:
        """Claim due entries (one per dossier), send each, and record each outcome."""
        with self._ctx.storage.unit_of_work() as uow:
            claimed = list(
                uow.sync.claim_due(
                    worker=self.worker_id,
                    now=self._ctx.clock.now(),
                    lease=self._policy.lease,
                    limit=self._policy.batch_size,
                )
            )
            uow.commit()
        counts = dict.fromkeys(_Result, 0)
        for entry in claimed:
            outcome = self._send(entry)
            if self._record(entry, outcome):
                counts[outcome.result] += 1
        return SyncDispatchReport(
            sent=counts[_Result.SENT],
            retried=counts[_Result.RETRY],
            needs_attention=counts[_Result.GIVE_UP],
        )

    def dispatch_until_idle(self, *, max_passes: int = 1000) -> SyncDispatchReport:
        """Pass after pass until a pass handles nothing (what is due now is sent or waits)."""
        sent = retried = stuck = 0
        for _ in range(max_passes):
            report = self.dispatch_once()
            sent, retried, stuck = (
                sent + report.sent,
                retried + report.retried,
                stuck + report.needs_attention,
            )
            if report.handled == 0:
                break
        return SyncDispatchReport(sent, retried, stuck)

    def run(self, stop: threading.Event, interval: float = 5.0) -> None:
        """Dispatch until ``stop`` is set, pausing ``interval`` seconds when nothing is left.

        A storage error is logged and the loop goes on after the pause.
        """
        run_passes(
            stop,
            interval,
            lambda: self.dispatch_once().handled,
            batch_size=self._policy.batch_size,
            log=_log,
            name=f"sync dispatcher {self.worker_id}",
        )

    def _send(self, entry: SyncEntry) -> _Outcome:
        record_sent = entry.record_sent
        progress_sent = entry.progress_sent
        try:
            if not record_sent:
                self._send_record(entry)
                record_sent = True
            left = entry.progress_left
            for start in range(0, len(left), MAX_PROGRESS_BATCH):
                batch = left[start : start + MAX_PROGRESS_BATCH]
                self._portal.update_progress(batch)
                progress_sent += len(batch)
        except NationalPortalRejected as e:
            return _Outcome(_Result.GIVE_UP, record_sent, progress_sent, describe(e))
        except Exception as e:
            # Anything else (no answer, a timeout, a bug in an adapter) is retried: giving up
            # at the first surprise would leave the national portal behind for good.
            give_up, note = self._policy.after_failure(entry.attempts, e)
            result = _Result.GIVE_UP if give_up else _Result.RETRY
            return _Outcome(result, record_sent, progress_sent, note)
        return _Outcome(_Result.SENT, record_sent, progress_sent)

    def _send_record(self, entry: SyncEntry) -> None:
        if entry.sequence > 1:
            self._portal.update_dossier(entry.record)
            return
        try:
            self._portal.insert_dossier(entry.record)
        except NationalPortalRejected as e:
            if not e.already_exists:
                raise
            # Inserted before (a reply lost on the way back, or another system): update it.
            self._portal.update_dossier(entry.record)

    def _record(self, claimed: SyncEntry, outcome: _Outcome) -> bool:
        """Store the outcome if the claim still holds; False when another worker took over."""
        now = self._ctx.clock.now()
        try:
            with self._ctx.storage.unit_of_work() as uow:
                entry = uow.sync.get(claimed.id)
                if not entry.holds_claim(self.worker_id, claimed.claimed_until):
                    _log.warning(
                        "sync dispatcher %s: the claim on sync entry %s lapsed before its "
                        "outcome (%s) could be recorded",
                        self.worker_id,
                        claimed.id,
                        outcome.result.value,
                    )
                    return False
                entry.note_progress(
                    record_sent=outcome.record_sent, progress_sent=outcome.progress_sent
                )
                error = outcome.error or "failed"
                if outcome.result is _Result.SENT:
                    entry.mark_sent(now=now)
                elif outcome.result is _Result.GIVE_UP:
                    entry.give_up(error=error)
                    _log.error(
                        "sync entry %s of dossier %s needs attention: %s",
                        entry.id,
                        entry.dossier_code,
                        error,
                    )
                else:
                    entry.mark_retry(
                        error=error, next_attempt_at=now + self._policy.delay(entry.attempts)
                    )
                uow.sync.update(entry)
                uow.commit()
        except (ConcurrentUpdate, NotFound):
            _log.warning(
                "sync dispatcher %s: sync entry %s changed while being sent",
                self.worker_id,
                claimed.id,
            )
            return False
        return True


# --- what an operator sees and does -------------------------------------------------------


@attrs.frozen
class SyncStatus:
    """How many entries are in each state, and the ones that need attention."""

    counts: Mapping[SyncState, int]
    needs_attention: tuple[SyncEntry, ...]
    oldest_unsent: dt.datetime | None

    @property
    def unsent(self) -> int:
        return sum(n for s, n in self.counts.items() if s is not SyncState.SENT)


@checked_methods
class SyncService:
    """``portal.sync``: the sync outbox's state, and a retry of what needs attention."""

    def __init__(self, ctx: AppContext) -> None:
        self._ctx = ctx

    def status(self) -> SyncStatus:
        with self._ctx.storage.unit_of_work() as uow:
            entries = list(uow.sync.list())
        counts = dict.fromkeys(SyncState, 0)
        for e in entries:
            counts[e.state] += 1
        unsent = [e.created_at for e in entries if e.state is not SyncState.SENT]
        return SyncStatus(
            counts=counts,
            needs_attention=tuple(e for e in entries if e.state is SyncState.NEEDS_ATTENTION),
            oldest_unsent=min(unsent) if unsent else None,
        )

    def entries(self, dossier_code: str) -> list[SyncEntry]:
        """Every sync entry of one dossier, in order."""
        with self._ctx.storage.unit_of_work() as uow:
            return sorted(
                (e for e in uow.sync.list() if e.dossier_code == dossier_code),
                key=lambda e: e.sequence,
            )

    def retry(self, entry_ids: Sequence[str] | None = None) -> list[SyncEntry]:
        """Send entries that need attention again now (every one of them when None)."""
        now = self._ctx.clock.now()
        with self._ctx.storage.unit_of_work() as uow:
            if entry_ids is None:
                chosen = list(uow.sync.list(state=SyncState.NEEDS_ATTENTION))
            else:
                chosen = [uow.sync.get(i) for i in entry_ids]
            for entry in chosen:
                entry.retry(now=now)
                uow.sync.update(entry)
            uow.commit()
        return chosen
