"""Money that moved but is not cleanly paid: the review list, asking the gateway again, refunds.

A payment goes under review when the gateway says money may have moved without a clean
payment (VNPay ``07``, transaction status ``04``) or when a payment arrives for a dossier
that no longer owes it (late, double). An officer of the dossier's agency holding the
accounting role (:attr:`~onestop.domain.accounts.OfficerRole.ACCOUNTING`) resolves it: asks
the gateway again (:func:`review_query`) or gives the money back (:func:`refund`).

Every step is in the audit trail's ``admin`` stream, by the officer's id:
``payment.review_queried``; ``payment.refund_requested`` when a refund is opened (before
the gateway is asked, so a crash leaves a trace); ``payment.refunded`` when the gateway
carried it out; ``payment.refund_refused`` when it refused for good (the request is closed,
nothing went back, a new refund is a new request); ``payment.refund_unanswered`` when it
could not be reached or was not sure (the same request is sent again next time, and
refunds at most once).

The gateway is never asked inside a unit of work.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from onestop.application.audit import record_admin_action, run_admin_action
from onestop.application.context import AppContext
from onestop.application.rights import active_officer, agency_dossier, require_role
from onestop.domain.accounts import OfficerRole
from onestop.domain.payments import Payment, PaymentOutcome, PaymentState, Refund
from onestop.errors import (
    ConcurrentUpdate,
    PaymentGatewayError,
    RefundRefused,
    TransitionNotAllowed,
)
from onestop.ports.edges import GatewayCallback
from onestop.ports.storage import UnitOfWork

__all__ = ["can_query", "in_review", "refund", "review_query"]

#: Who may resolve a payment under review.
_ACCOUNTING = frozenset({OfficerRole.ACCOUNTING})


def can_query(gateway: object) -> bool:
    """Whether ``gateway`` has a merchant API to ask (``query``)."""
    # Looked up on the class: a stand-in for an unused gateway may refuse any attribute.
    return callable(getattr(type(gateway), "query", None))


def _can_refund(gateway: object) -> bool:
    return callable(getattr(type(gateway), "refund", None))


def _accountant_payment(uow: UnitOfWork, officer_id: str, payment_id: str, action: str) -> Payment:
    """The payment, if ``officer_id`` may resolve it: active, accounting role, own agency."""
    officer = active_officer(uow, officer_id)
    require_role(officer, _ACCOUNTING, action)
    payment = uow.payments.get(payment_id)
    agency_dossier(uow, officer, payment.dossier_id)
    return payment


def in_review(ctx: AppContext, officer_id: str | None) -> list[Payment]:
    """The payments under review, oldest first: all of them for an operator (``None``),
    those of the officer's agency for an accounting officer."""
    with ctx.storage.unit_of_work() as uow:
        found = list(uow.payments.list_by_state(PaymentState.REVIEW))
        if officer_id is None:
            return found
        officer = active_officer(uow, officer_id)
        require_role(officer, _ACCOUNTING, "list_payments_in_review")
        agencies = {p.dossier_id: uow.dossiers.get(p.dossier_id).procedure.agency for p in found}
    return [p for p in found if officer.acts_for(agencies[p.dossier_id])]


def review_query(
    ctx: AppContext,
    officer_id: str,
    payment_id: str,
    apply: Callable[[GatewayCallback], object],
) -> Payment:
    """Ask the gateway again about a payment under review; ``apply`` records a paid or failed
    answer as the IPN would. See :meth:`PaymentService.review_query`."""
    gateway = ctx.payment_gateway
    with ctx.storage.unit_of_work() as uow:
        payment = _accountant_payment(uow, officer_id, payment_id, "query_payment")
    if payment.state is not PaymentState.REVIEW:
        raise TransitionNotAllowed("review_query", f"payment {payment.state.value}")
    if not can_query(gateway):
        raise PaymentGatewayError(f"the {gateway.name} gateway cannot be queried")
    answer = gateway.query(payment, now=ctx.clock.now())
    if answer is not None and answer.outcome in (PaymentOutcome.PAID, PaymentOutcome.FAILED):
        apply(answer)

    def work(uow: UnitOfWork) -> Payment:
        current = uow.payments.get(payment_id)
        record_admin_action(
            uow,
            ctx,
            "payment.review_queried",
            current.id,
            by=officer_id,
            answer="not found" if answer is None else answer.outcome.value,
            state=current.state.value,
        )
        return current

    return run_admin_action(ctx, work)


def _audit_refund(
    uow: UnitOfWork,
    ctx: AppContext,
    action: str,
    payment: Payment,
    officer_id: str,
    refund: Refund,
    **details: object,
) -> None:
    """One step of a refund in the admin stream, by the officer, with what it is about."""
    record_admin_action(
        uow,
        ctx,
        action,
        payment.id,
        by=officer_id,
        amount=refund.amount,
        request_id=refund.request_id,
        dossier_id=payment.dossier_id,
        **details,
    )


