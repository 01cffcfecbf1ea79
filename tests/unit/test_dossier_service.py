"""The applicant's use cases (DossierService) over the in-memory portal (issue 3, Dossiers)."""

from __future__ import annotations

import datetime as dt
import io

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from onestop.domain.accounts import AccountStatus
from onestop.domain.catalog import Component
from onestop.domain.codes import AgencyCode
from onestop.domain.dossier import ActorKind, Dossier
from onestop.domain.statuses import DossierStatus
from onestop.errors import (
    AccountNotVerified,
    AttachmentContentMismatch,
    AttachmentTooLarge,
    DossierNotFound,
    DuplicateError,
    HomeServiceNotOffered,
    InvalidAttachment,
    InvalidDossierCode,
    InvalidIdentity,
    InvalidInput,
    MissingComponents,
    ProcedureNotFound,
    StorageError,
    TransitionNotAllowed,
)
from onestop.testing import builders
from tests.unit.conftest import (
    BUDGET,
    BUILD,
    HKD,
    PDF,
    PERMIT,
    WARD,
    PortalKit,
    make_kit,
    outbox,
    vn,
)

# --- drafts ---------------------------------------------------------------------------------


def test_a_draft_starts_with_the_applicant_block_of_the_account(kit: PortalKit) -> None:
    draft = kit.draft(HKD)
    assert draft.status is DossierStatus.DRAFT
    assert draft.code is None
    assert draft.owner_id == kit.citizen.id
    assert draft.applicant == kit.citizen.profile
    assert draft.procedure.code == HKD
    assert [h.action for h in draft.history] == ["draft_started"]
    assert kit.portal.dossiers.get(kit.citizen.id, draft.id).applicant == kit.citizen.profile


def test_the_applicant_block_of_a_draft_is_editable(kit: PortalKit) -> None:
    draft = kit.draft(HKD)
    changed = kit.portal.dossiers.update_applicant(
        kit.citizen.id, draft.id, address="45 Bà Triệu, thành phố Kon Tum", phone="0987654321"
    )
    stored = kit.portal.dossiers.get(kit.citizen.id, draft.id)
    assert stored.applicant == changed.applicant
    assert stored.applicant.address == "45 Bà Triệu, thành phố Kon Tum"
    assert stored.applicant.phone == "0987654321"
    # The account's own profile is untouched.
    assert kit.portal.accounts.get(kit.citizen.id).profile == kit.citizen.profile


def test_a_bad_applicant_edit_names_the_field_and_changes_nothing(kit: PortalKit) -> None:
    draft = kit.draft(HKD)
    before = kit.snapshot()
    with pytest.raises(InvalidIdentity) as caught:
        kit.portal.dossiers.update_applicant(kit.citizen.id, draft.id, phone="12")
    assert "phone" in caught.value.field
    assert kit.snapshot() == before
    assert kit.portal.dossiers.get(kit.citizen.id, draft.id).applicant == kit.citizen.profile


def test_a_submitted_applicant_block_can_no_longer_be_edited(kit: PortalKit) -> None:
    dossier = kit.submitted(HKD)
    with pytest.raises(TransitionNotAllowed):
        kit.portal.dossiers.update_applicant(kit.citizen.id, dossier.id, phone="0987654321")


def test_an_unverified_account_cannot_start_a_draft(kit: PortalKit) -> None:
    unverified = builders.account(verified=False)
    with kit.storage.unit_of_work() as uow:
        uow.accounts.add(unverified)
        uow.commit()
    assert unverified.status is AccountStatus.AWAITING_VERIFICATION
    before = kit.snapshot()
    with pytest.raises(AccountNotVerified):
        kit.portal.dossiers.start_draft(unverified.id, HKD)
    assert kit.portal.dossiers.list_mine(unverified.id) == []
    assert kit.snapshot() == before


def test_an_unknown_procedure_gives_procedure_not_found(kit: PortalKit) -> None:
    with pytest.raises(ProcedureNotFound):
        kit.portal.dossiers.start_draft(kit.citizen.id, "9.999999")
    assert kit.portal.dossiers.list_mine(kit.citizen.id) == []


