"""The sync outbox is written with each change, from our records, in the shapes of section 10."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onestop.application.sync import SyncDispatcher, dossier_record, queue_dossier_sync
from onestop.domain import VN_TZ
from onestop.domain.calendar import WorkingCalendar
from onestop.domain.dossier import Actor
from onestop.domain.statuses import DossierStatus
from onestop.domain.sync import SyncEntry, SyncState, national_timestamp
from onestop.errors import (
    ConcurrentUpdate,
    InvalidInput,
    NationalPortalRejected,
    StorageError,
    TransitionNotAllowed,
)
from onestop.testing import builders
from tests.sync_support import World, local, make_world, submit, whole_life

STAMP = re.compile(r"^\d{14}$")
DATE_FIELDS = ("NgayNopHoSo", "NgayTiepNhan", "NgayHenTra", "NgayTra", "NgayKetThucXuLy")


def entries(world: World) -> list[SyncEntry]:
    with world.portal.storage.unit_of_work() as uow:
        return sorted(uow.sync.list(), key=lambda e: (e.dossier_id, e.sequence))


def only_strings(value: object) -> bool:
    if isinstance(value, str):
        return True
    if isinstance(value, dict):
        return all(only_strings(v) for v in value.values())
    if isinstance(value, list | tuple):
        return all(only_strings(v) for v in value)
    return False


@pytest.fixture
def world() -> World:
    return make_world()


def test_every_change_queues_one_entry_in_sequence(world: World) -> None:
    """Submit, receive, process, supplement, resubmit, decide, return: seven entries."""
    dossier = whole_life(world, submit(world))
    queued = entries(world)
    assert [e.sequence for e in queued] == list(range(1, 8))
    assert [e.record["TrangThaiHoSo"] for e in queued] == ["1", "2", "4", "5", "4", "9", "10"]
    assert all(e.state is SyncState.PENDING for e in queued)
    # Every history step after the draft is sent exactly once, in order.
    rows = [row for e in queued for row in e.progress]
    steps = [h for h in dossier.history if h.to_status is not DossierStatus.DRAFT]
    assert [r["TrangThai"] for r in rows] == [str(h.to_status.national_code) for h in steps]
    assert [r["ThoiDiemXuLy"] for r in rows] == [national_timestamp(h.at) for h in steps]
    assert queued[-1].history_upto == len(dossier.history)


def test_the_record_follows_section_10_from_our_records(world: World) -> None:
    """Field names, strings only, dates as yyyyMMddHHmmss in Vietnam time, flags from records."""
    dossier = whole_life(world, submit(world))
    record = entries(world)[-1].record
    assert only_strings(record)
    assert record["MaHoSo"] == str(dossier.code)
    assert record["KenhThucHien"] == "2"
    assert record["LoaiDoiTuong"] == "1"
    assert record["DinhDanhCHS"] == [{"LoaiDinhDanh": "1", "SoDinhDanh": "001190012345"}]
    assert record["NgayNopHoSo"] == "20220622090000"  # 09:00 in Vietnam, not UTC
    assert record["NgayKetThucXuLy"] == "20220628140000"
    assert record["NgayTra"] == "20220629090000"
    for name in DATE_FIELDS:
        assert STAMP.match(record[name]), name
    assert record["NgayTuChoi"] == ""
    assert record["TaiKhoanDuocXacThucVoiVNeID"] == "0"  # the account has no national identity
    assert record["DuocThanhToanTrucTuyen"] == "0"  # no online payment
    (supplement,) = record["DanhSachHoSoBoSung"]
    assert supplement["NgayHenTraCu"] == "20220627170000"
    assert supplement["NgayHenTraMoi"] == "20220629170000"  # moved by the days waited
    assert len(record["TaiLieuNop"]) == len(dossier.attachments)
    assert all(f["DuongDanTaiTepTin"].startswith("http") for f in record["TaiLieuNop"])


def test_a_rolled_back_change_queues_nothing(world: World) -> None:
    """When the unit of work fails after the sync entry was staged, neither stays."""
    dossier = submit(world)
    before = entries(world)
    world.portal.storage.fail_on.add("outbox.add")  # the mail of the reception fails
    with pytest.raises(StorageError):
        world.portal.desk.receive(world.officer.id, dossier.id)
    world.portal.storage.fail_on.clear()
    assert [e.id for e in entries(world)] == [e.id for e in before]
    assert world.portal.dossiers.get(world.citizen.id, dossier.id).status is (
        DossierStatus.AWAITING_RECEPTION
    )
    # The next change carries the steps since the last queued entry, nothing more.
    world.portal.desk.receive(world.officer.id, dossier.id)
    last = entries(world)[-1]
    assert [r["TrangThai"] for r in last.progress] == ["2"]


def test_a_withdrawal_and_a_stop_are_queued(world: World) -> None:
    withdrawn = submit(world)
    world.portal.dossiers.withdraw(world.citizen.id, withdrawn.id, "Nộp nhầm thủ tục")
    stopped = submit(world)
    world.portal.desk.receive(world.officer.id, stopped.id)
    world.portal.desk.stop_processing(world.officer.id, stopped.id, "Người nộp đã mất")
    states = {e.dossier_id: e.record["TrangThaiHoSo"] for e in entries(world)}
    assert states == {withdrawn.id: "7", stopped.id: "8"}
    refused = submit(world)
    world.portal.desk.refuse_reception(world.officer.id, refused.id, "Sai thẩm quyền")
    last = [e for e in entries(world) if e.dossier_id == refused.id][-1]
    assert last.record["TrangThaiHoSo"] == "3"
    assert STAMP.match(last.record["NgayTuChoi"])


def test_a_confirmed_payment_is_queued_with_the_online_payment_flag(world: World) -> None:
    """Fees paid through our own gateway: DuocThanhToanTrucTuyen 2, in the same change."""
    dossier = submit(world, "1.001066")  # 150.000 VND due at submission
    unpaid = entries(world)[-1].record
    assert unpaid["DuocThanhToanTrucTuyen"] == "0"
    assert sum(int(f["Gia"]) for f in unpaid["DanhSachLePhi"]) == 150_000
    gateway = world.portal.context.payment_gateway
    redirect = world.portal.payments.start(world.citizen.id, dossier.id, client_ip="203.113.0.7")
    world.portal.payments.handle_callback(gateway.complete(redirect.txn_ref))  # type: ignore[attr-defined]
    paid = entries(world)[-1]
    assert paid.sequence == 2
    assert paid.record["DuocThanhToanTrucTuyen"] == "2"
    assert {f["HinhThucThu"] for f in paid.record["DanhSachLePhi"]} == {"2"}


def test_a_draft_queues_nothing(world: World) -> None:
    draft = world.portal.dossiers.start_draft(world.citizen.id, "1.001612")
    with world.portal.storage.unit_of_work() as uow:
        dossier = uow.dossiers.get(draft.id)
        assert queue_dossier_sync(uow, world.portal.context, dossier) is None


@given(
    instant=st.datetimes(
        min_value=dt.datetime(1971, 1, 1),
        max_value=dt.datetime(9998, 12, 31),
        timezones=st.sampled_from([dt.UTC, VN_TZ, dt.timezone(dt.timedelta(hours=-5))]),
    )
)
def test_national_timestamps_are_vietnam_time(instant: dt.datetime) -> None:
    text = national_timestamp(instant)
    assert STAMP.match(text)
    back = dt.datetime.strptime(text, "%Y%m%d%H%M%S").replace(tzinfo=VN_TZ)
    assert back == instant.replace(microsecond=0)


def test_entries_refuse_values_that_are_not_strings() -> None:
    with pytest.raises(InvalidInput, match="text"):
        SyncEntry(
            id="s",
            dossier_id="d",
            dossier_code="c",
            sequence=1,
            created_at=local(22, 9),
            record={"TrangThaiHoSo": 2},
        )


def test_the_entry_life() -> None:
    entry = SyncEntry(
        id="s", dossier_id="d", dossier_code="c", sequence=1, created_at=local(22, 9), record={}
    )
    with pytest.raises(TransitionNotAllowed):
        entry.retry(now=local(22, 9))
    entry.claim("w", now=local(22, 9), lease=dt.timedelta(minutes=1))
    entry.give_up(error="refused")
    assert entry.state is SyncState.NEEDS_ATTENTION
    entry.retry(now=local(22, 10))
    assert (entry.state, entry.attempts) == (SyncState.PENDING, 0)


class _Recorder:
    """A national portal in memory that fails as told."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []
        self.failures: list[Exception] = []
        self.known: set[str] = set()

    def _maybe_fail(self) -> None:
        if self.failures:
            raise self.failures.pop(0)

    def insert_dossier(self, record: Any) -> None:
        self._maybe_fail()
        if record["MaHoSo"] in self.known:
            raise NationalPortalRejected("-1", f"Hồ sơ {record['MaHoSo']} đã tồn tại")
        self.known.add(record["MaHoSo"])
        self.calls.append(("insert", record["MaHoSo"]))

    def update_dossier(self, record: Any) -> None:
        self._maybe_fail()
        self.calls.append(("update", record["MaHoSo"]))

    def update_progress(self, rows: Any) -> None:
        self._maybe_fail()
        assert 1 <= len(rows) <= 10
        self.calls.append(("progress", len(rows)))


