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
from onestop.application.dossiers import (
    ApplicantChanges,
    DossierService,
    ProfileChanges,
    ReusableFile,
)
from onestop.application.downloads import FileDownload, content_disposition
from onestop.application.pagination import Page
from onestop.application.payments import CallbackResult, CallbackStatus, PaymentService
from onestop.application.templates import MailTemplates, RenderedMail, load_mail_templates
from onestop.application.views import (
    ComponentLine,
    DossierView,
    FeeRow,
    FeeTable,
    FileLine,
    LabelledValue,
    PaymentStatusView,
    ProgressEntry,
    TrackingStep,
    TrackingView,
)

__all__ = [
    "AccountService",
    "AppContext",
    "ApplicantChanges",
    "CallbackResult",
    "CallbackStatus",
    "CatalogLoadReport",
    "CatalogService",
    "ComponentLine",
    "DispatchReport",
    "DossierService",
    "DossierView",
    "FeeRow",
    "FeeTable",
    "FileDownload",
    "FileLine",
    "LabelledValue",
    "MailDispatcher",
    "MailTemplates",
    "OfficerDesk",
    "Page",
    "PaymentService",
    "PaymentStatusView",
    "ProfileChanges",
    "ProgressEntry",
    "RenderedMail",
    "ReusableFile",
    "Settings",
    "TrackingStep",
    "TrackingView",
    "content_disposition",
    "load_mail_templates",
    "new_id",
]
