"""Bước 1 and the start of Bước 2 of the guide: "Đăng ký", the mailed link, "Đăng nhập".

Registration stores the account and queues the mail "Xác nhận đăng ký tài khoản sử dụng cổng
dịch vụ công trực tuyến" in one unit of work; the app's mail worker sends it. The link opens
:func:`verify`. Each refused detail is shown next to its field, in the catalog's Vietnamese.
"""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue

from onestop.errors import InvalidCredentials, InvalidInput, OnestopError

from .support import field_errors, form_text, optional, portal, safe_next

bp = Blueprint("accounts", __name__)

#: The registration form's fields, in the order the page shows them.
PROFILE_FIELDS = ("full_name", "email", "phone", "id_number", "date_of_birth")
PASSWORD_MISMATCH = "Mật khẩu nhập lại không khớp."


def parse_date(name: str) -> dt.date | None:
    """A date field (``YYYY-MM-DD``, what ``<input type="date">`` sends); InvalidInput if not."""
    text = form_text(name)
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(name, "must be a date (YYYY-MM-DD)", text) from None


@bp.route("/register", methods=["GET", "POST"])
def register() -> ResponseReturnValue:
    """Đăng ký: the form, then the page that says to open the mail."""
    errors: dict[str, str] = {}
    if request.method == "POST":
        if request.form.get("password", "") != request.form.get("password_confirm", ""):
            errors["password_confirm"] = PASSWORD_MISMATCH
        else:
            try:
                portal().accounts.register_citizen(
                    form_text("email"),
                    request.form.get("password", ""),
                    form_text("full_name"),
                    phone=optional(form_text("phone")),
                    id_number=optional(form_text("id_number")),
                    date_of_birth=parse_date("date_of_birth"),
                    id_issued_by=optional(form_text("id_issued_by")),
                    address=optional(form_text("address")),
                )
            except OnestopError as error:
                errors = field_errors(error, default="email")
            else:
                return redirect(url_for("accounts.registered", email=form_text("email")))
    status = 422 if errors else 200
    return render_template("register.html", errors=errors, form=request.form), status


@bp.route("/register/sent")
def registered() -> ResponseReturnValue:
    """After "Đăng ký": open the verification mail to finish."""
    return render_template("registered.html", email=request.args.get("email", ""))


@bp.route("/verify")
def verify() -> ResponseReturnValue:
    """The link of the verification mail: the account becomes active."""
    try:
        account = portal().accounts.verify(request.args.get("token", ""))
    except OnestopError as error:
        return render_template("verified.html", error=error.message("vi"), account=None), 400
    return render_template("verified.html", error=None, account=account), 200


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    """Đăng nhập: email and password; one answer for an unknown email and a wrong password."""
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            account = portal().accounts.log_in(form_text("email"), request.form.get("password", ""))
        except InvalidCredentials as error:
            errors = {"password": error.message("vi")}
        except OnestopError as error:
            errors = field_errors(error, default="password")
        else:
            session.clear()  # a new session id for the logged-in visitor
            session["account_id"] = account.id
            flash(f"Xin chào {account.profile.full_name}.", "success")
            return redirect(safe_next(request.args.get("next"), url_for("citizen.services")))
    status = 401 if errors else 200
    return render_template("login.html", errors=errors, form=request.form), status


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    """Đăng xuất."""
    session.clear()
    flash("Bạn đã đăng xuất.", "info")
    return redirect(url_for("citizen.home"))
