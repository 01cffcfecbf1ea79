"""Officers for real (issue 10): roles, credentials, SSO subject, deactivation, desk login."""

from __future__ import annotations

import datetime as dt
import logging

import pytest

from onestop.domain.accounts import EVERY_ROLE, Officer, OfficerRole
from onestop.domain.dossier import Dossier
from onestop.domain.statuses import DossierStatus
from onestop.errors import (
    AccountLocked,
    DuplicateError,
    InvalidCredentials,
    InvalidInput,
    OfficerNotFound,
    PermissionDenied,
    WeakPassword,
)
from onestop.testing import builders
from tests.unit.conftest import BUDGET, BUILD, FINANCE, WARD, PortalKit

R = OfficerRole
PASSWORD = "mật khẩu cán bộ 2022"


def officer_with(kit: PortalKit, *roles: OfficerRole, agency: str = WARD) -> Officer:
    return kit.portal.desk.register_officer(
        agency,
        "Lê Văn Cường",
        f"{builders.new_id('officer')}@kontum.gov.vn",
        roles=frozenset(roles),
    )


def denied_events(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if getattr(r, "onestop_event", "") == "permission.denied"]


# --- domain -------------------------------------------------------------------------------


def test_an_officer_holds_every_role_unless_told_otherwise() -> None:
    """Existing code that registers officers without roles keeps a one-person office."""
    assert builders.officer().roles == EVERY_ROLE


def test_an_officer_needs_at_least_one_role() -> None:
    """Taking every role away is deactivation, not an empty set of roles."""
    officer = builders.officer()
    with pytest.raises(InvalidInput) as caught:
        officer.change_roles(frozenset())
    assert caught.value.field == "roles"


def test_a_deactivated_officer_holds_no_role_and_acts_for_no_agency() -> None:
    """Deactivation removes every right at once; reactivation gives them back."""
    officer = builders.officer()
    assert officer.deactivate()
    assert not officer.holds(R.RECEPTION)
    assert not officer.acts_for(officer.agency)
    assert officer.reactivate()
    assert officer.holds(R.RECEPTION)


def test_officer_lockout_follows_the_accounts_rule() -> None:
    """Five wrong passwords lock for a while; failures while locked change nothing."""
    officer = builders.officer()
    now = builders.T0
    results = [officer.record_failed_login(now, max_attempts=3) for _ in range(3)]
    assert results == [False, False, True]
    assert officer.is_locked(now)
    assert not officer.record_failed_login(now, max_attempts=3)
    with pytest.raises(AccountLocked):
        officer.check_can_log_in(now)
    assert not officer.is_locked(now + dt.timedelta(hours=1))


# --- administration -----------------------------------------------------------------------


def test_register_with_roles_password_and_subject(kit: PortalKit) -> None:
    """The officer is stored with its roles, a hashed password and its SSO subject."""
    officer = kit.portal.desk.register_officer(
        WARD,
        "Phạm Thị Dung",
        "Dung.Pham@KonTum.gov.vn",
        roles=frozenset({R.RECEPTION}),
        password=PASSWORD,
        external_subject="vneid|0123",
    )
    stored = kit.portal.desk.find_officer("dung.pham@kontum.gov.vn")
    assert stored.id == officer.id
    assert stored.roles == frozenset({R.RECEPTION})
    assert stored.password_hash is not None
    assert PASSWORD not in stored.password_hash
    assert stored.external_subject == "vneid|0123"


def test_register_refuses_a_weak_password_and_a_taken_email(kit: PortalKit) -> None:
    """The account rules apply to officers' passwords; an email belongs to one officer."""
    with pytest.raises(WeakPassword):
        kit.portal.desk.register_officer(WARD, "Phạm Thị Dung", "d@kontum.gov.vn", password="1")
    kit.portal.desk.register_officer(WARD, "Phạm Thị Dung", "d@kontum.gov.vn")
    with pytest.raises(DuplicateError):
        kit.portal.desk.register_officer(WARD, "Phạm Thị Dung", "d@kontum.gov.vn")


def test_find_officer_unknown_email(kit: PortalKit) -> None:
    """An unknown email is OfficerNotFound."""
    with pytest.raises(OfficerNotFound):
        kit.portal.desk.find_officer("nobody@kontum.gov.vn")