def test_a_procedure_not_offered_online_cannot_be_drafted(kit: PortalKit) -> None:
    offline = builders.procedure("9.000001", agency=AgencyCode.parse(WARD), field="ho-kinh-doanh")
    kit.portal.catalog.put_procedure(attrs.evolve(offline, online=False))
    with pytest.raises(InvalidInput) as caught:
        kit.draft("9.000001")
    assert caught.value.field == "procedure"
    assert kit.portal.dossiers.list_mine(kit.citizen.id) == []


def test_someone_elses_dossier_is_not_found(kit: PortalKit) -> None:
    draft = kit.draft(HKD)
    dossiers = kit.portal.dossiers
    with pytest.raises(DossierNotFound):
        dossiers.get(kit.stranger.id, draft.id)
    with pytest.raises(DossierNotFound):
        dossiers.attach(
            kit.stranger.id,
            draft.id,
            "giay-de-nghi",
            PDF,
            filename="a.pdf",
            media_type="application/pdf",
        )
    with pytest.raises(DossierNotFound):
        dossiers.submit(kit.stranger.id, draft.id)
    with pytest.raises(DossierNotFound):
        dossiers.update_applicant(kit.stranger.id, draft.id, phone="0987654321")
    assert dossiers.list_mine(kit.stranger.id) == []


def test_a_draft_can_be_discarded_but_a_submitted_dossier_cannot(kit: PortalKit) -> None:
    draft = kit.draft(HKD)
    kit.portal.dossiers.discard_draft(kit.citizen.id, draft.id)
    with pytest.raises(DossierNotFound):
        kit.portal.dossiers.get(kit.citizen.id, draft.id)
    dossier = kit.submitted(HKD)
    with pytest.raises(TransitionNotAllowed):
        kit.portal.dossiers.discard_draft(kit.citizen.id, dossier.id)
    assert kit.portal.dossiers.get(kit.citizen.id, dossier.id).status is (
        DossierStatus.AWAITING_RECEPTION
    )


# --- attachments ----------------------------------------------------------------------------


def _attach(kit: PortalKit, dossier_id: str, component: str, data: bytes, media_type: str) -> None:
    kit.portal.dossiers.attach(
        kit.citizen.id, dossier_id, component, data, filename="tep.pdf", media_type=media_type
    )


def test_attach_stores_the_file_and_records_it_on_its_component(kit: PortalKit) -> None:
    draft = kit.draft(HKD)
    ref = kit.portal.dossiers.attach(
        kit.citizen.id,
        draft.id,
        "giay-de-nghi",
        PDF,
        filename="C:\\fakepath\\don-de-nghi.pdf",
        media_type="application/pdf",
    )
    assert ref.size == len(PDF)
    assert ref.media_type == "application/pdf"
    assert ref.name == "don-de-nghi.pdf"  # a browser's path is never kept
    assert len(ref.sha256) == 64
    assert kit.portal.context.file_store.get(ref.key) == PDF
    stored = kit.portal.dossiers.get(kit.citizen.id, draft.id)
    assert stored.files_for("giay-de-nghi") == (ref,)
    assert stored.files_for("giay-to-phap-ly") == ()


def test_attach_reads_a_stream_and_accepts_media_type_parameters(kit: PortalKit) -> None:
    draft = kit.draft(HKD)
    ref = kit.portal.dossiers.attach(
        kit.citizen.id,
        draft.id,
        "giay-to-phap-ly",
        io.BytesIO(PDF),
        filename="cccd.pdf",
        media_type="Application/PDF; charset=binary",
    )
    assert ref.media_type == "application/pdf"
    assert kit.portal.dossiers.get(kit.citizen.id, draft.id).files_for("giay-to-phap-ly") == (ref,)


def test_a_media_type_the_component_refuses_names_the_component(kit: PortalKit) -> None:
    draft = kit.draft(HKD)
    before = kit.snapshot()
    with pytest.raises(InvalidAttachment) as caught:
        _attach(kit, draft.id, "giay-de-nghi", b"MZ\x90\x00", "application/x-msdownload")
    assert caught.value.field == "components[giay-de-nghi].media_type"
    assert kit.snapshot() == before


