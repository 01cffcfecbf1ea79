"""The signed single-use links of accounts: the verification link and the password-reset
link, mailed in the unit of work that stores what they are for, then read back, checked and
spent exactly once.

A link is a signed token (``purpose``, the account, an expiry and a single-use id; a reset
link also holds the account's password stamp, so it stops working once the password
changes). Spending it writes its id to the token ledger, whose unique rule refuses a second
use even when two uses race. A refused link is logged as the security event
``token.reused`` or ``token.invalid``, never with the token itself.

Used by :class:`~onestop.application.accounts.AccountService`; see
:mod:`onestop.application.accounts`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

import attrs

from onestop.application.context import AppContext, link_to
from onestop.application.mail import queue_mail
from onestop.application.security_log import log_security_event
from onestop.application.templates import check_locale
from onestop.domain.accounts import Account
from onestop.errors import (
    AccountNotFound,
    DuplicateError,
    InvalidToken,
    TokenAlreadyUsed,
    TokenExpired,
)
from onestop.formatting import format_datetime
from onestop.ports.storage import UnitOfWork

__all__ = [
    "RESET",
    "VERIFY",
    "Claims",
    "account_of_token",
    "check_stamp",
    "chosen_locale",
    "commit_consumed",
    "consume",
    "queue_link",
    "spending_link",
]

#: The purpose of a verification link.
VERIFY = "verify"
#: The purpose of a password-reset link.
RESET = "reset"
# The claim of a reset link holding the account's password stamp when it was mailed.
_STAMP = "pwd"
# What the token ledger's unique rule is called in DuplicateError.
_TOKEN_ID = "token.id"


@attrs.frozen
class Claims:
    """What a genuine link says: whose account, which single-use id, which password."""

    account_id: str
    token_id: str
    password_stamp: str | None


def chosen_locale(ctx: AppContext, locale: str | None) -> str:
    """The locale a link's mail is written in: ``locale``, or the settings' when None."""
    return check_locale(ctx.settings.locale if locale is None else locale)


def queue_link(
    uow: UnitOfWork, ctx: AppContext, account: Account, purpose: str, locale: str
) -> None:
    """Queue the mail with a signed single-use link for ``purpose`` to ``account``."""
    settings = ctx.settings
    if purpose == VERIFY:
        ttl, page, template = (
            settings.verification_ttl,
            settings.verification_url,
            "account_verification",
        )
    else:
        ttl, page, template = settings.reset_ttl, settings.password_reset_url, "password_reset"
    expires = ctx.clock.now() + ttl
    claims: dict[str, str | int] = {
        "purpose": purpose,
        "sub": account.id,
        "exp": int(expires.timestamp()),
        "jti": ctx.new_id(),
    }
    if purpose == RESET:
        claims[_STAMP] = account.password_stamp
    token = ctx.token_signer.sign(claims)
    link = link_to(page, token=token)
    queue_mail(
        uow,
        ctx,
        template=template,
        to=account.email,
        values={
            "full_name": account.profile.full_name,
            "link": link,
            "expires_at": format_datetime(expires),
        },
        locale=locale,
    )


def _read_token(ctx: AppContext, token: str, purpose: str, now: dt.datetime) -> Claims:
    """The claims of a genuine, unexpired token for ``purpose``."""
    if not isinstance(token, str) or not token:
        raise InvalidToken()
    claims = ctx.token_signer.unsign(token)
    account_id, expires, token_id = claims.get("sub"), claims.get("exp"), claims.get("jti")
    if claims.get("purpose") != purpose:
        raise InvalidToken("the link is not meant for this")
    if (
        not isinstance(account_id, str)
        or not isinstance(token_id, str)
        or isinstance(expires, bool)
        or not isinstance(expires, int)
    ):
        raise InvalidToken()
    if now.timestamp() >= expires:
        raise TokenExpired()
    stamp = claims.get(_STAMP)
    return Claims(account_id, token_id, stamp if isinstance(stamp, str) else None)


def check_stamp(claims: Claims, account: Account) -> None:
    """Refuse a reset link mailed before the account's password last changed."""
    if claims.password_stamp is None:
        raise InvalidToken()  # genuine but made without a stamp: not a reset link of ours
    if claims.password_stamp != account.password_stamp:
        raise InvalidToken(
            "the link no longer works: the password has changed since it was sent; "
            "ask for a new one"
        )


def account_of_token(uow: UnitOfWork, account_id: str) -> Account:
    """The account a genuine link names; InvalidToken if it is gone."""
    try:
        return uow.accounts.get(account_id)
    except AccountNotFound:
        # A genuine token for an account that is gone: the link no longer works.
        raise InvalidToken() from None


def consume(uow: UnitOfWork, token_id: str, now: dt.datetime) -> None:
    """Spend the link's single-use id; TokenAlreadyUsed if it was spent before."""
    try:
        uow.tokens.consume(token_id, now=now)
    except DuplicateError:
        raise TokenAlreadyUsed() from None


def commit_consumed(uow: UnitOfWork) -> None:
    """Commit a unit of work that consumed a token; a second use found at commit is one too.

    A storage may check the ledger's unique rule only when committing (as a deferred
    constraint does): that is the same second use as one refused by ``consume`` itself.
    """
    try:
        uow.commit()
    except DuplicateError as e:
        if e.field == _TOKEN_ID:
            raise TokenAlreadyUsed() from None
        raise


@contextmanager
def _token_use(purpose: str) -> Iterator[dict[str, object]]:
    """Log a refused link as ``token.reused`` or ``token.invalid``; never the token itself.

    The caller adds what it learnt (``account_id``, once the signature is proved) to
    the dict it gets.
    """
    seen: dict[str, object] = {"purpose": purpose, "account_id": None}
    try:
        yield seen
    except TokenAlreadyUsed:
        log_security_event("token.reused", "a single-use link was used again", **seen)
        raise
    except InvalidToken as e:
        reason = "expired" if isinstance(e, TokenExpired) else str(e)
        log_security_event("token.invalid", "a link was refused", reason=reason, **seen)
        raise


@contextmanager
def spending_link(ctx: AppContext, token: str, purpose: str, now: dt.datetime) -> Iterator[Claims]:
    """The claims of a genuine, unexpired link for ``purpose``, for the block that spends it.

    A link refused here or in the block (InvalidToken, TokenExpired, TokenAlreadyUsed) is
    logged as ``token.invalid`` or ``token.reused``, naming the account once the signature
    is proved.
    """
    with _token_use(purpose) as seen:
        claims = _read_token(ctx, token, purpose, now)
        seen["account_id"] = claims.account_id
        yield claims