def test_list_officers_all_or_of_one_agency(kit: PortalKit) -> None:
    """Officers are listed by agency then id, or for one agency."""
    ward = kit.officer(WARD)
    build = kit.officer(BUILD)
    assert {o.id for o in kit.portal.desk.list_officers()} == {ward.id, build.id}
    assert [o.id for o in kit.portal.desk.list_officers(BUILD)] == [build.id]


def test_change_roles_deactivate_and_reactivate(kit: PortalKit) -> None:
    """Each administrative change is stored (with a new version)."""
    officer = kit.officer()
    changed = kit.portal.desk.change_roles(officer.id, frozenset({R.RETURN}))
    assert changed.roles == frozenset({R.RETURN})
    assert not kit.portal.desk.deactivate(officer.id).active
    assert kit.portal.desk.reactivate(officer.id).active
    assert kit.portal.desk.officer(officer.id).version == 3


# --- roles at the desk --------------------------------------------------------------------


def test_each_action_needs_its_role(kit: PortalKit, caplog: pytest.LogCaptureFixture) -> None:
    """Reception receives, processing handles, approval decides, return hands over."""
    dossier = kit.submitted(BUDGET)
    reception = officer_with(kit, R.RECEPTION, agency=FINANCE)
    processing = officer_with(kit, R.PROCESSING, agency=FINANCE)
    approval = officer_with(kit, R.APPROVAL, agency=FINANCE)
    returning = officer_with(kit, R.RETURN, agency=FINANCE)
    desk = kit.portal.desk
    caplog.set_level(logging.WARNING, "onestop.security")

    with pytest.raises(PermissionDenied, match="reception"):
        desk.receive(processing.id, dossier.id)
    desk.receive(reception.id, dossier.id)
    with pytest.raises(PermissionDenied):
        desk.start_processing(reception.id, dossier.id)
    desk.start_processing(processing.id, dossier.id)
    with pytest.raises(PermissionDenied):
        desk.decide(processing.id, dossier.id, approved=True)
    decided = desk.decide(approval.id, dossier.id, approved=True, signed_by="Nguyễn Văn Lãnh")
    assert decided.decision is not None
    assert decided.decision.signed_by == "Nguyễn Văn Lãnh"
    with pytest.raises(PermissionDenied):
        desk.return_result(approval.id, dossier.id)
    assert desk.return_result(returning.id, dossier.id).status is DossierStatus.RESULT_RETURNED
    events = denied_events(caplog)
    assert len(events) == 4
    assert {e.onestop_fields["action"] for e in events} == {  # type: ignore[attr-defined]
        "receive",
        "start_processing",
        "decide",
        "return_result",
    }


def test_the_decision_names_the_deciding_officer_by_default(kit: PortalKit) -> None:
    """Without signed_by, the leader on the decision is the officer who decided."""
    dossier = kit.submitted()
    officer = kit.portal.desk.register_officer(WARD, "Hoàng Văn Lãnh", "lanh@kontum.gov.vn")
    kit.portal.desk.receive(officer.id, dossier.id)
    kit.portal.desk.start_processing(officer.id, dossier.id)
    decided = kit.portal.desk.decide(officer.id, dossier.id, approved=True)
    assert decided.decision is not None
    assert decided.decision.signed_by == "Hoàng Văn Lãnh"


def test_reception_may_refuse_and_ask_for_a_supplement(kit: PortalKit) -> None:
    """Refusing reception and asking for documents are reception's."""
    officer = officer_with(kit, R.RECEPTION)
    first, second = kit.submitted(), kit.submitted()
    kit.portal.desk.request_supplement(officer.id, first.id, "Thiếu bản sao")
    refused = kit.portal.desk.refuse_reception(officer.id, second.id, "Không thuộc thẩm quyền")
    assert refused.status is DossierStatus.RECEPTION_REFUSED


def test_a_deactivated_officer_can_do_nothing(kit: PortalKit) -> None:
    """Not even read the queue."""
    officer = kit.officer()
    dossier = kit.submitted()
    kit.portal.desk.deactivate(officer.id)
    with pytest.raises(PermissionDenied):
        kit.portal.desk.queue(officer.id)
    with pytest.raises(PermissionDenied):
        kit.portal.desk.receive(officer.id, dossier.id)