def test_an_unknown_component_is_refused(kit: PortalKit) -> None:
    draft = kit.draft(HKD)
    with pytest.raises(InvalidInput) as caught:
        _attach(kit, draft.id, "khong-co", PDF, "application/pdf")
    assert caught.value.field == "component"


def test_an_empty_file_is_refused(kit: PortalKit) -> None:
    draft = kit.draft(HKD)
    before = kit.snapshot()
    with pytest.raises(InvalidAttachment) as caught:
        _attach(kit, draft.id, "giay-de-nghi", b"", "application/pdf")
    assert caught.value.field == "components[giay-de-nghi].size"
    assert kit.snapshot() == before


SMALL = 64  # bytes: the largest file the small procedure's component accepts


@pytest.fixture(scope="module")
def small_kit() -> PortalKit:
    kit = make_kit()
    small = builders.procedure(
        "9.000064",
        agency=AgencyCode.parse(WARD),
        field="ho-kinh-doanh",
        components=(
            Component(
                id="anh-chan-dung",
                name="Ảnh chân dung",
                media_types=frozenset({"image/jpeg"}),
                max_bytes=SMALL,
            ),
        ),
    )
    kit.portal.catalog.put_procedure(small)
    return kit


@settings(max_examples=40, deadline=None)
@given(size=st.integers(0, 3 * SMALL), as_stream=st.booleans())
def test_size_is_checked_against_the_component(
    small_kit: PortalKit, size: int, as_stream: bool
) -> None:
    kit = small_kit
    draft = kit.draft("9.000064")
    # A JPEG's signature, then filler: what is tested is the size (a file shorter than the
    # signature is refused for its content).
    data = (b"\xff\xd8\xff" + b"\xff" * size)[:size]
    try:
        kit.portal.dossiers.attach(
            kit.citizen.id,
            draft.id,
            "anh-chan-dung",
            io.BytesIO(data) if as_stream else data,
            filename="anh.jpg",
            media_type="image/jpeg",
        )
        accepted = True
    except AttachmentTooLarge as e:
        assert e.field == "components[anh-chan-dung].size"
        accepted = False
    except AttachmentContentMismatch as e:
        assert e.field == "components[anh-chan-dung].content"
        assert 1 <= size < 3
        accepted = False
    except InvalidAttachment as e:
        assert e.field == "components[anh-chan-dung].size"
        accepted = False
    assert accepted == (3 <= size <= SMALL)
    files = kit.portal.dossiers.get(kit.citizen.id, draft.id).files_for("anh-chan-dung")
    assert len(files) == (1 if accepted else 0)


def test_detach_removes_one_file(kit: PortalKit) -> None:
    draft = kit.draft(HKD)
    first = kit.portal.dossiers.attach(
        kit.citizen.id,
        draft.id,
        "giay-de-nghi",
        PDF,
        filename="a.pdf",
        media_type="application/pdf",
    )
    second = kit.portal.dossiers.attach(
        kit.citizen.id,
        draft.id,
        "giay-de-nghi",
        PDF + b"%v2",
        filename="b.pdf",
        media_type="application/pdf",
    )
    kit.portal.dossiers.detach(kit.citizen.id, draft.id, "giay-de-nghi", first.key)
    assert kit.portal.dossiers.get(kit.citizen.id, draft.id).files_for("giay-de-nghi") == (second,)
    before = kit.snapshot()
    with pytest.raises(InvalidInput) as caught:
        kit.portal.dossiers.detach(kit.citizen.id, draft.id, "giay-de-nghi", first.key)
    assert caught.value.field == "attachment"
    assert kit.snapshot() == before


def test_files_cannot_change_once_submitted(kit: PortalKit) -> None:
    dossier = kit.submitted(HKD)
    key = dossier.files_for("giay-de-nghi")[0].key
    before = kit.snapshot()
    with pytest.raises(TransitionNotAllowed):
        _attach(kit, dossier.id, "hop-dong-thue", PDF, "application/pdf")
    with pytest.raises(TransitionNotAllowed):
        kit.portal.dossiers.detach(kit.citizen.id, dossier.id, "giay-de-nghi", key)
    assert kit.snapshot() == before


# --- home services --------------------------------------------------------------------------


