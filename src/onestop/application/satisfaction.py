"""Citizens' ratings and complaints (DOMAIN section 11), behind ``portal.dossiers`` and the desk.

An applicant rates their own dossier once its result is returned, and may leave complaints
about it once it is submitted (:meth:`DossierService.rate <onestop.application.dossiers.
DossierService.rate>`, ``complain``); an officer lists the complaints about their agency's
dossiers (:meth:`OfficerDesk.complaints <onestop.application.desk.OfficerDesk.complaints>`).
Someone else's dossier is DossierNotFound, as everywhere an applicant reads.
"""

from __future__ import annotations

from onestop.application._owners import load_owned_dossier, require_active_account
from onestop.application.context import AppContext
from onestop.application.notifications import queue_dossier_mail
from onestop.application.pagination import Page, check_page
from onestop.application.rights import active_officer
from onestop.domain.dossier import Dossier
from onestop.domain.satisfaction import Complaint, Rating, SatisfactionLevel
from onestop.errors import AlreadyRated, DuplicateError
from onestop.ports.storage import UnitOfWork

__all__ = ["complain", "complaints_of_agency", "complaints_of_dossier", "rate", "rating_of"]


def _owned(uow: UnitOfWork, account_id: str, dossier_id: str) -> Dossier:
    """The applicant's own dossier (their account active), else DossierNotFound."""
    require_active_account(uow, account_id)
    return load_owned_dossier(uow, account_id, dossier_id)


def rate(
    ctx: AppContext,
    account_id: str,
    dossier_id: str,
    level: SatisfactionLevel | str,
    comment: str,
) -> Rating:
    """Store the applicant's rating of their returned dossier; a second one is AlreadyRated."""
    with ctx.storage.unit_of_work() as uow:
        dossier = _owned(uow, account_id, dossier_id)
        if uow.feedback.rating_of(dossier.id) is not None:
            raise AlreadyRated(dossier.id)
        rating, event = Rating.of(dossier, level=level, comment=comment, now=ctx.clock.now())
        try:
            uow.feedback.add_rating(rating)
            queue_dossier_mail(uow, ctx, dossier, [event])
            uow.commit()
        except DuplicateError as e:
            # Two submissions of the rating form racing: the first one stands.
            raise AlreadyRated(dossier.id) from e
    return rating


def rating_of(ctx: AppContext, account_id: str, dossier_id: str) -> Rating | None:
    """The applicant's rating of their dossier, if they rated it."""
    with ctx.storage.unit_of_work() as uow:
        dossier = _owned(uow, account_id, dossier_id)
        return uow.feedback.rating_of(dossier.id)


def complain(ctx: AppContext, account_id: str, dossier_id: str, text: str) -> Complaint:
    """Store the applicant's complaint (phản ánh, kiến nghị) about their submitted dossier."""
    with ctx.storage.unit_of_work() as uow:
        dossier = _owned(uow, account_id, dossier_id)
        complaint, event = Complaint.of(dossier, id=ctx.new_id(), text=text, now=ctx.clock.now())
        uow.feedback.add_complaint(complaint)
        queue_dossier_mail(uow, ctx, dossier, [event])
        uow.commit()
    return complaint


def complaints_of_dossier(ctx: AppContext, account_id: str, dossier_id: str) -> list[Complaint]:
    """The applicant's complaints about their dossier, oldest first."""
    with ctx.storage.unit_of_work() as uow:
        dossier = _owned(uow, account_id, dossier_id)
        return list(uow.feedback.complaints_of(dossier.id))


def complaints_of_agency(
    ctx: AppContext, officer_id: str, page: int, page_size: int | None
) -> Page[Complaint]:
    """One page of the complaints about dossiers of the officer's agency, newest first.

    PermissionDenied for an inactive officer.
    """
    settings = ctx.settings
    number, size = check_page(
        page, page_size, default=settings.page_size, maximum=settings.max_page_size
    )
    with ctx.storage.unit_of_work() as uow:
        officer = active_officer(uow, officer_id)
        total = uow.feedback.count_complaints(officer.agency)
        items = uow.feedback.list_complaints(officer.agency, offset=(number - 1) * size, limit=size)
    return Page(items=tuple(items), page=number, page_size=size, total=total)
