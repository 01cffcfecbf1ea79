"""What every page needs: the portal of the running app, who is logged in, errors by field.

The library's errors name the input at fault (``error.params["field"]``: ``"phone"``,
``"components[giay-de-nghi].size"``, ``"home_delivery.address"``); :func:`field_errors` turns
one into ``{form field: Vietnamese sentence}`` so a template shows the sentence next to the
field it concerns, read from the library's message catalog (``error.message("vi")``).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from typing import Any, ParamSpec, TypeVar

import attrs
from flask import current_app, flash, g, redirect, request, session, url_for
from werkzeug.wrappers import Response

from onestop import Portal
from onestop.adapters import InMemoryMailTransport
from onestop.domain import Account
from onestop.errors import MissingComponents, OnestopError
from onestop.testing.vnpay_server import VnpayMerchantServer

P = ParamSpec("P")
R = TypeVar("R")

#: The fields the library names, as this portal's forms call them.
FIELD_ALIASES: Mapping[str, str] = {
    "account.email": "email",
    "home_pickup.address": "pickup_address",
    "home_delivery.address": "delivery_address",
    "dossier_code": "code",
}
_COMPONENT = re.compile(r"components\[(?P<id>[^\]]+)\]")


@attrs.define
class WebPortal:
    """The running portal and its demo helpers, kept on ``app.extensions["onestop"]``."""

    portal: Portal
    demo: bool
    #: In demo mode, the mail "sent" so far (the "Hộp thư" page lists it).
    mailbox: InMemoryMailTransport | None = None
    #: In demo mode, VNPay's side: records what the payer did and signs the IPN.
    vnpay: VnpayMerchantServer | None = None


def web() -> WebPortal:
    """The :class:`WebPortal` of the app serving this request."""
    state: WebPortal = current_app.extensions["onestop"]
    return state


def portal() -> Portal:
    """The library's portal: ``portal().dossiers.submit(...)`` and so on."""
    return web().portal


def component_field(component_id: str) -> str:
    """The name of a component's file input (``file-giay-de-nghi``)."""
    return f"file-{component_id}"


def field_errors(error: OnestopError, default: str = "form") -> dict[str, str]:
    """``{form field: sentence}`` for ``error``; a field-less error goes under ``default``."""
    message = error.message("vi")
    if isinstance(error, MissingComponents):
        return {component_field(c): message for c in error.components}
    field = error.params.get("field")
    if not isinstance(field, str):
        return {default: message}
    found = _COMPONENT.match(field)
    if found:
        return {component_field(found["id"]): message}
    return {FIELD_ALIASES.get(field, field): message}


def current_account() -> Account | None:
    """The citizen logged in on this session, if any (read once per request)."""
    if "account" not in g:
        account_id = session.get("account_id")
        account = None
        if isinstance(account_id, str):
            try:
                account = portal().accounts.get(account_id)
            except OnestopError:
                session.pop("account_id", None)
        g.account = account
    found: Account | None = g.account
    return found


def citizen_required(view: Callable[P, R]) -> Callable[P, R | Response]:
    """Send a visitor who is not logged in to "Đăng nhập", then back here."""

    @functools.wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R | Response:
        if current_account() is None:
            flash("Vui lòng đăng nhập để tiếp tục.", "info")
            return redirect(url_for("accounts.login", next=request.full_path))
        return view(*args, **kwargs)

    return wrapper


def officer_required(view: Callable[P, R]) -> Callable[P, R | Response]:
    """Send a visitor who is not logged in as an officer to the officers' login page."""

    @functools.wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R | Response:
        if not isinstance(session.get("officer_id"), str):
            flash("Vui lòng đăng nhập bằng tài khoản cán bộ.", "info")
            return redirect(url_for("officer.login"))
        return view(*args, **kwargs)

    return wrapper


def safe_next(target: str | None, fallback: str) -> str:
    """``target`` if it is a path on this site (never another host), else ``fallback``."""
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return fallback


def form_text(name: str) -> str:
    """A text field of the posted form, stripped ("" when absent)."""
    return request.form.get(name, "").strip()


def optional(value: str) -> str | None:
    """None for an empty field: the library reads None as "not given"."""
    return value or None


def template_globals() -> dict[str, Any]:
    """What every template may use: who is logged in, demo mode."""
    return {
        "account": current_account(),
        "officer_name": session.get("officer_name"),
        "demo": web().demo,
    }