def test_roles_never_reach_another_agency(kit: PortalKit) -> None:
    """Holding every role does not open another agency's dossiers."""
    dossier: Dossier = kit.submitted()
    other = kit.officer(BUILD)
    with pytest.raises(PermissionDenied):
        kit.portal.desk.receive(other.id, dossier.id)


# --- logging in ---------------------------------------------------------------------------


def test_log_in_with_the_right_password(kit: PortalKit) -> None:
    """desk.log_in returns the officer, whatever the case of the email."""
    officer = kit.portal.desk.register_officer(
        WARD, "Phạm Thị Dung", "dung@kontum.gov.vn", password=PASSWORD
    )
    assert kit.portal.desk.log_in("DUNG@kontum.gov.vn", PASSWORD).id == officer.id


def test_log_in_gives_one_error_for_unknown_email_wrong_password_and_no_password(
    kit: PortalKit,
) -> None:
    """Nobody can tell which officers exist, or which have a password."""
    kit.portal.desk.register_officer(WARD, "Phạm Thị Dung", "dung@kontum.gov.vn", password=PASSWORD)
    kit.portal.desk.register_officer(WARD, "Lê Văn Cường", "cuong@kontum.gov.vn")
    for email, password in [
        ("nobody@kontum.gov.vn", PASSWORD),
        ("dung@kontum.gov.vn", "wrong password"),
        ("cuong@kontum.gov.vn", PASSWORD),
    ]:
        with pytest.raises(InvalidCredentials):
            kit.portal.desk.log_in(email, password)


def test_wrong_passwords_lock_the_officer_for_a_while(kit: PortalKit) -> None:
    """The accounts' lockout: max_failed_logins in a row, then AccountLocked until it ends."""
    kit.portal.desk.register_officer(WARD, "Phạm Thị Dung", "dung@kontum.gov.vn", password=PASSWORD)
    for _ in range(kit.portal.context.settings.max_failed_logins):
        with pytest.raises(InvalidCredentials):
            kit.portal.desk.log_in("dung@kontum.gov.vn", "wrong password")
    with pytest.raises(AccountLocked):
        kit.portal.desk.log_in("dung@kontum.gov.vn", PASSWORD)
    kit.clock.advance(kit.portal.context.settings.lockout)
    kit.portal.desk.log_in("dung@kontum.gov.vn", PASSWORD)


def test_set_password_lifts_the_lock(kit: PortalKit) -> None:
    """An administrator's new password works at once."""
    officer = kit.portal.desk.register_officer(WARD, "Phạm Thị Dung", "dung@kontum.gov.vn")
    kit.portal.desk.set_password(officer.id, PASSWORD)
    assert kit.portal.desk.log_in("dung@kontum.gov.vn", PASSWORD).id == officer.id


def test_a_deactivated_officer_cannot_log_in(kit: PortalKit) -> None:
    """Even with the right password or a known SSO subject; a wrong password stays vague."""
    officer = kit.portal.desk.register_officer(
        WARD, "Phạm Thị Dung", "dung@kontum.gov.vn", password=PASSWORD, external_subject="sso|1"
    )
    kit.portal.desk.deactivate(officer.id)
    with pytest.raises(PermissionDenied):
        kit.portal.desk.log_in("dung@kontum.gov.vn", PASSWORD)
    with pytest.raises(InvalidCredentials):
        kit.portal.desk.log_in("dung@kontum.gov.vn", "wrong password")
    with pytest.raises(PermissionDenied):
        kit.portal.desk.log_in_external("sso|1")


def test_log_in_external_maps_the_subject(kit: PortalKit) -> None:
    """Single sign-on: the host proved the subject, the desk finds the officer."""
    officer = kit.officer()
    kit.portal.desk.link_external_subject(officer.id, "vneid|42")
    assert kit.portal.desk.log_in_external("vneid|42").id == officer.id
    with pytest.raises(OfficerNotFound):
        kit.portal.desk.log_in_external("vneid|43")
    kit.portal.desk.link_external_subject(officer.id, None)
    with pytest.raises(OfficerNotFound):
        kit.portal.desk.log_in_external("vneid|42")
