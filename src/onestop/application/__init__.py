"""The use cases a host portal calls; :func:`onestop.bootstrap` wires them into a ``Portal``.

* :class:`AccountService`: register, verify, log in, reset a password.
* :class:`CatalogService`: agencies, fields, procedure search, loading a catalog file.
* :class:`DossierService`: the applicant's drafts, attachments, submission, progress, tracking.
* :class:`OfficerDesk`: the officer's queue and every step from reception to the result.
* :class:`PaymentService`: paying fees through the gateway and handling its callbacks.
* :class:`MailDispatcher`: sending the outbox through the mail transport.

Each call is one unit of work: it changes everything it announces (records and mail) or
nothing.
"""

from onestop.application.accounts import AccountService
from onestop.application.catalog import CatalogLoadReport, CatalogService
from onestop.application.context import AppContext, Settings, new_id
from onestop.application.desk import OfficerDesk
from onestop.application.dispatcher import DispatchReport, MailDispatcher
from onestop.application.dossiers import DossierService
from onestop.application.pagination import Page
from onestop.application.payments import CallbackResult, CallbackStatus, PaymentService
from onestop.application.views import (
    PaymentStatusView,
    ProgressEntry,
    TrackingStep,
    TrackingView,
)

__all__ = [
    "AccountService",
    "AppContext",
    "CallbackResult",
    "CallbackStatus",
    "CatalogLoadReport",
    "CatalogService",
    "DispatchReport",
    "DossierService",
    "MailDispatcher",
    "OfficerDesk",
    "Page",
    "PaymentService",
    "PaymentStatusView",
    "ProgressEntry",
    "Settings",
    "TrackingStep",
    "TrackingView",
    "new_id",
]
