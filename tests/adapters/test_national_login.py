"""``portal.national_login`` against the loopback OpenID Connect provider (DOMAIN section 12).

Begin, follow the provider's redirect as a browser would, complete: accounts created or
found, linked and unlinked with the password proved, officers mapped by their subject, and
every refusal a typed error that leaves nothing half written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from onestop.adapters.oidc import OidcIdentityProvider
from onestop.adapters.security import ScryptPasswordHasher
from onestop.application.national_login import (
    NATIONAL_LOGIN_ONLY,
    NationalLoginService,
    NationalLoginSession,
    NationalLoginSettings,
)
from onestop.application.sync import dossier_record
from onestop.domain.accounts import AccountKind, AccountStatus
from onestop.domain.reports import Measure
from onestop.errors import (
    AccountLocked,
    ConfigurationError,
    IdTokenNonceMismatch,
    InsufficientAssurance,
    InvalidCredentials,
    InvalidInput,
    NationalIdentityAlreadyLinked,
    NationalIdentityNotLinked,
    NationalIdNumberConflict,
    NationalLinkRequired,
    NationalLoginRefused,
    NationalLoginSessionExpired,
    NationalLoginStateMismatch,
    OfficerNotFound,
    OnestopError,
)
from onestop.testing import builders
from onestop.testing.oidc_provider import LocalOidcProvider
from tests.adapters.oidc_support import REDIRECT_URI, callback_params, local_provider, provider
from tests.unit.conftest import WARD, PortalKit, make_kit

__all__ = ["local_provider", "provider"]  # fixtures, used by name

PASSWORD = "mật khẩu của An 2022"
HASHER = ScryptPasswordHasher(n=2**10)


@pytest.fixture
def kit(provider: LocalOidcProvider) -> Iterator[PortalKit]:
    """A portal whose national login is the loopback provider; the citizen has a password."""
    kit = make_kit()
    adapter = OidcIdentityProvider(
        provider.issuer, provider.client_id, provider.client_secret, jwks_refresh_interval=0
    )
    provider.person["email"] = "an.nguyen.vneid@example.vn"  # not the kit citizen's email
    kit.portal.national_login = NationalLoginService(
        kit.portal.context,
        adapter,
        accounts=kit.portal.accounts,
        desk=kit.portal.desk,
        settings=NationalLoginSettings(redirect_uri=REDIRECT_URI),
    )
    with kit.storage.unit_of_work() as uow:
        citizen = uow.accounts.get(kit.citizen.id)
        citizen.change_password_hash(HASHER.hash(PASSWORD))
        uow.accounts.update(citizen)
        uow.commit()
    yield kit
    adapter.close()


def walk(kit: PortalKit) -> tuple[dict[str, str], NationalLoginSession]:
    """Begin a login and follow the provider's redirect: the callback and the kept session."""
    start = kit.portal.national_login.begin()
    return callback_params(start.url), start.session


# --- logging in -------------------------------------------------------------------------


def test_a_first_login_creates_an_active_account_with_the_identity(kit: PortalKit) -> None:
    """A citizen new to the portal gets an account at once: verified, VNeID-linked, no password."""
    params, session = walk(kit)
    login = kit.portal.national_login.complete(params, session)
    assert login.created
    account = login.account
    assert account.kind is AccountKind.CITIZEN
    assert account.status is AccountStatus.ACTIVE
    assert account.email == "an.nguyen.vneid@example.vn"
    assert account.profile.id_number == "001085001234"
    assert account.profile.date_of_birth == dt.date(1985, 3, 2)
    assert account.password_hash == NATIONAL_LOGIN_ONLY
    assert account.national_identity is not None
    assert account.national_identity.subject == "vneid-0001"
    assert account.national_identity.level_of_assurance == 2
    assert account.vneid
    with pytest.raises(InvalidCredentials):  # no password opens it
        kit.portal.accounts.log_in(account.email, NATIONAL_LOGIN_ONLY)
    again = kit.portal.national_login.complete(*walk(kit))
    assert not again.created
    assert again.account.id == account.id