def dispatcher(world: World, portal: _Recorder, **options: Any) -> SyncDispatcher:
    options.setdefault("backoff", dt.timedelta(0))
    return SyncDispatcher(world.portal.context, portal, jitter=lambda: 0.0, **options)


def test_progress_goes_in_batches_of_ten(world: World) -> None:
    recorder = _Recorder()
    entry = SyncEntry(
        id="s",
        dossier_id="d",
        dossier_code="C",
        sequence=1,
        created_at=local(22, 9),
        record={"MaHoSo": "C"},
        progress=tuple({"MaHoSo": "C", "n": str(n)} for n in range(23)),
    )
    with world.portal.storage.unit_of_work() as uow:
        uow.sync.add(entry)
        uow.commit()
    assert dispatcher(world, recorder).dispatch_until_idle().sent == 1
    assert recorder.calls == [("insert", "C"), ("progress", 10), ("progress", 10), ("progress", 3)]


def test_an_insert_that_already_exists_becomes_an_update(world: World) -> None:
    submit(world)
    recorder = _Recorder()
    recorder.known.add(entries(world)[0].dossier_code)
    dispatcher(world, recorder).dispatch_until_idle()
    assert recorder.calls[0] == ("update", entries(world)[0].dossier_code)
    assert entries(world)[0].state is SyncState.SENT