def test_home_pickup_and_delivery_where_offered(kit: PortalKit) -> None:
    draft = kit.draft(HKD)
    chosen = kit.portal.dossiers.choose_home_services(
        kit.citizen.id,
        draft.id,
        pickup_address="12 Trần Hưng Đạo, Kon Tum",
        delivery_address="  45 Bà Triệu, Kon Tum ",
    )
    stored = kit.portal.dossiers.get(kit.citizen.id, draft.id)
    assert stored.home_pickup_address == chosen.home_pickup_address == "12 Trần Hưng Đạo, Kon Tum"
    assert stored.home_delivery_address == "45 Bà Triệu, Kon Tum"
    kit.portal.dossiers.choose_home_services(kit.citizen.id, draft.id)
    stored = kit.portal.dossiers.get(kit.citizen.id, draft.id)
    assert stored.home_pickup_address is None
    assert stored.home_delivery_address is None


def test_home_services_not_offered_are_refused_atomically(kit: PortalKit) -> None:
    permit = kit.draft(PERMIT)  # delivery only
    before = kit.snapshot()
    with pytest.raises(HomeServiceNotOffered) as caught:
        kit.portal.dossiers.choose_home_services(
            kit.citizen.id, permit.id, pickup_address="1 Lê Lợi", delivery_address="2 Lê Lợi"
        )
    assert caught.value.field == "home_pickup"
    assert kit.snapshot() == before  # the delivery address was not kept either
    kit.portal.dossiers.choose_home_services(kit.citizen.id, permit.id, delivery_address="2 Lê Lợi")
    budget = kit.draft(BUDGET)  # neither
    with pytest.raises(HomeServiceNotOffered) as caught:
        kit.portal.dossiers.choose_home_services(
            kit.citizen.id, budget.id, delivery_address="2 Lê Lợi"
        )
    assert caught.value.field == "home_delivery"


def test_a_home_service_needs_an_address(kit: PortalKit) -> None:
    draft = kit.draft(HKD)
    with pytest.raises(InvalidInput) as caught:
        kit.portal.dossiers.choose_home_services(kit.citizen.id, draft.id, delivery_address="  ")
    assert caught.value.field == "home_delivery.address"


def test_the_delivery_address_is_kept_through_submission(kit: PortalKit) -> None:
    draft = kit.draft(HKD)
    kit.fill(draft)
    kit.portal.dossiers.choose_home_services(kit.citizen.id, draft.id, delivery_address="2 Lê Lợi")
    dossier = kit.portal.dossiers.submit(kit.citizen.id, draft.id)
    assert dossier.home_delivery_address == "2 Lê Lợi"
    with pytest.raises(TransitionNotAllowed):
        kit.portal.dossiers.choose_home_services(kit.citizen.id, draft.id)


# --- submission -----------------------------------------------------------------------------


def test_submit_numbers_the_dossier_computes_fees_and_queues_the_receipt(kit: PortalKit) -> None:
    draft = kit.draft(HKD)
    kit.fill(draft)
    dossier = kit.portal.dossiers.submit(kit.citizen.id, draft.id)
    assert str(dossier.code) == f"{WARD}-220622-0001"
    assert dossier.status is DossierStatus.AWAITING_RECEPTION
    assert dossier.submitted_at == vn(2022, 6, 22, 9)
    assert dossier.total_fees == 100_000
    assert [(line.unit_amount, line.quantity) for line in dossier.fee_lines] == [(100_000, 1)]
    assert outbox(kit) == [("submission_receipt", kit.citizen.email)]
    stored = kit.portal.dossiers.get(kit.citizen.id, draft.id)
    assert stored.code == dossier.code
    assert stored.fee_lines == dossier.fee_lines
    with kit.storage.unit_of_work() as uow:
        (entry,) = uow.outbox.list()
    assert str(dossier.code) in entry.message.text


def test_fee_lines_follow_the_procedure(kit: PortalKit) -> None:
    assert kit.submitted(BUDGET).total_fees == 0
    assert kit.submitted(BUDGET).fee_lines == ()
    two = kit.submitted("2.001035")
    assert two.total_fees == 150_000
    assert len(two.fee_lines) == 2


