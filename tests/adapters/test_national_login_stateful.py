"""Logins, links and unlinks in any order keep one account per national subject.

A state machine against the loopback provider: people log in with their national identity
(an account is created the first time), password accounts link and unlink identities, in
any order. A model says which account each subject opens; the portal must agree after
every step, and every refusal must be the typed error the model predicts.
"""

from __future__ import annotations

import attrs
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from onestop.adapters.oidc import OidcIdentityProvider
from onestop.adapters.security import ScryptPasswordHasher
from onestop.application.national_login import NationalLoginService, NationalLoginSettings
from onestop.errors import (
    NationalIdentityAlreadyLinked,
    NationalIdentityNotLinked,
)
from onestop.testing import builders
from onestop.testing.oidc_provider import DEFAULT_PERSON, LocalOidcProvider
from tests.adapters.oidc_support import REDIRECT_URI, callback_params
from tests.unit.conftest import make_kit

SUBJECTS = ("vneid-a", "vneid-b", "vneid-c")
PASSWORD = "mật khẩu thử 2026"
HASHER = ScryptPasswordHasher(n=2**10)
_PROVIDER = LocalOidcProvider()


class NationalLogins(RuleBasedStateMachine):
    @initialize()
    def start(self) -> None:
        if not _PROVIDER.running:
            _PROVIDER.start()
        self.kit = make_kit()
        self.adapter = OidcIdentityProvider(
            _PROVIDER.issuer, _PROVIDER.client_id, _PROVIDER.client_secret
        )
        self.login = NationalLoginService(
            self.kit.portal.context,
            self.adapter,
            accounts=self.kit.portal.accounts,
            desk=self.kit.portal.desk,
            settings=NationalLoginSettings(redirect_uri=REDIRECT_URI),
        )
        self.password_accounts: list[str] = []
        with self.kit.storage.unit_of_work() as uow:
            for n in range(2):
                account = builders.account(
                    email=f"chu-{n}@example.vn", password_hash=HASHER.hash(PASSWORD)
                )
                account.profile = attrs.evolve(account.profile, id_number=None)
                uow.accounts.add(account)
                self.password_accounts.append(account.id)
            uow.commit()
        self.model: dict[str, str] = {}  # subject -> account id

    def _callback(self, subject: str) -> tuple[dict[str, str], object]:
        person = {k: v for k, v in DEFAULT_PERSON.items() if k != "id_number"}
        _PROVIDER.person = {**person, "sub": subject, "email": f"{subject}@example.vn"}
        start = self.login.begin()
        return callback_params(start.url), start.session

    @rule(subject=st.sampled_from(SUBJECTS))
    def log_in(self, subject: str) -> None:
        params, session = self._callback(subject)
        result = self.login.complete(params, session)  # type: ignore[arg-type]
        if subject in self.model:
            assert result.account.id == self.model[subject]
            assert not result.created
        else:
            assert result.created
            self.model[subject] = result.account.id

    @rule(subject=st.sampled_from(SUBJECTS), which=st.integers(0, 1))
    def link(self, subject: str, which: int) -> None:
        account_id = self.password_accounts[which]
        params, session = self._callback(subject)
        holder = self.model.get(subject)
        try:
            self.login.link(account_id, PASSWORD, params, session)  # type: ignore[arg-type]
        except NationalIdentityAlreadyLinked:
            assert holder is not None and holder != account_id
            return
        assert holder in (None, account_id)
        for other, owner in list(self.model.items()):
            if owner == account_id:
                del self.model[other]  # a new link replaces the account's old one
        self.model[subject] = account_id

    @rule(which=st.integers(0, 1))
    def unlink(self, which: int) -> None:
        account_id = self.password_accounts[which]
        linked = [s for s, owner in self.model.items() if owner == account_id]
        try:
            self.login.unlink(account_id, PASSWORD)
        except NationalIdentityNotLinked:
            assert not linked
            return
        assert len(linked) == 1
        del self.model[linked[0]]

    @invariant()
    def one_account_per_subject(self) -> None:
        if not hasattr(self, "kit"):
            return
        with self.kit.storage.unit_of_work() as uow:
            for subject in SUBJECTS:
                found = uow.accounts.find_by_national_subject(subject)
                assert (found.id if found else None) == self.model.get(subject)
                if found is not None:
                    assert found.vneid

    def teardown(self) -> None:
        if hasattr(self, "adapter"):
            self.adapter.close()


NationalLogins.TestCase.settings = settings(max_examples=8, stateful_step_count=10, deadline=None)
TestNationalLogins = NationalLogins.TestCase
