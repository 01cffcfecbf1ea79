"""The stateful code-sequencing test, as a machine any storage can run (issue 3, Tests).

:func:`code_sequencing_machine` builds a hypothesis ``RuleBasedStateMachine`` that drives a
wired portal through random interleavings of: drafts and submissions to three agencies,
invalid submissions (a mandatory component missing), storage failures injected into a
submission or a draft, double submission under one idempotency key, and a clock that
crosses Vietnam's local midnight (17:00 UTC). After every step it checks, against what the
storage itself reports:

* per agency and local day, the codes are exactly 0001..n in submission order, all unique;
* a draft has no code, and every submitted dossier has one;
* failed or refused submissions consume no number, leave the draft a draft and queue no mail;
* each successful submission queued exactly one mail (the receipt), a double submission none;
* the portal may switch its code scheme mid-run (2018, left-to-right ids, wide, the 2025
  centralised one): the day's counter continues, every code ever issued still reads back
  under the portal's scheme history, and a day past a scheme's last number fails cleanly;
* under a growing scheme a day may need more than 9999 numbers: the 10000th gets five digits.

Usage, for any storage that has a ``fail_on`` set of operation names (see
:data:`onestop.adapters.memory.OPERATIONS`)::

    def make_portal(clock: ManualClock) -> tuple[Portal, Callable[[set[str]], None]]:
        storage = InMemoryStorage()
        portal = bootstrap(storage=storage, clock=clock, secret_key="a-test-key-16-bytes")
        return portal, fail_on_setter(storage)

    TestSequencing = code_sequencing_machine(make_portal).TestCase

``make_portal`` is called once per generated example and must return a portal on an empty
storage; the machine loads its own catalog and accounts, and closes the portal at teardown.

Needs hypothesis (the ``test`` extra).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, Final

import attrs
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    initialize,
    invariant,
    precondition,
    rule,
)

from onestop.adapters.clocks import ManualClock
from onestop.bootstrap import Portal
from onestop.domain.catalog import Procedure
from onestop.domain.codes import (
    SCHEME_2018,
    SCHEME_2018_LEFT_TO_RIGHT,
    SCHEME_2025_CENTRAL,
    SCHEME_WIDE,
    VN_TZ,
    AgencyCode,
    CodeScheme,
    local_day,
)
from onestop.domain.schemes import FormerScheme
from onestop.domain.statuses import DossierStatus
from onestop.errors import CodeSequenceExhausted, MissingComponents, StorageError
from onestop.testing import builders

__all__ = [
    "DRAFT_FAILURES",
    "START",
    "SUBMIT_FAILURES",
    "FailOn",
    "PortalFactory",
    "code_sequencing_machine",
    "fail_on_setter",
]

#: Sets the storage's injected failures (an empty set: none).
FailOn = Callable[[set[str]], None]
#: Builds a portal on an empty storage driven by ``clock``, and its failure switch.
PortalFactory = Callable[[ManualClock], tuple[Portal, FailOn]]

#: Operations made to fail during a submission: each must leave no trace.
SUBMIT_FAILURES: Final = ("codes.next", "dossiers.update", "outbox.add", "commit")
#: Operations made to fail while starting a draft: no draft is left.
DRAFT_FAILURES: Final = ("dossiers.add", "commit")
#: Where the clock starts: 23:50 local time on Wednesday 22 June 2022 (16:50 UTC), so that
#: most runs submit on both sides of local midnight.
START: Final = dt.datetime(2022, 6, 22, 23, 50, tzinfo=VN_TZ)

_PDF: Final = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
_AGENCIES: Final = (AgencyCode("H34", 3), AgencyCode("H34", 4), AgencyCode("H34", 20, 1))
_MIDNIGHT_UTC: Final = dt.time(17, 0)  # 00:00 in Vietnam (UTC+7, no daylight saving)
#: The schemes the machine switches between; the centralised one issues as system 07.
_SCHEMES: Final[tuple[CodeScheme, ...]] = (
    SCHEME_2018,
    SCHEME_2018_LEFT_TO_RIGHT,
    SCHEME_WIDE,
    SCHEME_2025_CENTRAL.issued_by("07"),
)
#: Numbers taken at once by the step that needs more than 9999 in a day.
_BULK: Final = 9999


def fail_on_setter(storage: Any) -> FailOn:
    """The failure switch of a storage with a ``fail_on`` set (in-memory or SQL)."""

    def set_fail_on(names: set[str]) -> None:
        storage.fail_on = set(names)

    return set_fail_on


def _procedures() -> tuple[Procedure, ...]:
    """One procedure per agency, each with two mandatory components and one optional."""
    return tuple(
        builders.procedure(
            f"9.00{i:04d}",
            agency=agency,
            name=f"Thủ tục thử nghiệm số {i}",
            components=(
                builders.component("don-de-nghi", name="Đơn đề nghị"),
                builders.component("ban-sao", name="Bản sao giấy tờ", originals=0, copies=1),
                builders.component("tuy-chon", name="Giấy tờ khác", mandatory=False),
            ),
        )
        for i, agency in enumerate(_AGENCIES, start=1)
    )


@attrs.frozen
class _Draft:
    """A draft the machine started: whose, for which agency, and whether it is filled."""

    id: str
    owner_id: str
    agency: AgencyCode
    filled: bool


@attrs.frozen
class _Submitted:
    id: str
    owner_id: str
    key: str
    code: str


def code_sequencing_machine(make_portal: PortalFactory) -> type[RuleBasedStateMachine]:
    """A state machine checking gap-free, ordered, unique dossier codes on ``make_portal``."""

    class CodeSequencing(RuleBasedStateMachine):
        filled = Bundle("filled")
        unfilled = Bundle("unfilled")
        submitted = Bundle("submitted")

        def __init__(self) -> None:
            super().__init__()
            self.clock = ManualClock(START)
            self.portal, self.fail_on = make_portal(self.clock)
            self.procedures = _procedures()
            self.owners = (
                builders.account(email="an.nguyen@example.vn"),
                builders.account(email="binh.tran@example.vn", full_name="Trần Thị Bình"),
            )
            # The model: dossier ids per (agency, local day), in number order; None for a
            # number taken without a dossier (the bulk step).
            self.expected: dict[tuple[AgencyCode, dt.date], list[str | None]] = {}
            self.scheme_since = dt.date(2000, 1, 1)
            self.bulk_done = False
            self.draft_ids: set[str] = set()
            self.mails = 0

        @initialize()
        def load_catalog_and_accounts(self) -> None:
            catalog = self.portal.catalog
            catalog.put_field(builders.field())
            for agency in _AGENCIES:
                catalog.put_agency(builders.agency(agency, name=f"Đơn vị {agency}"))
            for procedure in self.procedures:
                catalog.put_procedure(procedure)
            with self.portal.storage.unit_of_work() as uow:
                for owner in self.owners:
                    uow.accounts.add(owner)
                uow.commit()

        def teardown(self) -> None:
            self.fail_on(set())
            self.portal.close()

        # --- helpers ------------------------------------------------------------------

        def _start(self, which: int, owner: int, *, fill: bool) -> _Draft:
            procedure = self.procedures[which]
            owner_id = self.owners[owner].id
            dossiers = self.portal.dossiers
            draft = dossiers.start_draft(owner_id, procedure.code)
            components = procedure.mandatory_components()
            # An unfilled draft lacks the last mandatory component.
            for component in components if fill else components[:-1]:
                dossiers.attach(
                    owner_id,
                    draft.id,
                    component.id,
                    _PDF,
                    filename=f"{component.id}.pdf",
                    media_type="application/pdf",
                )
            self.draft_ids.add(draft.id)
            return _Draft(draft.id, owner_id, procedure.agency, fill)

        def _outbox_size(self) -> int:
            with self.portal.storage.unit_of_work() as uow:
                return len(uow.outbox.list())

        def _assert_still_draft(self, draft: _Draft) -> None:
            dossier = self.portal.dossiers.get(draft.owner_id, draft.id)
            assert dossier.status is DossierStatus.DRAFT, dossier.status
            assert dossier.code is None, dossier.code

        # --- rules --------------------------------------------------------------------

        @rule(target=filled, which=st.integers(0, len(_AGENCIES) - 1), owner=st.integers(0, 1))
        def start_filled_draft(self, which: int, owner: int) -> _Draft:
            return self._start(which, owner, fill=True)

        @rule(target=unfilled, which=st.integers(0, len(_AGENCIES) - 1), owner=st.integers(0, 1))
        def start_unfilled_draft(self, which: int, owner: int) -> _Draft:
            return self._start(which, owner, fill=False)

        @rule(target=filled, draft=consumes(unfilled))
        def complete_draft(self, draft: _Draft) -> _Draft:
            self.portal.dossiers.attach(
                draft.owner_id,
                draft.id,
                "ban-sao",
                _PDF,
                filename="ban-sao.pdf",
                media_type="application/pdf",
            )
            return attrs.evolve(draft, filled=True)

        @rule(
            which=st.integers(0, len(_AGENCIES) - 1),
            owner=st.integers(0, 1),
            operation=st.sampled_from(DRAFT_FAILURES),
        )
        def start_draft_fails(self, which: int, owner: int, operation: str) -> None:
            owner_id = self.owners[owner].id
            before = len(self.portal.dossiers.list_mine(owner_id))
            self.fail_on({operation})
            try:
                self.portal.dossiers.start_draft(owner_id, self.procedures[which].code)
                raise AssertionError(f"an injected failure in {operation} was not raised")
            except StorageError:
                pass
            finally:
                self.fail_on(set())
            assert len(self.portal.dossiers.list_mine(owner_id)) == before

        @rule(draft=unfilled)
        def submit_invalid(self, draft: _Draft) -> None:
            mails = self._outbox_size()
            missing: tuple[str, ...] = ()
            try:
                self.portal.dossiers.submit(
                    draft.owner_id, draft.id, idempotency_key=f"submit-{draft.id}"
                )
            except MissingComponents as e:
                missing = e.components
            assert missing == ("ban-sao",), f"submitted without a mandatory component: {missing}"
            self._assert_still_draft(draft)
            assert self._outbox_size() == mails

        @rule(target=submitted, draft=consumes(filled))
        def submit(self, draft: _Draft) -> _Submitted:
            return self._submit(draft)

        def _submit(self, draft: _Draft) -> _Submitted:
            key = f"submit-{draft.id}"
            mails = self._outbox_size()
            day = local_day(self.clock.now())
            taken = len(self.expected.get((draft.agency, day), []))
            if taken >= self.portal.context.settings.code_scheme.max_seq:
                # A scheme without growth has run out for the day: refused, nothing consumed.
                try:
                    self.portal.dossiers.submit(draft.owner_id, draft.id, idempotency_key=key)
                    raise AssertionError("a day past the scheme's last number gave a code")
                except CodeSequenceExhausted:
                    pass
                self._assert_still_draft(draft)
                assert self._outbox_size() == mails
                return _Submitted(draft.id, draft.owner_id, key, "")
            dossier = self.portal.dossiers.submit(draft.owner_id, draft.id, idempotency_key=key)
            assert dossier.code is not None
            assert dossier.status is DossierStatus.AWAITING_RECEPTION
            assert dossier.code.day == day
            self.expected.setdefault((draft.agency, day), []).append(dossier.id)
            self.draft_ids.discard(draft.id)
            self.mails += 1
            assert self._outbox_size() == mails + 1
            return _Submitted(dossier.id, draft.owner_id, key, str(dossier.code))

        @rule(target=submitted, which=st.integers(0, len(_AGENCIES) - 1), owner=st.integers(0, 1))
        def submit_new(self, which: int, owner: int) -> _Submitted:
            return self._submit(self._start(which, owner, fill=True))

        @rule(target=filled, draft=consumes(filled), operation=st.sampled_from(SUBMIT_FAILURES))
        def submit_fails(self, draft: _Draft, operation: str) -> _Draft:
            mails = self._outbox_size()
            day = local_day(self.clock.now())
            taken = len(self.expected.get((draft.agency, day), []))
            # A day past the scheme's last number fails before any injected failure can.
            exhausted = taken >= self.portal.context.settings.code_scheme.max_seq
            expected: tuple[type[Exception], ...] = (
                (StorageError, CodeSequenceExhausted) if exhausted else (StorageError,)
            )
            self.fail_on({operation})
            try:
                self.portal.dossiers.submit(
                    draft.owner_id, draft.id, idempotency_key=f"submit-{draft.id}"
                )
                raise AssertionError(f"an injected failure in {operation} was not raised")
            except expected:
                pass
            finally:
                self.fail_on(set())
            self._assert_still_draft(draft)
            assert self._outbox_size() == mails
            return draft  # still a draft: it may be submitted later

        @rule(earlier=submitted)
        def double_submit(self, earlier: _Submitted) -> None:
            if not earlier.code:
                return  # refused for want of numbers: still a draft, nothing to repeat
            mails = self._outbox_size()
            again = self.portal.dossiers.submit(
                earlier.owner_id, earlier.id, idempotency_key=earlier.key
            )
            assert again.id == earlier.id
            assert str(again.code) == earlier.code
            assert self._outbox_size() == mails

        @rule(scheme=st.sampled_from(_SCHEMES))
        def switch_scheme(self, scheme: CodeScheme) -> None:
            """The host changes its code scheme on the live portal; the old one is kept."""
            settings = self.portal.context.settings
            if scheme == settings.code_scheme:
                return
            today = local_day(self.clock.now())
            until = max(today + dt.timedelta(days=1), self.scheme_since + dt.timedelta(days=1))
            former = FormerScheme(settings.code_scheme, self.scheme_since, until)
            self.portal.context.settings = attrs.evolve(
                settings,
                code_scheme=scheme,
                former_code_schemes=(*settings.former_code_schemes, former),
            )
            self.scheme_since = until

        @precondition(
            lambda self: not self.bulk_done and self.portal.context.settings.code_scheme.seq_grows
        )
        @rule(which=st.integers(0, len(_AGENCIES) - 1))
        def take_more_than_9999_today(self, which: int) -> None:
            """A busy day under a growing scheme: 9999 numbers go at once (an import)."""
            agency = _AGENCIES[which]
            day = local_day(self.clock.now())
            with self.portal.storage.unit_of_work() as uow:
                maximum = self.portal.context.settings.code_scheme.max_seq
                for _ in range(_BULK):
                    uow.codes.next(agency, day, maximum=maximum)
                uow.commit()
            self.expected.setdefault((agency, day), []).extend([None] * _BULK)
            self.bulk_done = True

        @rule(minutes=st.integers(1, 3 * 60))
        def advance(self, minutes: int) -> None:
            self.clock.advance(dt.timedelta(minutes=minutes))

        @precondition(lambda self: self.clock.now().astimezone(dt.UTC).time() < _MIDNIGHT_UTC)
        @rule(seconds_before=st.integers(1, 120))
        def approach_local_midnight(self, seconds_before: int) -> None:
            now = self.clock.now().astimezone(dt.UTC)
            midnight = dt.datetime.combine(now.date(), _MIDNIGHT_UTC, tzinfo=dt.UTC)
            just_before = midnight - dt.timedelta(seconds=seconds_before)
            if just_before > now:
                self.clock.set(just_before)

        # --- invariants ---------------------------------------------------------------

        @invariant()
        def codes_are_gap_free_in_submission_order(self) -> None:
            seen: set[str] = set()
            schemes = self.portal.context.settings.code_schemes
            with self.portal.storage.unit_of_work() as uow:
                actual: dict[tuple[AgencyCode, dt.date], list[tuple[int, str]]] = {}
                for agency in _AGENCIES:
                    for dossier in uow.dossiers.list_by_agency(agency):
                        code = dossier.code
                        assert code is not None, f"submitted dossier {dossier.id} has no code"
                        assert code.agency == agency
                        assert dossier.submitted_at is not None
                        assert code.day == local_day(dossier.submitted_at)
                        assert str(code) not in seen, f"code {code} given twice"
                        seen.add(str(code))
                        # Every code ever issued reads back under the portal's schemes.
                        assert schemes.parse(str(code)) == code, code
                        actual.setdefault((agency, code.day), []).append((code.seq, dossier.id))
                peeks = {key: uow.codes.peek(*key) for key in self.expected}
            assert set(actual) == {k for k, ids in self.expected.items() if any(ids)}
            for key, ids in self.expected.items():
                numbered = dict((dossier_id, seq) for seq, dossier_id in actual.get(key, []))
                expected = [(n, i) for n, i in enumerate(ids, start=1) if i is not None]
                assert [(numbered.get(i), i) for _, i in expected] == expected, key
                assert len(actual.get(key, [])) == len(expected), key
                # Failures and refusals consumed nothing: the counter is exactly n.
                assert peeks[key] == len(ids), (key, peeks[key], len(ids))

        @invariant()
        def drafts_have_no_code(self) -> None:
            with self.portal.storage.unit_of_work() as uow:
                for owner in self.owners:
                    for dossier in uow.dossiers.list_by_owner(owner.id):
                        is_draft = dossier.status is DossierStatus.DRAFT
                        assert is_draft == (dossier.id in self.draft_ids), dossier.id
                        assert (dossier.code is None) == is_draft, (dossier.id, dossier.code)

        @invariant()
        def one_mail_per_submission(self) -> None:
            assert self._outbox_size() == self.mails

    CodeSequencing.__name__ = CodeSequencing.__qualname__ = "CodeSequencing"
    return CodeSequencing
