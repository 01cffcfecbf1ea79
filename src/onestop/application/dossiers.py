"""The applicant's use cases: start a draft, attach files, submit, track (DOMAIN sections 1-3, 7).

Each call opens one unit of work. An applicant only ever sees their own dossiers: someone
else's dossier is reported as not found, exactly like one that does not exist, so ids and
codes cannot be probed.
"""

from __future__ import annotations

import datetime as dt
import functools
import hmac
import time
import typing
from collections.abc import Callable, Mapping
from typing import Any, BinaryIO, Final, Literal, TypedDict, Unpack, overload

from onestop.application import satisfaction
from onestop.application._dossier_reuse import MAX_REUSABLE_FILES, DossierReuse, ReusableFile
from onestop.application._owners import load_owned_dossier, require_active_account
from onestop.application.arguments import checked_methods, checker_for
from onestop.application.context import AppContext
from onestop.application.downloads import FileDownload, open_attached
from onestop.application.notifications import queue_dossier_mail
from onestop.application.pagination import Page, fetch_page
from onestop.application.security_log import log_routine_security_event
from onestop.application.sync import queue_dossier_sync
from onestop.application.uploads import display_name, require_status, store_component_file
from onestop.application.views import DossierView, ProgressEntry, TrackingView, progress_of
from onestop.domain.accounts import Applicant
from onestop.domain.codes import DossierCode, local_day
from onestop.domain.dossier import Actor, Dossier
from onestop.domain.files import FileRef
from onestop.domain.identity import normalize_phone
from onestop.domain.satisfaction import Complaint, Rating, SatisfactionLevel
from onestop.domain.statuses import DossierStatus
from onestop.errors import (
    ConcurrentUpdate,
    DossierNotFound,
    InvalidDossierCode,
    InvalidInput,
    TransitionNotAllowed,
    show_value,
)

__all__ = [
    "MAX_REUSABLE_FILES",
    "ApplicantChanges",
    "DossierService",
    "ProfileChanges",
    "ReusableFile",
    "load_owned_dossier",
    "require_active_account",
]


class ProfileChanges(TypedDict, total=False):
    """The details of a person a form may change; None clears an optional one.

    Given as keyword arguments (``phone="0912345678"``): a misspelt name (``phon=``) is a
    type error for a type checker and InvalidInput at run time.
    """

    full_name: str
    phone: str | None
    address: str | None
    date_of_birth: dt.date | None
    id_number: str | None
    id_issued_by: str | None
    organisation_name: str | None
    tax_code: str | None


class ApplicantChanges(ProfileChanges, total=False):
    """The details of a draft's applicant block; the email too, unlike an account's profile."""

    email: str


_EDITABLE_FILES = (DossierStatus.DRAFT, DossierStatus.SUPPLEMENT_REQUESTED)


@functools.cache
def _applicant_detail_checks() -> Mapping[str, Callable[[Any, str, int], None]]:
    """For each detail ``Applicant.create`` takes, the check of its declared type."""
    hints = typing.get_type_hints(Applicant.create)
    return {name: checker_for(hint) for name, hint in hints.items() if name != "return"}


def _check_applicant_changes(changes: Mapping[str, Any]) -> None:
    """Refuse an unknown detail, or a detail of the wrong type, naming it (InvalidInput)."""
    checks = _applicant_detail_checks()
    for name, value in changes.items():
        check = checks.get(name)
        if check is None:
            shown = name if name.isidentifier() and len(name) <= 40 else show_value(name)
            raise InvalidInput(
                shown, f"is not an applicant detail; use one of {', '.join(sorted(checks))}"
            )
        check(value, name, 0)


def _secret_equals(given: str, stored: str | None) -> bool:
    # Constant-time, so response times do not tell how much of an id number was right; a
    # detail not on file is compared too (with a placeholder), for the same reason.
    same = hmac.compare_digest(given.encode(), (stored or "\x00").encode())
    return stored is not None and same