def test_codes_follow_each_agency_and_day(kit: PortalKit) -> None:
    codes = [str(kit.submitted(p).code) for p in (HKD, HKD, PERMIT, "2.000575", PERMIT)]
    assert codes == [
        f"{WARD}-220622-0001",
        f"{WARD}-220622-0002",
        f"{BUILD}-220622-0001",
        f"{WARD}-220622-0003",
        f"{BUILD}-220622-0002",
    ]


def test_the_code_day_is_the_local_day_across_midnight(kit: PortalKit) -> None:
    kit.clock.set(vn(2022, 6, 22, 23, 59))
    late = kit.draft(HKD)
    kit.fill(late)
    first = kit.portal.dossiers.submit(kit.citizen.id, late.id)
    kit.clock.set(dt.datetime(2022, 6, 22, 17, 0, tzinfo=dt.UTC))  # 00:00 on the 23rd in Vietnam
    second = kit.submitted(HKD)
    assert str(first.code) == f"{WARD}-220622-0001"
    assert str(second.code) == f"{WARD}-220623-0001"


def test_missing_components_are_listed_and_consume_nothing(kit: PortalKit) -> None:
    draft = kit.draft(HKD)
    before = kit.snapshot()
    with pytest.raises(MissingComponents) as caught:
        kit.portal.dossiers.submit(kit.citizen.id, draft.id, idempotency_key="k")
    assert caught.value.components == ("giay-de-nghi", "giay-to-phap-ly")
    assert caught.value.field == "components"
    _attach(kit, draft.id, "giay-de-nghi", PDF, "application/pdf")
    with pytest.raises(MissingComponents) as caught:
        kit.portal.dossiers.submit(kit.citizen.id, draft.id)
    assert caught.value.components == ("giay-to-phap-ly",)  # the optional one is not asked for
    assert kit.snapshot()[1:] == before[1:]  # no code taken, no mail, no payment
    assert kit.portal.dossiers.get(kit.citizen.id, draft.id).status is DossierStatus.DRAFT
    assert str(kit.submitted(HKD).code).endswith("-0001")


@pytest.mark.parametrize("operation", ["codes.next", "dossiers.update", "outbox.add", "commit"])
def test_a_storage_failure_during_submit_leaves_no_trace(kit: PortalKit, operation: str) -> None:
    draft = kit.draft(HKD)
    kit.fill(draft)
    before = kit.snapshot()
    kit.storage.fail_on = {operation}
    with pytest.raises(StorageError):
        kit.portal.dossiers.submit(kit.citizen.id, draft.id, idempotency_key="once")
    kit.storage.fail_on = set()
    assert kit.snapshot() == before
    assert outbox(kit) == []
    stored = kit.portal.dossiers.get(kit.citizen.id, draft.id)
    assert stored.status is DossierStatus.DRAFT
    assert stored.code is None
    # The retry gets the number the failure did not consume.
    again = kit.portal.dossiers.submit(kit.citizen.id, draft.id, idempotency_key="once")
    assert str(again.code) == f"{WARD}-220622-0001"


def test_double_submit_with_one_key_gives_one_dossier(kit: PortalKit) -> None:
    draft = kit.draft(HKD)
    kit.fill(draft)
    first = kit.portal.dossiers.submit(kit.citizen.id, draft.id, idempotency_key="click-1")
    kit.clock.advance(dt.timedelta(seconds=1))
    second = kit.portal.dossiers.submit(kit.citizen.id, draft.id, idempotency_key="click-1")
    assert second.id == first.id
    assert second.code == first.code
    assert second.submitted_at == first.submitted_at
    assert outbox(kit) == [("submission_receipt", kit.citizen.email)]
    assert len(kit.portal.dossiers.list_mine(kit.citizen.id)) == 1
    assert str(kit.submitted(HKD).code).endswith("-0002")


def test_one_idempotency_key_cannot_submit_two_dossiers(kit: PortalKit) -> None:
    kit.submitted(HKD, key="same-key")
    other = kit.draft(HKD)
    kit.fill(other)
    before = kit.snapshot()
    with pytest.raises(DuplicateError):
        kit.portal.dossiers.submit(kit.citizen.id, other.id, idempotency_key="same-key")
    assert kit.snapshot() == before
    # Keys belong to their owner: another citizen may use the same text.
    assert kit.submitted(HKD, account=kit.stranger, key="same-key").code is not None