def test_a_partial_success_is_not_sent_again(world: World) -> None:
    """The record went, the progress failed: the retry sends only the progress."""
    submit(world)
    calls: list[str] = []

    class Flaky(_Recorder):
        def update_progress(self, rows: Any) -> None:
            calls.append("progress")
            if len(calls) == 1:
                raise RuntimeError("connection dropped")
            super().update_progress(rows)

    flaky = Flaky()
    report = dispatcher(world, flaky).dispatch_until_idle()
    assert (report.sent, report.retried) == (1, 1)
    assert [c[0] for c in flaky.calls] == ["insert", "progress"]


def test_retries_back_off_then_give_up_to_needs_attention(world: World) -> None:
    submit(world)
    recorder = _Recorder()
    recorder.failures = [RuntimeError("down")] * 3
    sync = dispatcher(
        world, recorder, max_attempts=3, backoff=dt.timedelta(minutes=1), backoff_factor=2
    )
    assert sync.dispatch_once().retried == 1
    entry = entries(world)[0]
    assert entry.next_attempt_at == world.clock.now() + dt.timedelta(minutes=1)
    assert sync.dispatch_once().handled == 0  # not due yet
    world.clock.advance(dt.timedelta(minutes=1))
    assert sync.dispatch_once().retried == 1
    assert entries(world)[0].next_attempt_at == world.clock.now() + dt.timedelta(minutes=2)
    world.clock.advance(dt.timedelta(minutes=2))
    assert sync.dispatch_once().needs_attention == 1
    status = world.portal.sync.status()
    assert [e.id for e in status.needs_attention] == [entry.id]
    assert "gave up after 3 attempts" in (status.needs_attention[0].last_error or "")
    world.portal.sync.retry()
    assert sync.dispatch_until_idle().sent == 1
    assert world.portal.sync.status().unsent == 0