def test_an_organisations_representative_gets_an_organisation_account(
    kit: PortalKit, provider: LocalOidcProvider
) -> None:
    """Claims carrying a tax code make an organisation's account, the person its representative."""
    provider.person.update(
        sub="vneid-org-1",
        email="ketoan@congty.example.vn",
        tax_code="0101234567",
        organization_name="Công ty TNHH Kon Tum Xanh",
    )
    login = kit.portal.national_login.complete(*walk(kit))
    assert login.account.kind is AccountKind.ORGANISATION
    assert login.account.profile.tax_code == "0101234567"
    assert login.account.profile.organisation_name == "Công ty TNHH Kon Tum Xanh"
    assert login.account.profile.full_name == "Nguyễn Văn An"


def test_an_email_that_has_an_account_asks_for_linking(
    kit: PortalKit, provider: LocalOidcProvider
) -> None:
    """The provider's email belongs to an account: NationalLinkRequired, nothing created."""
    provider.person["email"] = kit.citizen.email
    with pytest.raises(NationalLinkRequired):
        kit.portal.national_login.complete(*walk(kit))
    with kit.storage.unit_of_work() as uow:
        assert uow.accounts.find_by_national_subject("vneid-0001") is None


def test_a_locked_account_stays_locked(kit: PortalKit) -> None:
    """The national login does not open an account an administrator locked."""
    created = kit.portal.national_login.complete(*walk(kit)).account
    kit.portal.accounts.lock(created.email)
    with pytest.raises(AccountLocked):
        kit.portal.national_login.complete(*walk(kit))


def test_a_level_below_the_required_one_is_refused(
    kit: PortalKit, provider: LocalOidcProvider
) -> None:
    """min_level 2 refuses a level-1 login with InsufficientAssurance, and creates nothing."""
    strict = NationalLoginService(
        kit.portal.context,
        kit.portal.national_login._provider,
        settings=NationalLoginSettings(redirect_uri=REDIRECT_URI, min_level=2, acr_values=("2",)),
    )
    provider.person["acr"] = "urn:vneid:loa:1"
    start = strict.begin()
    assert "acr_values=2" in start.url
    with pytest.raises(InsufficientAssurance) as caught:
        strict.complete(callback_params(start.url), start.session)
    assert caught.value.params == {"required": 2, "level": 1}
    with kit.storage.unit_of_work() as uow:
        assert uow.accounts.find_by_national_subject("vneid-0001") is None
    provider.person["acr"] = "urn:vneid:loa:2"
    start = strict.begin()
    assert (
        strict.complete(callback_params(start.url), start.session).identity.level_of_assurance == 2
    )


# --- the callback against the session ---------------------------------------------------


def test_a_state_that_is_not_the_sessions_is_refused(kit: PortalKit) -> None:
    """A callback of another session (a forged link): NationalLoginStateMismatch."""
    params, _ = walk(kit)
    _, other_session = walk(kit)
    with pytest.raises(NationalLoginStateMismatch):
        kit.portal.national_login.complete(params, other_session)
    with pytest.raises(NationalLoginStateMismatch):
        kit.portal.national_login.complete({"code": params["code"]}, other_session)


def test_a_replayed_callback_is_refused(kit: PortalKit) -> None:
    """The same callback twice, session kept: the second is a replay (state used)."""
    params, session = walk(kit)
    kit.portal.national_login.complete(params, session)
    with pytest.raises(NationalLoginStateMismatch):
        kit.portal.national_login.complete(params, session)


def test_an_expired_session_is_refused(kit: PortalKit) -> None:
    """A callback after the session's lifetime: NationalLoginSessionExpired."""
    params, session = walk(kit)
    kit.clock.advance(dt.timedelta(minutes=11))
    with pytest.raises(NationalLoginSessionExpired):
        kit.portal.national_login.complete(params, session)


def test_a_provider_error_in_the_callback_is_refused(
    kit: PortalKit, provider: LocalOidcProvider
) -> None:
    """The citizen declined at the provider: NationalLoginRefused with the provider's error."""
    provider.inject("access_denied")
    params, session = walk(kit)
    assert "code" not in params
    with pytest.raises(NationalLoginRefused) as caught:
        kit.portal.national_login.complete(params, session)
    assert caught.value.provider_error == "access_denied"