@checked_methods
class DossierService(DossierReuse):
    """What an applicant does with their dossiers, from draft to withdrawal, and public tracking."""

    def __init__(self, ctx: AppContext) -> None:
        self._ctx = ctx

    # --- drafts -------------------------------------------------------------------------

    def start_draft(self, account_id: str, procedure_code: str) -> Dossier:
        """A new draft for a procedure, the applicant block prefilled from the account."""
        ctx = self._ctx
        with ctx.storage.unit_of_work() as uow:
            account = require_active_account(uow, account_id)
            procedure = uow.catalog.get_procedure(procedure_code)
            dossier = Dossier.start(
                id=ctx.new_id(),
                owner_id=account.id,
                procedure=procedure,
                applicant=account.profile,
                now=ctx.clock.now(),
            )
            uow.dossiers.add(dossier)
            uow.commit()
        return dossier

    def update_applicant(
        self, account_id: str, dossier_id: str, **changes: Unpack[ApplicantChanges]
    ) -> Dossier:
        """Change details of the draft's applicant block (checked like a new one).

        InvalidInput names a detail that does not exist or has the wrong type, InvalidIdentity
        one that breaks its rule.
        """
        _check_applicant_changes(changes)
        return self._edit(
            account_id,
            dossier_id,
            lambda d: d.update_applicant(d.applicant.with_changes(**changes)),
        )

    def attach(
        self,
        account_id: str,
        dossier_id: str,
        component_id: str,
        data: bytes | BinaryIO,
        *,
        filename: str,
        media_type: str,
    ) -> FileRef:
        """Store a file and attach it to a component of a draft (or a supplement).

        The media type and the status are checked before anything is stored, the size
        while storing; the file is stored before the dossier refers to it, so a dossier
        never points at a missing file (a failed attach leaves an unreferenced file only).
        """
        ctx = self._ctx
        display_name(filename)
        with ctx.storage.unit_of_work() as uow:
            require_active_account(uow, account_id)
            dossier = load_owned_dossier(uow, account_id, dossier_id)
        require_status(dossier, _EDITABLE_FILES, "attach a file to")
        component = dossier.procedure.component(component_id)
        ref = store_component_file(ctx, component, data, filename=filename, media_type=media_type)
        with ctx.storage.unit_of_work() as uow:
            dossier = load_owned_dossier(uow, account_id, dossier_id)
            dossier.attach(component_id, ref)
            uow.dossiers.update(dossier)
            uow.commit()
        return ref

    def detach(self, account_id: str, dossier_id: str, component_id: str, file_key: str) -> Dossier:
        """Remove one attached file from a component of a draft (or a supplement)."""
        return self._edit(account_id, dossier_id, lambda d: d.detach(component_id, file_key))

    def choose_home_services(
        self,
        account_id: str,
        dossier_id: str,
        *,
        pickup_address: str | None = None,
        delivery_address: str | None = None,
    ) -> Dossier:
        """Choose home pick-up and/or home delivery (None: not wanted), where offered."""

        def choose(dossier: Dossier) -> None:
            dossier.choose_home_pickup(pickup_address)
            dossier.choose_home_delivery(delivery_address)

        return self._edit(account_id, dossier_id, choose)

    def _edit(self, account_id: str, dossier_id: str, change: Callable[[Dossier], None]) -> Dossier:
        """Apply ``change`` to the applicant's own dossier in one unit of work and store it;
        the account must be active. Nothing is mailed: editing a draft announces nothing."""
        with self._ctx.storage.unit_of_work() as uow:
            require_active_account(uow, account_id)
            dossier = load_owned_dossier(uow, account_id, dossier_id)
            change(dossier)
            uow.dossiers.update(dossier)
            uow.commit()
        return dossier

    def discard_draft(self, account_id: str, dossier_id: str) -> None:
        """Delete a draft; a submitted dossier is a legal record and cannot be discarded."""
        with self._ctx.storage.unit_of_work() as uow:
            dossier = load_owned_dossier(uow, account_id, dossier_id)
            if dossier.status is not DossierStatus.DRAFT:
                raise TransitionNotAllowed(
                    "discard", dossier.status.value, (DossierStatus.DRAFT.value,)
                )
            uow.dossiers.delete_draft(dossier.id)
            uow.commit()

    # --- submission ---------------------------------------------------------------------

    def submit(
        self, account_id: str, dossier_id: str, *, idempotency_key: str | None = None
    ) -> Dossier:
        """Submit a draft: take the agency's next number for today and queue the receipt.

        With ``idempotency_key``, a repeated submission (a double click, a retried request)
        returns the dossier already submitted under that key, unchanged, and consumes no
        second number. Nothing is consumed when the submission fails.
        """
        try:
            return self._submit_once(account_id, dossier_id, idempotency_key)
        except ConcurrentUpdate:
            # Two clicks racing: the loser re-reads; the idempotency check at the start
            # of the retry returns the winner's submission.
            return self._submit_once(account_id, dossier_id, idempotency_key)

    def _submit_once(self, account_id: str, dossier_id: str, key: str | None) -> Dossier:
        ctx = self._ctx
        with ctx.storage.unit_of_work() as uow:
            account = require_active_account(uow, account_id)
            dossier = load_owned_dossier(uow, account_id, dossier_id)
            if key is not None and dossier.idempotency_key == key:
                return dossier  # submitted already, with this key: the same answer again
            # No lookup of the key: another dossier of the owner holding it already makes
            # the update below fail on the storage's unique (owner, key) index, with
            # DuplicateError, and the rollback gives the number back.
            # Before taking a number: a refused submission must not consume one.
            dossier.check_submittable()
            now = ctx.clock.now()
            scheme = ctx.settings.code_scheme
            agency = dossier.procedure.agency
            seq = uow.codes.next(agency, local_day(now), maximum=scheme.max_seq)
            code = DossierCode.for_submission(agency, now, seq, scheme)
            dossier.submit(code=code, now=now, idempotency_key=key)
            uow.dossiers.update(dossier)
            queue_dossier_mail(uow, ctx, dossier, dossier.pull_events())
            queue_dossier_sync(uow, ctx, dossier, owner=account, first=True)
            uow.commit()
        return dossier

    def resubmit(self, account_id: str, dossier_id: str, note: str = "") -> Dossier:
        """Send the supplemented dossier back; the due date moves by the days spent waiting."""
        ctx = self._ctx
        return self._step(
            account_id,
            dossier_id,
            lambda d, actor, now: d.resubmit(
                actor=actor, now=now, calendar=ctx.deadlines, note=note
            ),
        )

    def withdraw(self, account_id: str, dossier_id: str, reason: str) -> Dossier:
        """Withdraw a submitted dossier before it is decided (rút hồ sơ)."""
        return self._step(
            account_id,
            dossier_id,
            lambda d, actor, now: d.withdraw(actor=actor, now=now, reason=reason),
        )

    def _step(
        self,
        account_id: str,
        dossier_id: str,
        step: Callable[[Dossier, Actor, dt.datetime], None],
    ) -> Dossier:
        """Take the applicant's ``step`` on their submitted dossier in one unit of work: store
        it and queue the mail and the national sync it calls for. The account must be active."""
        ctx = self._ctx
        with ctx.storage.unit_of_work() as uow:
            account = require_active_account(uow, account_id)
            dossier = load_owned_dossier(uow, account_id, dossier_id)
            step(
                dossier,
                Actor.applicant(account.id, dossier.applicant.full_name),
                ctx.clock.now(),
            )
            uow.dossiers.update(dossier)
            queue_dossier_mail(uow, ctx, dossier, dossier.pull_events())
            queue_dossier_sync(uow, ctx, dossier)
            uow.commit()
        return dossier

    # --- satisfaction (DOMAIN section 11) ----------------------------------------------

    def rate(
        self,
        account_id: str,
        dossier_id: str,
        level: SatisfactionLevel | str,
        comment: str = "",
    ) -> Rating:
        """Rate a returned dossier once: ``level`` very satisfied, satisfied or dissatisfied
        (a :class:`SatisfactionLevel` or its value), with an optional comment.

        TransitionNotAllowed before the result is returned, AlreadyRated the second time,
        DossierNotFound for someone else's dossier.
        """
        return satisfaction.rate(self._ctx, account_id, dossier_id, level, comment)

    def rating(self, account_id: str, dossier_id: str) -> Rating | None:
        """The applicant's rating of their dossier; None while they have not rated it."""
        return satisfaction.rating_of(self._ctx, account_id, dossier_id)

    def complain(self, account_id: str, dossier_id: str, text: str) -> Complaint:
        """Leave a complaint (phản ánh, kiến nghị) about a submitted dossier; the agency's
        officers see it in :meth:`OfficerDesk.complaints`. TransitionNotAllowed for a draft."""
        return satisfaction.complain(self._ctx, account_id, dossier_id, text)

    def complaints(self, account_id: str, dossier_id: str) -> list[Complaint]:
        """The applicant's complaints about their dossier, oldest first."""
        return satisfaction.complaints_of_dossier(self._ctx, account_id, dossier_id)

    # --- reading ------------------------------------------------------------------------

    def get(self, account_id: str, dossier_id: str) -> Dossier:
        """One of the applicant's dossiers; someone else's is DossierNotFound."""
        with self._ctx.storage.unit_of_work() as uow:
            return load_owned_dossier(uow, account_id, dossier_id)

    @overload
    def list_mine(
        self, account_id: str, *, page: None = None, page_size: None = None
    ) -> list[Dossier]: ...
    @overload
    def list_mine(
        self, account_id: str, *, page: int, page_size: int | None = None
    ) -> Page[Dossier]: ...
    @overload
    def list_mine(
        self, account_id: str, *, page: int | None = None, page_size: int
    ) -> Page[Dossier]: ...
    def list_mine(
        self, account_id: str, *, page: int | None = None, page_size: int | None = None
    ) -> Page[Dossier] | list[Dossier]:
        """The applicant's dossiers, drafts included, newest first.

        One page (from 1, ``page_size`` up to ``Settings.max_page_size``); without ``page``
        the whole list, deprecated.
        """
        settings = self._ctx.settings
        with self._ctx.storage.unit_of_work() as uow:
            return fetch_page(
                lambda offset, limit: uow.dossiers.list_by_owner(
                    account_id, offset=offset, limit=limit
                ),
                lambda: uow.dossiers.count_by_owner(account_id),
                page,
                page_size,
                default=settings.page_size,
                maximum=settings.max_page_size,
                method="DossierService.list_mine",
            )

    def open_file(
        self,
        account_id: str,
        dossier_id: str,
        file_key: str,
        *,
        component_id: str | None = None,
        disposition: Literal["attachment", "inline"] = "attachment",
    ) -> FileDownload:
        """Open a file attached to one of the applicant's dossiers, to send it back.

        ``component_id`` names the component the file is attached to, when the same bytes
        are attached to two (the name sent is that component's file's). Someone else's
        dossier is DossierNotFound; a key not attached to this dossier (or to that
        component) is FileNotFoundInStore. The caller closes the download (or iterates it
        to the end).
        """
        with self._ctx.storage.unit_of_work() as uow:
            dossier = load_owned_dossier(uow, account_id, dossier_id)
        return open_attached(self._ctx.file_store, dossier, file_key, disposition, component_id)

    def view(self, account_id: str, dossier_id: str, *, locale: str | None = None) -> DossierView:
        """One of the applicant's dossiers as a screen shows it, formatted for ``locale``.

        ``locale`` is "vi" or "en" (``Settings.locale`` when None).
        """
        dossier = self.get(account_id, dossier_id)
        return DossierView.of(
            dossier, now=self._ctx.clock.now(), locale=locale or self._ctx.settings.locale
        )

    def submission_view(
        self, account_id: str, dossier_id: str, *, locale: str | None = None
    ) -> DossierView:
        """The success screen after submitting ("Nộp hồ sơ thành công"): code, status label,
        applicant block, components with their files and copies, fee table with the total."""
        dossier = self.get(account_id, dossier_id)
        return DossierView.submitted(
            dossier, now=self._ctx.clock.now(), locale=locale or self._ctx.settings.locale
        )

    def progress(self, account_id: str, dossier_id: str) -> list[ProgressEntry]:
        """The progress history (tiến độ xử lý) of one of the applicant's dossiers."""
        return progress_of(self.get(account_id, dossier_id))

    def track(self, code: str, id_number_or_phone: str) -> TrackingView:
        """Public tracking: the code plus the applicant's id number, tax code or phone.

        A wrong second factor gives exactly the same DossierNotFound as an unknown code (same
        message, same attributes, raised from the same place after the same comparisons, no
        sooner than :data:`TRACKING_FAILURE_SECONDS`), and the view holds no personal data,
        so sequential codes reveal nothing. Each failure is a DEBUG ``dossier.track_failed``
        event on ``onestop.security``, without the second factor.
        """
        ctx = self._ctx
        started = time.perf_counter()
        text = code.strip()
        try:
            # A malformed code says how codes look (InvalidDossierCode): that reveals nothing.
            parsed = ctx.settings.code_schemes.parse(text)
        except InvalidDossierCode:
            _log_failed_track(text, "the code is malformed")
            raise
        dossier: Dossier | None
        with ctx.storage.unit_of_work() as uow:
            try:
                dossier = uow.dossiers.get_by_code(parsed)
            except DossierNotFound:
                dossier = None
        # The same comparisons whether or not the code exists, and one raise outside any
        # handler, so the two errors carry no different cause or context.
        proven = _proves_applicant(
            _NOBODY if dossier is None else _factors(dossier.applicant), id_number_or_phone
        )
        if dossier is None or not proven:
            _log_failed_track(text, "unknown code or wrong second factor")
            # Loading a stored dossier takes longer than missing one: every failure waits
            # out the same floor, so the response time does not tell them apart either.
            _wait_until(started + TRACKING_FAILURE_SECONDS)
            raise DossierNotFound(text)
        return TrackingView.of(dossier, now=ctx.clock.now())