def _refund_request_id(payment: Payment) -> str:
    """The same for the same (payment, nth refund): VNPay's RequestId, 32 characters."""
    seed = f"{payment.id}:{len(payment.refunds) + 1}".encode()
    return hashlib.sha256(seed).hexdigest()[:32]


def _open_refund(
    ctx: AppContext, officer_id: str, payment_id: str, amount: int | None
) -> tuple[Refund, bool]:
    """The refund to send (opened now, or the one left open), and whether it is already
    done (a refunded payment asked again for all that is left). Another officer opening one
    at the same moment (ConcurrentUpdate) is answered by sending theirs; a third clash in a
    row raises."""

    def work(uow: UnitOfWork) -> tuple[Refund, bool]:
        payment = _accountant_payment(uow, officer_id, payment_id, "refund_payment")
        if payment.state is PaymentState.REFUNDED and amount is None:
            return payment.refunds[-1], True
        pending = payment.open_refund
        if pending is not None:
            return pending, False
        left = payment.amount - payment.refunded_amount
        pending = payment.request_refund(
            request_id=_refund_request_id(payment),
            amount=left if amount is None else amount,
            requested_by=officer_id,
            now=ctx.clock.now(),
        )
        uow.payments.update(payment)
        _audit_refund(uow, ctx, "payment.refund_requested", payment, officer_id, pending)
        return pending, False

    for _ in range(2):
        try:
            return run_admin_action(ctx, work)
        except ConcurrentUpdate:
            continue  # another officer opened one first: send theirs
    return run_admin_action(ctx, work)


def refund(ctx: AppContext, officer_id: str, payment_id: str, amount: int | None) -> Refund:
    """Give the money of a payment under review back. See :meth:`PaymentService.refund`."""
    gateway = ctx.payment_gateway
    if not _can_refund(gateway):
        # Checked rights first: a stranger learns nothing about the payment.
        with ctx.storage.unit_of_work() as uow:
            _accountant_payment(uow, officer_id, payment_id, "refund_payment")
        raise PaymentGatewayError(f"the {gateway.name} gateway cannot refund")
    pending, done = _open_refund(ctx, officer_id, payment_id, amount)
    if done:
        return pending
    with ctx.storage.unit_of_work() as uow:
        payment = uow.payments.get(payment_id)
    try:
        receipt = gateway.refund(
            payment,
            request_id=pending.request_id,
            amount=pending.amount,
            requested_by=pending.requested_by,
            now=ctx.clock.now(),
        )
    except RefundRefused as refused:
        _close_refused(ctx, officer_id, payment_id, pending, refused)
        raise
    except PaymentGatewayError as unanswered:
        _note_unanswered(ctx, officer_id, payment_id, pending, unanswered)
        raise

    def work(uow: UnitOfWork) -> Refund:
        current = uow.payments.get(payment_id)
        if current.open_refund is None or current.open_refund.request_id != pending.request_id:
            return next(r for r in current.refunds if r.request_id == pending.request_id)
        done = current.complete_refund(
            pending.request_id, transaction_no=receipt.transaction_no, now=ctx.clock.now()
        )
        uow.payments.update(current)
        _audit_refund(
            uow,
            ctx,
            "payment.refunded",
            current,
            officer_id,
            done,
            transaction_no=done.transaction_no,
        )
        return done

    return run_admin_action(ctx, work)


def _close_refused(
    ctx: AppContext, officer_id: str, payment_id: str, pending: Refund, refused: RefundRefused
) -> None:
    """Close a refund the gateway refused for good, with its answer, in the audit trail."""

    def work(uow: UnitOfWork) -> None:
        current = uow.payments.get(payment_id)
        if current.open_refund is None or current.open_refund.request_id != pending.request_id:
            return  # another officer's attempt recorded its outcome first
        current.refuse_refund(
            pending.request_id,
            refusal=f"{refused.gateway_code} {refused.gateway_message}".strip(),
            now=ctx.clock.now(),
        )
        uow.payments.update(current)
        _audit_refund(
            uow,
            ctx,
            "payment.refund_refused",
            current,
            officer_id,
            pending,
            gateway_code=refused.gateway_code,
        )

    for _ in range(3):
        try:
            run_admin_action(ctx, work)
            return
        except ConcurrentUpdate:
            continue


def _note_unanswered(
    ctx: AppContext, officer_id: str, payment_id: str, pending: Refund, error: Exception
) -> None:
    """Record that the gateway did not answer a refund clearly: it stays open, to resend."""

    def work(uow: UnitOfWork) -> None:
        payment = uow.payments.get(payment_id)
        _audit_refund(
            uow,
            ctx,
            "payment.refund_unanswered",
            payment,
            officer_id,
            pending,
            error=str(error)[:300],
        )

    run_admin_action(ctx, work)