def test_a_broken_id_token_creates_nothing(kit: PortalKit, provider: LocalOidcProvider) -> None:
    """A nonce mismatch (the adapter's checks) leaves no account behind."""
    provider.inject("wrong_nonce")
    with pytest.raises(IdTokenNonceMismatch):
        kit.portal.national_login.complete(*walk(kit))
    with kit.storage.unit_of_work() as uow:
        assert uow.accounts.find_by_national_subject("vneid-0001") is None


def test_the_session_survives_a_json_session_store(kit: PortalKit) -> None:
    """to_mapping / from_mapping round trip; a tampered mapping is a state mismatch."""
    params, session = walk(kit)
    kept = session.to_mapping()
    assert NationalLoginSession.from_mapping(kept) == session
    with pytest.raises(NationalLoginStateMismatch):
        NationalLoginSession.from_mapping({**kept, "expires_at": "tomorrow"})
    with pytest.raises(NationalLoginStateMismatch):
        NationalLoginSession.from_mapping({"state": 1})
    assert kit.portal.national_login.complete(params, NationalLoginSession.from_mapping(kept))


def test_hostile_callback_parameters_are_typed_errors(kit: PortalKit) -> None:
    """Non-text parameters are refused by the argument check before anything runs."""
    _, session = walk(kit)
    with pytest.raises(InvalidInput):
        kit.portal.national_login.complete({"state": None}, session)  # type: ignore[dict-item]
    with pytest.raises(InvalidInput):
        kit.portal.national_login.complete({}, "session")  # type: ignore[arg-type]


# --- linking ------------------------------------------------------------------------------


def test_linking_an_account_after_its_password(kit: PortalKit, provider: LocalOidcProvider) -> None:
    """The password proved, the identity is linked; the next national login finds the account."""
    provider.person["id_number"] = kit.citizen.profile.id_number
    provider.person["email"] = kit.citizen.email
    linked = kit.portal.national_login.link(kit.citizen.id, PASSWORD, *walk(kit))
    assert linked.national_identity is not None
    assert linked.national_identity.id_number == kit.citizen.profile.id_number
    login = kit.portal.national_login.complete(*walk(kit))
    assert login.account.id == kit.citizen.id
    assert not login.created


def test_linking_needs_the_right_password(kit: PortalKit) -> None:
    """A wrong password links nothing (and counts as a failed login)."""
    with pytest.raises(InvalidCredentials):
        kit.portal.national_login.link(kit.citizen.id, "wrong password", *walk(kit))
    assert not kit.portal.accounts.get(kit.citizen.id).vneid


def test_an_id_number_that_conflicts_is_refused(kit: PortalKit) -> None:
    """The provider vouches for another id number than the account holds: nothing linked."""
    assert kit.citizen.profile.id_number != "001085001234"
    with pytest.raises(NationalIdNumberConflict):
        kit.portal.national_login.link(kit.citizen.id, PASSWORD, *walk(kit))
    assert not kit.portal.accounts.get(kit.citizen.id).vneid


def test_a_subject_linked_to_another_account_is_refused(
    kit: PortalKit, provider: LocalOidcProvider
) -> None:
    """The subject already opens another account: NationalIdentityAlreadyLinked."""
    kit.portal.national_login.complete(*walk(kit))  # creates an account for vneid-0001
    provider.person["id_number"] = kit.citizen.profile.id_number
    with pytest.raises(NationalIdentityAlreadyLinked):
        kit.portal.national_login.link(kit.citizen.id, PASSWORD, *walk(kit))


def test_unlinking_forgets_the_identity(kit: PortalKit, provider: LocalOidcProvider) -> None:
    """Unlinked (password proved), the subject no longer opens the account."""
    provider.person["id_number"] = kit.citizen.profile.id_number
    kit.portal.national_login.link(kit.citizen.id, PASSWORD, *walk(kit))
    with pytest.raises(InvalidCredentials):
        kit.portal.national_login.unlink(kit.citizen.id, "wrong password")
    account = kit.portal.national_login.unlink(kit.citizen.id, PASSWORD)
    assert account.national_identity is None
    with pytest.raises(NationalIdentityNotLinked):
        kit.portal.national_login.unlink(kit.citizen.id, PASSWORD)
    with kit.storage.unit_of_work() as uow:
        assert uow.accounts.find_by_national_subject("vneid-0001") is None


