"""Who may act on a dossier as its applicant: an active account, and only its own dossiers.

Shared by the applicant's use cases (:mod:`onestop.application.dossiers` re-exports both).
"""

from __future__ import annotations

from onestop.application.security_log import log_security_event
from onestop.domain.accounts import Account, AccountStatus
from onestop.domain.dossier import Dossier
from onestop.errors import AccountLocked, AccountNotVerified, DossierNotFound, show_value
from onestop.ports.storage import UnitOfWork

__all__ = ["load_owned_dossier", "require_active_account"]


def require_active_account(uow: UnitOfWork, account_id: str) -> Account:
    """The account, if it may act: verified and not locked by an administrator."""
    account = uow.accounts.get(account_id)
    if account.status is AccountStatus.AWAITING_VERIFICATION:
        raise AccountNotVerified()
    if account.status is AccountStatus.LOCKED:
        raise AccountLocked(None)
    return account


def load_owned_dossier(uow: UnitOfWork, account_id: str, dossier_id: str) -> Dossier:
    """The dossier if ``account_id`` owns it; DossierNotFound otherwise, as if it did not exist.

    Someone else's dossier is logged as a ``permission.denied`` security event (the caller
    still sees only DossierNotFound).
    """
    dossier = uow.dossiers.get(dossier_id)
    if dossier.owner_id != account_id:
        log_security_event(
            "permission.denied",
            "an applicant asked for a dossier of someone else",
            actor_id=_loggable(account_id),
            dossier_id=dossier.id,
        )
        raise DossierNotFound(dossier_id)
    return dossier


def _loggable(value: object) -> str:
    """An id as given by a caller, fit for a log line: short printable text, else its repr."""
    if isinstance(value, str) and len(value) <= 100 and value.isprintable():
        return value
    return show_value(value)
