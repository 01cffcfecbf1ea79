"""The applicant's use cases: start a draft, attach files, submit, track (DOMAIN sections 1-3, 7).

Each call opens one unit of work. An applicant only ever sees their own dossiers: someone
else's dossier is reported as not found, exactly like one that does not exist, so ids and
codes cannot be probed.
"""

from __future__ import annotations

import hmac
from typing import Any, BinaryIO

from onestop.application.arguments import checked_methods
from onestop.application.context import AppContext
from onestop.application.notifications import queue_dossier_mail
from onestop.application.views import ProgressEntry, TrackingView, progress_of
from onestop.domain.accounts import Account, AccountStatus
from onestop.domain.codes import DossierCode, local_day
from onestop.domain.dossier import Actor, Dossier
from onestop.domain.files import FileRef
from onestop.domain.identity import normalize_phone
from onestop.domain.statuses import DossierStatus
from onestop.errors import (
    AccountLocked,
    AccountNotVerified,
    AttachmentTooLarge,
    ConcurrentUpdate,
    DossierNotFound,
    DuplicateError,
    InvalidAttachment,
    InvalidIdentity,
    TransitionNotAllowed,
)
from onestop.ports.storage import UnitOfWork

__all__ = ["DossierService", "load_owned_dossier", "require_active_account"]

_EDITABLE_FILES = (DossierStatus.DRAFT, DossierStatus.SUPPLEMENT_REQUESTED)


def require_active_account(uow: UnitOfWork, account_id: str) -> Account:
    """The account, if it may act: verified and not locked by an administrator."""
    account = uow.accounts.get(account_id)
    if account.status is AccountStatus.AWAITING_VERIFICATION:
        raise AccountNotVerified()
    if account.status is AccountStatus.LOCKED:
        raise AccountLocked(None)
    return account


def load_owned_dossier(uow: UnitOfWork, account_id: str, dossier_id: str) -> Dossier:
    """The dossier if ``account_id`` owns it; DossierNotFound otherwise, as if it did not exist."""
    dossier = uow.dossiers.get(dossier_id)
    if dossier.owner_id != account_id:
        raise DossierNotFound(dossier_id)
    return dossier


def _display_name(filename: str) -> str:
    """The last part of a client's file name: browsers may send a path, which is never used."""
    name = filename.replace("\\", "/").rsplit("/", 1)[-1].strip()
    if not name or name in {".", ".."}:
        raise InvalidAttachment("filename", "must name a file, e.g. 'giay-to.pdf'", filename)
    return name


def _bare_media_type(media_type: str) -> str:
    return media_type.partition(";")[0].strip().lower()


def _secret_equals(given: str, stored: str | None) -> bool:
    # Constant-time, so response times do not tell how much of an id number was right.
    return stored is not None and hmac.compare_digest(given.encode(), stored.encode())