# --- officers and the records that read the flag ---------------------------------------


def test_an_officer_logs_in_by_the_mapped_subject(
    kit: PortalKit, provider: LocalOidcProvider
) -> None:
    """An officer mapped to the subject logs in; an unmapped subject is OfficerNotFound."""
    officer = kit.officer()
    provider.person["sub"] = "vneid-can-bo-7"
    with pytest.raises(OfficerNotFound):
        kit.portal.national_login.complete_officer(*walk(kit))
    kit.portal.desk.link_external_subject(officer.id, "vneid-can-bo-7")
    assert kit.portal.national_login.complete_officer(*walk(kit)).id == officer.id


def test_the_national_sync_and_the_indicators_read_the_vneid_flag(
    kit: PortalKit, provider: LocalOidcProvider
) -> None:
    """TaiKhoanDuocXacThucVoiVNeID is "1" once the owner's account is linked, "0" before;
    MaDoiTuong is the subject the provider vouched for, empty before."""
    dossier = kit.submitted()

    def flag() -> tuple[str, str]:
        with kit.storage.unit_of_work() as uow:
            account = uow.accounts.get(kit.citizen.id)
            stored = uow.dossiers.get(dossier.id)
        record = dossier_record(
            stored, account=account, payments=(), field_name="x", base_url="https://x.vn"
        )
        return str(record["TaiKhoanDuocXacThucVoiVNeID"]), str(record["MaDoiTuong"])

    assert flag() == ("0", "")
    provider.person["id_number"] = kit.citizen.profile.id_number
    kit.portal.national_login.link(kit.citizen.id, PASSWORD, *walk(kit))
    assert flag() == ("1", str(provider.person["sub"]))
    kit.portal.desk.receive(kit.officer().id, dossier.id)
    day = dt.date(2022, 6, 22)
    report = kit.portal.reports.indicators(WARD, day, day + dt.timedelta(days=2))
    vneid = report.figure(Measure.VNEID)
    assert vneid is not None
    assert (vneid.numerator, vneid.denominator) == (1, 1)
    with pytest.warns(DeprecationWarning, match="portal.indicators is deprecated"):
        indicators = kit.portal.indicators
    figures = indicators.compute(WARD, day, day + dt.timedelta(days=2))
    assert figures.vneid is not None
    assert figures.vneid.value == 1.0


def test_without_a_provider_every_use_case_says_how_to_configure_one() -> None:
    """A portal without ONESTOP_OIDC_* refuses with ConfigurationError, not AttributeError."""
    kit = make_kit()
    with pytest.raises(ConfigurationError):
        kit.portal.national_login.begin()
    session = NationalLoginSession(
        state="s",
        nonce="n",
        code_verifier="v",
        redirect_uri=REDIRECT_URI,
        expires_at=builders.T0,
    )
    with pytest.raises(ConfigurationError):
        kit.portal.national_login.complete({"state": "s", "code": "c"}, session)


@given(
    code=st.text(max_size=300),
    error=st.none() | st.text(max_size=100),
    with_state=st.booleans(),
)
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_any_callback_gets_a_typed_refusal(
    kit: PortalKit, code: str, error: str | None, with_state: bool
) -> None:
    """Forged callbacks (any code, any error, the right state or none) are typed refusals."""
    start = kit.portal.national_login.begin()
    params = {"code": code}
    if with_state:
        params["state"] = start.session.state
    if error is not None:
        params["error"] = error
    with pytest.raises(OnestopError) as caught:
        kit.portal.national_login.complete(params, start.session)
    assert isinstance(
        caught.value, NationalLoginStateMismatch | NationalLoginRefused | InvalidInput
    )
    with kit.storage.unit_of_work() as uow:
        assert uow.accounts.find_by_national_subject("vneid-0001") is None