def test_a_refusal_needs_attention_at_once_and_holds_back_only_its_dossier(world: World) -> None:
    first = submit(world)
    second = submit(world)
    world.portal.desk.receive(world.officer.id, first.id)
    recorder = _Recorder()
    recorder.failures = [NationalPortalRejected("99", "Dữ liệu không hợp lệ")]
    report = dispatcher(world, recorder).dispatch_until_idle()
    assert report.needs_attention == 1
    by_dossier = {(e.dossier_id, e.sequence): e.state for e in entries(world)}
    stuck = first.id if by_dossier[(first.id, 1)] is SyncState.NEEDS_ATTENTION else second.id
    other = second.id if stuck == first.id else first.id
    assert all(s is SyncState.SENT for (d, _), s in by_dossier.items() if d == other)
    # The stuck dossier's later entries wait behind it.
    assert all(s is not SyncState.SENT for (d, _), s in by_dossier.items() if d == stuck)
    world.portal.sync.retry()
    dispatcher(world, recorder).dispatch_until_idle()
    assert all(e.state is SyncState.SENT for e in entries(world))


def test_a_change_racing_another_on_the_same_dossier_is_a_concurrent_update(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two officers read the dossier, the first commits its entry; the second finds the
    entry's sequence taken: ConcurrentUpdate, as the versioned update on SQL says."""
    dossier = submit(world)
    context = world.portal.context
    with context.storage.unit_of_work() as uow:
        stale = uow.dossiers.get(dossier.id)
        taken = uow.sync.last_for(dossier.id)
        monkeypatch.setattr(uow.sync, "last_for", lambda _id: taken)  # read before the commit
        world.portal.desk.receive(world.officer.id, dossier.id)  # commits sequence 2
        stale.receive(
            officer=Actor.officer(world.officer.id),
            now=world.clock.now(),
            calendar=context.calendar,
        )
        with pytest.raises(ConcurrentUpdate):
            queue_dossier_sync(uow, context, stale)


def test_digitised_reused_and_result_files_are_told_as_recorded() -> None:
    """DuocSoHoa / DuocTaiSuDung from each file's flags, the results in
    DanhSachGiayToKetQua; nothing claimed for a file that is neither."""

    officer = Actor.officer("o-1", "Lê Văn Cường")
    dossier = builders.draft_dossier()
    component = dossier.procedure.mandatory_components()[0].id
    dossier.attach(component, builders.file_ref(b"%PDF-1.4 earlier"), reused=True)
    now = builders.T0
    dossier.submit(code=builders.dossier_code(1, now=now), now=now)
    dossier.digitise(
        officer=officer, now=now, component_id=component, file=builders.file_ref(b"%PDF scan")
    )
    result = builders.file_ref(b"%PDF-1.4 ket qua", name="ket-qua.pdf")

    def record() -> dict[str, Any]:
        return dossier_record(
            dossier, account=None, payments=(), field_name="Tư pháp", base_url="https://x.vn"
        )

    before = record()
    flags = [(f["DuocSoHoa"], f["DuocTaiSuDung"]) for f in before["TaiLieuNop"]]
    assert flags == [("0", "0")] * (len(flags) - 2) + [("0", "1"), ("1", "0")]
    assert before["HoSoCoThanhPhanSoHoa"] == "1"
    assert before["DanhSachGiayToKetQua"] == []
    dossier.receive(officer=officer, now=now, calendar=WorkingCalendar())
    dossier.start_processing(officer=officer, now=now)
    dossier.add_result(officer=officer, now=now, file=result)
    [told] = record()["DanhSachGiayToKetQua"]
    assert told["TenGiayTo"] == "ket-qua.pdf"
    assert told["MaGiayToKetQua"] == result.key
    assert told["DuongDanTepTinKetQua"].endswith(f"/files/{result.key}")