@checked_methods
class DossierService:
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

    def update_applicant(self, account_id: str, dossier_id: str, **changes: Any) -> Dossier:
        """Change details of the draft's applicant block (checked like a new one)."""
        with self._ctx.storage.unit_of_work() as uow:
            require_active_account(uow, account_id)
            dossier = load_owned_dossier(uow, account_id, dossier_id)
            dossier.update_applicant(dossier.applicant.with_changes(**changes))
            uow.dossiers.update(dossier)
            uow.commit()
        return dossier

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
        name = _display_name(filename)
        with ctx.storage.unit_of_work() as uow:
            require_active_account(uow, account_id)
            dossier = load_owned_dossier(uow, account_id, dossier_id)
        if dossier.status not in _EDITABLE_FILES:
            raise TransitionNotAllowed(
                "attach a file to", dossier.status.value, tuple(s.value for s in _EDITABLE_FILES)
            )
        component = dossier.procedure.component(component_id)
        # Stored without parameters ("application/pdf; charset=binary" is a PDF).
        bare = _bare_media_type(media_type)
        if bare not in component.media_types:
            raise InvalidAttachment(
                f"components[{component.id}].media_type",
                f"must be one of {', '.join(sorted(component.media_types))}",
                media_type,
            )
        try:
            ref = ctx.file_store.put(
                data, name=name, media_type=bare, max_bytes=component.max_bytes
            )
        except AttachmentTooLarge as e:
            # Name the component, as the media type check does; the store knows only bytes.
            raise AttachmentTooLarge(f"components[{component.id}].size", e.rule, e.value) from e
        with ctx.storage.unit_of_work() as uow:
            dossier = load_owned_dossier(uow, account_id, dossier_id)
            dossier.attach(component_id, ref)
            uow.dossiers.update(dossier)
            uow.commit()
        return ref

    def detach(self, account_id: str, dossier_id: str, component_id: str, file_key: str) -> Dossier:
        """Remove one attached file from a component of a draft (or a supplement)."""
        with self._ctx.storage.unit_of_work() as uow:
            require_active_account(uow, account_id)
            dossier = load_owned_dossier(uow, account_id, dossier_id)
            dossier.detach(component_id, file_key)
            uow.dossiers.update(dossier)
            uow.commit()
        return dossier

    def choose_home_services(
        self,
        account_id: str,
        dossier_id: str,
        *,
        pickup_address: str | None = None,
        delivery_address: str | None = None,
    ) -> Dossier:
        """Choose home pick-up and/or home delivery (None: not wanted), where offered."""
        with self._ctx.storage.unit_of_work() as uow:
            require_active_account(uow, account_id)
            dossier = load_owned_dossier(uow, account_id, dossier_id)
            dossier.choose_home_pickup(pickup_address)
            dossier.choose_home_delivery(delivery_address)
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
            require_active_account(uow, account_id)
            dossier = load_owned_dossier(uow, account_id, dossier_id)
            if key is not None:
                earlier = uow.dossiers.find_by_idempotency_key(account_id, key)
                if earlier is not None:
                    if earlier.id != dossier.id:
                        raise DuplicateError("dossier.idempotency_key", key)
                    return earlier
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
            uow.commit()
        return dossier

    def resubmit(self, account_id: str, dossier_id: str, note: str = "") -> Dossier:
        """Send the supplemented dossier back; the due date moves by the days spent waiting."""
        ctx = self._ctx
        with ctx.storage.unit_of_work() as uow:
            account = require_active_account(uow, account_id)
            dossier = load_owned_dossier(uow, account_id, dossier_id)
            dossier.resubmit(
                actor=Actor.applicant(account.id, dossier.applicant.full_name),
                now=ctx.clock.now(),
                calendar=ctx.calendar,
                note=note,
            )
            uow.dossiers.update(dossier)
            queue_dossier_mail(uow, ctx, dossier, dossier.pull_events())
            uow.commit()
        return dossier

    def withdraw(self, account_id: str, dossier_id: str, reason: str) -> Dossier:
        """Withdraw a submitted dossier before it is decided (rút hồ sơ)."""
        ctx = self._ctx
        with ctx.storage.unit_of_work() as uow:
            account = require_active_account(uow, account_id)
            dossier = load_owned_dossier(uow, account_id, dossier_id)
            dossier.withdraw(
                actor=Actor.applicant(account.id, dossier.applicant.full_name),
                now=ctx.clock.now(),
                reason=reason,
            )
            uow.dossiers.update(dossier)
            queue_dossier_mail(uow, ctx, dossier, dossier.pull_events())
            uow.commit()
        return dossier

    # --- reading ------------------------------------------------------------------------

    def get(self, account_id: str, dossier_id: str) -> Dossier:
        """One of the applicant's dossiers; someone else's is DossierNotFound."""
        with self._ctx.storage.unit_of_work() as uow:
            return load_owned_dossier(uow, account_id, dossier_id)

    def list_mine(self, account_id: str) -> list[Dossier]:
        """The applicant's dossiers, drafts included, newest first."""
        with self._ctx.storage.unit_of_work() as uow:
            return list(uow.dossiers.list_by_owner(account_id))

    def progress(self, account_id: str, dossier_id: str) -> list[ProgressEntry]:
        """The progress history (tiến độ xử lý) of one of the applicant's dossiers."""
        return progress_of(self.get(account_id, dossier_id))

    def track(self, code: str, id_number_or_phone: str) -> TrackingView:
        """Public tracking: the code plus the applicant's id number, tax code or phone.

        A wrong second factor gives exactly the same DossierNotFound as an unknown code, and
        the view holds no personal data, so sequential codes reveal nothing.
        """
        ctx = self._ctx
        text = code.strip()
        # A malformed code says how codes look (InvalidDossierCode): that reveals nothing.
        parsed = DossierCode.parse(text, ctx.settings.code_scheme)
        with ctx.storage.unit_of_work() as uow:
            try:
                dossier = uow.dossiers.get_by_code(parsed)
            except DossierNotFound:
                raise DossierNotFound(text) from None
        if not _proves_applicant(dossier, id_number_or_phone):
            raise DossierNotFound(text)
        return TrackingView.of(dossier, now=ctx.clock.now())


def _proves_applicant(dossier: Dossier, given: str) -> bool:
    """Whether ``given`` is the applicant's id number, tax code or (normalised) phone."""
    given = given.strip()
    if not given:
        return False
    applicant = dossier.applicant
    try:
        phone: str | None = normalize_phone(given)
    except InvalidIdentity:
        phone = None
    # Evaluate every comparison: no early exit that times which one matched.
    matches = [
        _secret_equals(given, applicant.id_number),
        _secret_equals(given, applicant.tax_code),
        phone is not None and _secret_equals(phone, applicant.phone),
    ]
    return any(matches)
