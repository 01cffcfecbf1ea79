"""Who may act: the checks every officer action makes before it touches a record.

An officer acts only while active, only with a role the action belongs to
(:class:`~onestop.domain.accounts.OfficerRole`), and only on their own agency's records.
Every refusal is :class:`~onestop.errors.PermissionDenied`, logged as the security event
``permission.denied``; a draft is the applicant's own business and is not found.
"""

from __future__ import annotations

from onestop.application.security_log import log_security_event
from onestop.domain.accounts import Officer, OfficerRole
from onestop.domain.dossier import Dossier
from onestop.domain.statuses import DossierStatus
from onestop.errors import DossierNotFound, PermissionDenied
from onestop.ports.storage import UnitOfWork

__all__ = ["active_officer", "agency_dossier", "require_role"]


def active_officer(uow: UnitOfWork, officer_id: str) -> Officer:
    """The officer, if active; OfficerNotFound, or PermissionDenied when deactivated."""
    officer = uow.officers.get(officer_id)
    if not officer.active:
        log_security_event(
            "permission.denied", "an inactive officer tried to act", actor_id=officer.id
        )
        raise PermissionDenied(f"officer {officer.id!r} is inactive and can do nothing")
    return officer


def require_role(officer: Officer, roles: frozenset[OfficerRole], action: str) -> None:
    """PermissionDenied unless ``officer`` holds one of ``roles``."""
    if officer.roles & roles:
        return
    needed = " or ".join(sorted(r.value for r in roles))
    log_security_event(
        "permission.denied",
        "an officer tried an action their roles do not allow",
        actor_id=officer.id,
        action=action,
        roles=sorted(r.value for r in officer.roles),
        needed=needed,
    )
    raise PermissionDenied(
        f"officer {officer.id!r} may not {action.replace('_', ' ')}: it needs the {needed} "
        "role; an administrator gives roles with 'onestop officer roles'"
    )


def agency_dossier(uow: UnitOfWork, officer: Officer, dossier_id: str) -> Dossier:
    """A submitted dossier of the officer's agency; PermissionDenied for another agency's,
    DossierNotFound for a draft."""
    dossier = uow.dossiers.get(dossier_id)
    if not officer.acts_for(dossier.procedure.agency):
        log_security_event(
            "permission.denied",
            "an officer tried to act on a dossier of another agency",
            actor_id=officer.id,
            dossier_id=dossier.id,
            actor_agency=str(officer.agency),
            dossier_agency=dossier.agency,
        )
        raise PermissionDenied(
            f"dossier {dossier.id!r} belongs to agency {dossier.agency}; "
            f"officer {officer.id!r} works for {officer.agency}"
        )
    if dossier.status is DossierStatus.DRAFT:
        # A draft is the applicant's own business until it is submitted.
        raise DossierNotFound(dossier_id)
    return dossier