def test_submitting_twice_without_a_key_is_refused(kit: PortalKit) -> None:
    dossier = kit.submitted(HKD)
    before = kit.snapshot()
    with pytest.raises(TransitionNotAllowed):
        kit.portal.dossiers.submit(kit.citizen.id, dossier.id)
    assert kit.snapshot() == before


# --- supplement, withdrawal, listing, progress ------------------------------------------------


def test_resubmit_after_a_supplement_request(kit: PortalKit) -> None:
    officer = kit.officer(WARD)
    dossier = kit.submitted(HKD)
    kit.clock.advance(dt.timedelta(hours=1))
    kit.portal.desk.request_supplement(officer.id, dossier.id, "Bổ sung bản sao CCCD rõ nét")
    asked = kit.portal.dossiers.get(kit.citizen.id, dossier.id)
    assert asked.status is DossierStatus.SUPPLEMENT_REQUESTED
    old = asked.files_for("giay-to-phap-ly")[0]
    kit.clock.advance(dt.timedelta(hours=1))
    kit.portal.dossiers.detach(kit.citizen.id, dossier.id, "giay-to-phap-ly", old.key)
    with pytest.raises(MissingComponents):
        kit.portal.dossiers.resubmit(kit.citizen.id, dossier.id)
    kit.portal.dossiers.attach(
        kit.citizen.id,
        dossier.id,
        "giay-to-phap-ly",
        PDF + b"%ro-net",
        filename="cccd-ro-net.pdf",
        media_type="application/pdf",
    )
    back = kit.portal.dossiers.resubmit(kit.citizen.id, dossier.id, "Đã bổ sung")
    assert back.status is DossierStatus.AWAITING_RECEPTION
    assert back.code == dossier.code  # the same dossier, the same number
    assert [h.action for h in back.history][-2:] == ["supplement_requested", "resubmitted"]
    assert [t for t, _ in outbox(kit)].count("supplement_requested") == 1
    with pytest.raises(TransitionNotAllowed):
        kit.portal.dossiers.resubmit(kit.citizen.id, dossier.id)


def test_withdraw_needs_a_reason_and_an_undecided_dossier(kit: PortalKit) -> None:
    dossier = kit.submitted(HKD)
    before = kit.snapshot()
    with pytest.raises(InvalidInput) as caught:
        kit.portal.dossiers.withdraw(kit.citizen.id, dossier.id, "  ")
    assert caught.value.field == "reason"
    with pytest.raises(DossierNotFound):
        kit.portal.dossiers.withdraw(kit.stranger.id, dossier.id, "không phải của tôi")
    assert kit.snapshot() == before
    done = kit.portal.dossiers.withdraw(kit.citizen.id, dossier.id, "Nộp nhầm thủ tục")
    assert done.status is DossierStatus.WITHDRAWN
    assert done.history[-1].note == "Nộp nhầm thủ tục"
    with pytest.raises(TransitionNotAllowed):
        kit.portal.dossiers.withdraw(kit.citizen.id, dossier.id, "lần nữa")
    with pytest.raises(TransitionNotAllowed):
        kit.portal.dossiers.withdraw(kit.citizen.id, kit.draft(HKD).id, "chưa nộp")


def test_list_mine_shows_only_my_dossiers_newest_first(kit: PortalKit) -> None:
    first = kit.submitted(HKD)
    kit.clock.advance(dt.timedelta(minutes=5))
    draft = kit.draft(PERMIT)
    kit.clock.advance(dt.timedelta(minutes=5))
    kit.submitted(HKD, account=kit.stranger)
    mine = kit.portal.dossiers.list_mine(kit.citizen.id)
    assert [d.id for d in mine] == [draft.id, first.id]
    assert all(d.owner_id == kit.citizen.id for d in mine)