#: How long a failed public lookup of a well-formed code takes at least, found or not: longer
#: than loading a dossier takes on the storages we ship (in memory: well under 1 ms).
TRACKING_FAILURE_SECONDS: Final = 0.003


def _wait_until(deadline: float) -> None:
    remaining = deadline - time.perf_counter()
    if remaining > 0:
        time.sleep(remaining)


#: Longest second factor compared: a phone in international form, with room for spaces.
_MAX_FACTOR_LENGTH: Final = 32

#: The id number, tax code and phone that proves an applicant: (id, tax code, phone).
_Factors = tuple[str | None, str | None, str | None]

#: What a lookup of an unknown code is compared against, so both paths do the same work.
_NOBODY: Final[_Factors] = ("000000000000", "0000000000", "0000000000")


def _factors(applicant: Applicant) -> _Factors:
    return applicant.id_number, applicant.tax_code, applicant.phone


def _proves_applicant(factors: _Factors, given: str) -> bool:
    """Whether ``given`` is the id number, the tax code or the (normalised) phone."""
    given = given.strip()
    if not given or len(given) > _MAX_FACTOR_LENGTH:
        given = ""  # still compared below, never equal to a stored value
    try:
        phone: str | None = normalize_phone(given) if given else None
    except InvalidInput:
        phone = None
    id_number, tax_code, stored_phone = factors
    # Evaluate every comparison: no early exit that times which one matched.
    matches = [
        _secret_equals(given, id_number),
        _secret_equals(given, tax_code),
        _secret_equals(phone or "", stored_phone),
    ]
    return bool(given) and any(matches)


def _log_failed_track(code: str, reason: str) -> None:
    # Never the second factor: it is an id number or a phone.
    log_routine_security_event(
        "dossier.track_failed",
        f"public tracking failed: {reason}",
        code=show_value(code, limit=60),
        reason=reason,
    )