def test_progress_history_of_a_dossier(kit: PortalKit) -> None:
    officer = kit.officer(WARD)
    dossier = kit.submitted(HKD)
    kit.clock.advance(dt.timedelta(hours=1))
    kit.portal.desk.receive(officer.id, dossier.id)
    steps = kit.portal.dossiers.progress(kit.citizen.id, dossier.id)
    assert [s.action for s in steps] == ["draft_started", "submitted", "received"]
    assert [s.status for s in steps] == [
        DossierStatus.DRAFT,
        DossierStatus.AWAITING_RECEPTION,
        DossierStatus.RECEIVED,
    ]
    assert steps[-1].actor_kind is ActorKind.OFFICER
    assert steps[-1].actor_name == officer.full_name
    assert steps[-1].label("vi") == "Tiếp nhận hồ sơ và hẹn trả kết quả"
    assert steps[-1].note == "Hẹn trả kết quả ngày 27/06/2022"
    assert steps[1].at == vn(2022, 6, 22, 9)
    with pytest.raises(DossierNotFound):
        kit.portal.dossiers.progress(kit.stranger.id, dossier.id)


# --- public tracking ------------------------------------------------------------------------


@pytest.mark.parametrize("second", ["062090001234", "0912345678", "0912 345 678", "+84912345678"])
def test_tracking_with_the_id_number_or_phone(kit: PortalKit, second: str) -> None:
    dossier = kit.submitted(HKD)
    view = kit.portal.dossiers.track(f" {dossier.code} ", second)
    assert view.code == str(dossier.code)
    assert view.status is DossierStatus.AWAITING_RECEPTION
    assert view.status_label("vi") == DossierStatus.AWAITING_RECEPTION.label_vi
    assert view.submitted_at == vn(2022, 6, 22, 9)
    assert view.due_date is None
    assert [s.status for s in view.steps] == [DossierStatus.AWAITING_RECEPTION]


def test_tracking_shows_status_and_dates_only(kit: PortalKit) -> None:
    officer = kit.officer(WARD)
    dossier = kit.submitted(HKD)
    kit.portal.desk.receive(officer.id, dossier.id, note="Ghi chú nội bộ về ông An")
    view = kit.portal.dossiers.track(str(dossier.code), "062090001234")
    assert view.due_date == dt.date(2022, 6, 27)
    shown = repr(attrs.asdict(view))
    for private in ("Nguyễn", "062090001234", "0912345678", "Trần Hưng Đạo", "ông An", "@"):
        assert private not in shown


@pytest.mark.parametrize("wrong", ["", "   ", "062090009999", "0987654321", "Nguyễn Văn An"])
def test_a_wrong_second_factor_looks_like_an_unknown_code(kit: PortalKit, wrong: str) -> None:
    dossier = kit.submitted(HKD)
    unknown = f"{WARD}-220622-0099"
    with pytest.raises(DossierNotFound) as for_wrong:
        kit.portal.dossiers.track(str(dossier.code), wrong)
    with pytest.raises(DossierNotFound) as for_unknown:
        kit.portal.dossiers.track(unknown, "062090001234")
    # Same class, same shape of message: nothing tells an existing code apart.
    assert type(for_wrong.value) is type(for_unknown.value)
    assert str(for_wrong.value) == str(for_unknown.value).replace(unknown, str(dossier.code))


def test_a_malformed_code_says_how_codes_look(kit: PortalKit) -> None:
    with pytest.raises(InvalidDossierCode):
        kit.portal.dossiers.track("not-a-code", "062090001234")


def test_two_racing_clicks_with_one_key_give_one_dossier(kit: PortalKit) -> None:
    import threading

    draft = kit.draft(HKD)
    kit.fill(draft)
    barrier = threading.Barrier(4)
    results: list[Dossier | Exception] = []

    def click() -> None:
        barrier.wait()
        try:
            results.append(
                kit.portal.dossiers.submit(kit.citizen.id, draft.id, idempotency_key="dbl")
            )
        except Exception as e:
            results.append(e)

    threads = [threading.Thread(target=click) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    codes = {str(r.code) for r in results if not isinstance(r, Exception)}
    assert [r for r in results if isinstance(r, Exception)] == []
    assert codes == {f"{WARD}-220622-0001"}
    assert outbox(kit) == [("submission_receipt", kit.citizen.email)]
    assert str(kit.submitted(HKD).code).endswith("-0002")
