"""Paying a dossier's fees through the gateway, and the gateway's callbacks (DOMAIN section 6).

A payment is confirmed once: the callback that confirms it also counts it on the dossier
and queues the confirmation mail, in one unit of work. A repeated callback (the IPN and the
return redirect both arriving, even at the same moment) finds the payment settled and
changes nothing; a forged callback or one with the wrong amount changes nothing either.

The IPN alone records the outcome; the payer's return redirect only shows what is stored.
An IPN may be lost, so :meth:`PaymentService.reconcile` asks the gateway about each payment
still pending past its expiry before giving up on it, and records the answer as the IPN
would have. Money that moved without a clean payment (VNPay ``07``, a reversed transaction,
a late or double payment) goes to review: an officer queries the gateway again or refunds it.
"""

from __future__ import annotations

import datetime as dt
import enum
import logging
import warnings
from collections.abc import Callable, Mapping

import attrs

from onestop.application import payment_review
from onestop.application._owners import load_owned_dossier, require_active_account
from onestop.application.arguments import answers_any_input, checked_methods
from onestop.application.context import AppContext
from onestop.application.notifications import queue_dossier_mail
from onestop.application.payment_review import can_query
from onestop.application.security_log import log_security_event, mask
from onestop.application.sync import queue_dossier_sync
from onestop.application.templates import check_locale
from onestop.application.views import PaymentStatusView
from onestop.domain.catalog import FeesDue, fold_diacritics
from onestop.domain.dossier import Dossier
from onestop.domain.payments import Payment, PaymentOutcome, PaymentState, Refund
from onestop.domain.statuses import DossierStatus
from onestop.errors import (
    ConcurrentUpdate,
    InvalidMoney,
    PaymentGatewayError,
    PaymentNotRequired,
    PaymentSignatureInvalid,
    TransitionNotAllowed,
)
from onestop.ports.edges import GatewayCallback, PaymentRedirect

__all__ = [
    "CallbackResult",
    "CallbackStatus",
    "PaymentService",
    "ReconcileReport",
    "fees_payable_now",
]

_ORDER_INFO = "Thanh toán lệ phí hồ sơ"
_REPLACED = "replaced by a new payment"
_log = logging.getLogger(__name__)


class CallbackStatus(enum.Enum):
    """What handling a gateway callback did; a gateway adapter maps it to its own reply."""

    CONFIRMED = "confirmed"
    ALREADY_CONFIRMED = "already_confirmed"
    FAILED_RECORDED = "failed_recorded"
    NOT_FOUND = "not_found"
    AMOUNT_MISMATCH = "amount_mismatch"
    INVALID_SIGNATURE = "invalid_signature"
    #: Signed by the gateway but not readable (unknown fields, a malformed amount).
    UNREADABLE = "unreadable"
    #: Money moved without a clean payment (or the dossier no longer owed it): recorded and
    #: put under review for an officer.
    REVIEW = "review"
    #: The return redirect of a payment the IPN (or a reconcile) has not settled yet.
    PENDING = "pending"


@attrs.frozen
class CallbackResult:
    """The outcome of one callback, with the payment and dossier it concerned (when known).

    ALREADY_CONFIRMED stands for any payment settled before (confirmed or failed, or
    abandoned when the callback is not a payment): the callback changed nothing. A "paid"
    callback for a payment the portal had abandoned (expired or replaced) CONFIRMS it: the
    money counts on the dossier if it is still due, else stays on record for a refund.
    """

    status: CallbackStatus
    payment_id: str | None = None
    dossier_id: str | None = None
    txn_ref: str | None = None
    #: The payment's stored state after handling (what a return page shows).
    state: PaymentState | None = None


@attrs.frozen
class ReconcileReport:
    """What :meth:`PaymentService.reconcile` did, by payment id."""

    confirmed: tuple[str, ...] = ()
    abandoned: tuple[str, ...] = ()
    failed: tuple[str, ...] = ()
    review: tuple[str, ...] = ()
    #: The gateway could not be asked (or its answer did not verify): tried again later.
    unreachable: tuple[str, ...] = ()


def fees_payable_now(dossier: Dossier) -> bool:
    """Whether the dossier's fees are due now, per the procedure's ``fees_due``.

    Fees are due once submitted (AT_SUBMISSION), received (AT_RECEPTION) or decided
    (AT_RESULT), and whenever an officer has asked for payment; never on a draft or a
    closed dossier.
    """
    if dossier.status is DossierStatus.DRAFT or dossier.status.is_terminal:
        return False
    if dossier.status is DossierStatus.PAYMENT_REQUESTED:
        return True
    match dossier.procedure.fees_due:
        case FeesDue.AT_SUBMISSION:
            return True
        case FeesDue.AT_RECEPTION:
            return dossier.received_at is not None
        case FeesDue.AT_RESULT:
            return dossier.decision is not None


def _log_forged(gateway: str, reason: str) -> None:
    # The reason is the gateway's own message, which never repeats a signature or a secret.
    log_security_event(
        "payment.callback_forged",
        "a payment callback was refused: its signature does not verify",
        gateway=gateway,
        reason=reason[:200],
    )


def _plain_reply(result: CallbackResult | None) -> dict[str, str]:
    """The IPN reply of a gateway that defines none: what handling did, by name."""
    return {"status": "error" if result is None else result.status.value}


def order_info(dossier: Dossier) -> str:
    """The order description sent to the gateway, without diacritics (VNPay requires it)."""
    folded = fold_diacritics(_ORDER_INFO)
    return f"{folded[:1].upper()}{folded[1:]} {dossier.code}"


@checked_methods
class PaymentService:
    """Start payments, handle gateway callbacks, show payment status, expire stale payments."""

    def __init__(self, ctx: AppContext) -> None:
        self._ctx = ctx

    def start(
        self,
        account_id: str,
        dossier_id: str,
        *,
        client_ip: str,
        locale: str | None = None,
        bank_code: str | None = None,
    ) -> PaymentRedirect:
        """A new payment of what is due, and where to send the payer.

        PaymentNotRequired when nothing is due: 0 VND, already paid, or not due yet. A
        payment of the dossier still pending is abandoned first, so one at most is open.
        ``locale`` ("vi" or "en", ``Settings.locale`` when None) is the payment page's
        language; the gateway adapter maps it to its own (VNPay's ``vn``). VNPay's ``"vn"``
        given here still works for one release, with a DeprecationWarning. ``bank_code``
        chooses the bank or method in advance (VNPay's ``VNPAYQR``, ``VNBANK``, ``INTCARD``
        or a bank); the payer chooses on the gateway's page when None. The gateway's page
        closes ``Settings.payment_ttl`` after now.
        """
        if locale == "vn":
            warnings.warn(
                "payments.start(locale='vn') is deprecated: use 'vi' (the gateway maps it)",
                DeprecationWarning,
                stacklevel=3,  # past checked_methods' wrapper
            )
            locale = "vi"
        chosen = check_locale(self._ctx.settings.locale if locale is None else locale)
        ctx = self._ctx
        gateway = ctx.payment_gateway
        with ctx.storage.unit_of_work() as uow:
            require_active_account(uow, account_id)
            dossier = load_owned_dossier(uow, account_id, dossier_id)
            if dossier.status is DossierStatus.DRAFT:
                raise PaymentNotRequired("fees are paid after the dossier is submitted")
            if dossier.total_fees == 0:
                raise PaymentNotRequired(f"dossier {dossier.code} has no fees (0 VND)")
            if dossier.amount_due == 0:
                raise PaymentNotRequired(f"dossier {dossier.code} is already paid")
            if not fees_payable_now(dossier):
                raise PaymentNotRequired(
                    f"the fees of this dossier are not due yet "
                    f"({dossier.procedure.fees_due.value}, dossier {dossier.status.value})"
                )
            now = ctx.clock.now()
            for earlier in uow.payments.list_by_dossier(dossier.id):
                if earlier.state is PaymentState.PENDING:
                    earlier.abandon(now=now, reason=_REPLACED)
                    uow.payments.update(earlier)
            payment = Payment(
                id=ctx.new_id(),
                dossier_id=dossier.id,
                amount=dossier.amount_due,
                gateway=gateway.name,
                txn_ref=ctx.new_id(),
                created_at=now,
                requested_bank_code=bank_code,
            )
            uow.payments.add(payment)
            redirect = gateway.start(
                payment,
                order_info=order_info(dossier),
                return_url=ctx.settings.payment_return_url,
                client_ip=client_ip,
                now=now,
                locale=chosen,
                expires_at=now + ctx.settings.payment_ttl,
                bank_code=bank_code,
            )
            uow.commit()
        return redirect

    @answers_any_input
    def handle_callback(self, params: Mapping[str, str]) -> CallbackResult:
        """Apply a gateway callback (IPN or return redirect) once; never raises for bad input.

        Anything that is not a correctly signed callback (``None``, a list, numbers, lone
        surrogates, a wrong signature) is INVALID_SIGNATURE, a signed one the gateway cannot
        read is UNREADABLE. A forged callback, an amount that differs from the payment's and
        an unknown reference are logged as security events (``payment.callback_forged``,
        ``payment.amount_mismatch``, ``payment.unknown_order``), references masked.
        """
        gateway = self._ctx.payment_gateway
        if not isinstance(params, Mapping):
            _log_forged(gateway.name, f"the parameters are a {type(params).__name__}")
            return CallbackResult(CallbackStatus.INVALID_SIGNATURE)
        try:
            # The port promises these two errors only, for any input (the contract tests it).
            callback = gateway.verify_callback(params)
        except PaymentSignatureInvalid as e:
            _log_forged(gateway.name, str(e))
            return CallbackResult(CallbackStatus.INVALID_SIGNATURE)
        except PaymentGatewayError:
            return CallbackResult(CallbackStatus.UNREADABLE)
        try:
            return self._apply(callback)
        except ConcurrentUpdate:
            # Another callback for the same payment (or an officer on the dossier) won the
            # race; re-reading shows what it did.
            return self._apply(callback)

    @answers_any_input
    def handle_ipn(self, params: Mapping[str, str]) -> dict[str, str]:
        """Apply the gateway's server-to-server callback (VNPay's IPN); the reply it expects.

        What :meth:`handle_callback` does, answered in the gateway's terms (its
        ``ipn_reply``: VNPay's ``{"RspCode": ..., "Message": ...}``). An unexpected error
        (the storage failing) is logged and answered as such (VNPay's ``99``), so the
        gateway calls again; this never raises.
        """
        gateway = self._ctx.payment_gateway
        reply: Callable[[CallbackResult | None], dict[str, str]] = getattr(
            gateway, "ipn_reply", _plain_reply
        )
        try:
            result: CallbackResult | None = self.handle_callback(params)
        except Exception:
            # Whatever failed, the gateway gets its reply and retries; no parameters logged.
            _log.exception("a %s payment callback could not be handled", gateway.name)
            result = None
        return reply(result)

    @answers_any_input
    def handle_return(self, params: Mapping[str, str]) -> CallbackResult:
        """Read the payer's return redirect, for the page that shows the outcome; changes nothing.

        VNPay's IPN alone records the outcome: this shows what is stored (``PENDING``,
        "đang chờ xác nhận", until the IPN or a reconcile records it; ``CONFIRMED``;
        ``FAILED_RECORDED`` for a failed or abandoned payment; ``REVIEW``). A forged
        redirect is INVALID_SIGNATURE, an unknown reference NOT_FOUND.
        """
        gateway = self._ctx.payment_gateway
        if not isinstance(params, Mapping):
            return CallbackResult(CallbackStatus.INVALID_SIGNATURE)
        try:
            callback = gateway.verify_callback(params)
        except PaymentSignatureInvalid as e:
            _log_forged(gateway.name, str(e))
            return CallbackResult(CallbackStatus.INVALID_SIGNATURE)
        except PaymentGatewayError:
            return CallbackResult(CallbackStatus.UNREADABLE)
        with self._ctx.storage.unit_of_work() as uow:
            payment = uow.payments.find_by_txn_ref(gateway.name, callback.txn_ref)
        if payment is None:
            return CallbackResult(CallbackStatus.NOT_FOUND, txn_ref=callback.txn_ref)
        status = {
            PaymentState.PENDING: CallbackStatus.PENDING,
            PaymentState.CONFIRMED: CallbackStatus.CONFIRMED,
            PaymentState.FAILED: CallbackStatus.FAILED_RECORDED,
            PaymentState.ABANDONED: CallbackStatus.FAILED_RECORDED,
            PaymentState.REVIEW: CallbackStatus.REVIEW,
            PaymentState.REFUNDED: CallbackStatus.REVIEW,
        }[payment.state]
        return CallbackResult(
            status, payment.id, payment.dossier_id, payment.txn_ref, state=payment.state
        )

    def _apply(self, callback: GatewayCallback) -> CallbackResult:
        ctx = self._ctx
        with ctx.storage.unit_of_work() as uow:
            payment = uow.payments.find_by_txn_ref(ctx.payment_gateway.name, callback.txn_ref)
            if payment is None:
                log_security_event(
                    "payment.unknown_order",
                    "a signed payment callback names no payment of this portal",
                    gateway=ctx.payment_gateway.name,
                    txn_ref=mask(callback.txn_ref),
                    outcome=callback.outcome.value,
                )
                return CallbackResult(CallbackStatus.NOT_FOUND, txn_ref=callback.txn_ref)
            result = CallbackResult(
                CallbackStatus.CONFIRMED,
                payment.id,
                payment.dossier_id,
                payment.txn_ref,
                state=PaymentState.CONFIRMED,
            )
            if callback.amount != payment.amount:
                log_security_event(
                    "payment.amount_mismatch",
                    "a signed payment callback reports another amount than the payment's",
                    gateway=ctx.payment_gateway.name,
                    payment_id=payment.id,
                    dossier_id=payment.dossier_id,
                    txn_ref=mask(payment.txn_ref),
                    expected=payment.amount,
                    got=callback.amount,
                    outcome=callback.outcome.value,
                )
                return attrs.evolve(result, status=CallbackStatus.AMOUNT_MISMATCH)
            if not payment.accepts(callback.outcome):
                return attrs.evolve(
                    result, status=CallbackStatus.ALREADY_CONFIRMED, state=payment.state
                )
            now = ctx.clock.now()
            payment.settle(
                callback.outcome,
                amount=callback.amount,
                now=now,
                gateway_transaction_id=callback.gateway_transaction_id,
                reason=callback.reason,
                paid_at=callback.paid_at,
                bank_code=callback.bank_code,
                card_type=callback.card_type,
            )
            uow.payments.update(payment)
            if payment.state is PaymentState.REVIEW:
                uow.commit()
                _log.warning("payment %s is under review: %s", payment.id, payment.review_reason)
                return attrs.evolve(result, status=CallbackStatus.REVIEW, state=payment.state)
            if payment.state is not PaymentState.CONFIRMED:
                uow.commit()
                return attrs.evolve(
                    result, status=CallbackStatus.FAILED_RECORDED, state=payment.state
                )
            dossier = uow.dossiers.get(payment.dossier_id)
            try:
                dossier.record_payment(
                    payment_id=payment.id, amount=payment.amount, now=now, calendar=ctx.deadlines
                )
            except (TransitionNotAllowed, InvalidMoney):
                # The money was taken, but the dossier closed (withdrawn, stopped) or was
                # paid by another payment meanwhile: a late or double payment, under review
                # for a refund, and the dossier is left as it is.
                payment.hold_for_review(
                    reason="paid when the dossier no longer owed it (late or double payment)",
                    now=now,
                )
                uow.payments.update(payment)
                uow.commit()
                return attrs.evolve(result, status=CallbackStatus.REVIEW, state=payment.state)
            uow.dossiers.update(dossier)
            queue_dossier_mail(uow, ctx, dossier, dossier.pull_events())
            queue_dossier_sync(uow, ctx, dossier)
            uow.commit()
        return result

    def status(self, account_id: str, dossier_id: str) -> PaymentStatusView:
        """Where the dossier's fees stand, with every payment attempt."""
        with self._ctx.storage.unit_of_work() as uow:
            dossier = load_owned_dossier(uow, account_id, dossier_id)
            payments = tuple(uow.payments.list_by_dossier(dossier.id))
        return PaymentStatusView(
            dossier_id=dossier.id,
            payment_status=dossier.payment_status,
            total_fees=dossier.total_fees,
            paid_amount=dossier.paid_amount,
            amount_due=dossier.amount_due,
            fees_due=dossier.procedure.fees_due,
            payable_now=dossier.amount_due > 0 and fees_payable_now(dossier),
            payments=payments,
        )

    def expire_pending(self) -> list[Payment]:
        """Give up on payments pending longer than ``settings.payment_ttl``; returns them.

        When the gateway can be queried this is :meth:`reconcile` (nothing is abandoned
        without asking it), returning the payments it abandoned or recorded as failed.
        Otherwise each is abandoned in its own unit of work, so a callback settling one at
        the same moment wins and the others still expire.
        """
        ctx = self._ctx
        if can_query(ctx.payment_gateway):
            report = self.reconcile()
            with ctx.storage.unit_of_work() as uow:
                return [uow.payments.get(i) for i in (*report.abandoned, *report.failed)]
        expired: list[Payment] = []
        for candidate in self._stale():
            try:
                with ctx.storage.unit_of_work() as uow:
                    payment = uow.payments.get(candidate.id)
                    if payment.state is not PaymentState.PENDING:
                        continue
                    payment.abandon(now=ctx.clock.now(), reason="expired")
                    uow.payments.update(payment)
                    uow.commit()
            except ConcurrentUpdate:
                continue
            expired.append(payment)
        return expired

    def reconcile(self) -> ReconcileReport:
        """Ask the gateway about every payment pending past its expiry, and record the answer.

        Paid: confirmed once, exactly as if the IPN had come (an IPN racing it changes
        nothing more). Failed, cancelled or unknown to the gateway: the payment is given up.
        Money that moved without a clean payment: under review. When the gateway cannot be
        asked, or its answer does not verify, the payment stays pending for the next run.
        The gateway is never asked inside a unit of work.
        """
        ctx = self._ctx
        gateway = ctx.payment_gateway
        if not can_query(gateway):
            return ReconcileReport(abandoned=tuple(p.id for p in self.expire_pending()))
        found: dict[str, list[str]] = {
            "confirmed": [],
            "abandoned": [],
            "failed": [],
            "review": [],
            "unreachable": [],
        }
        for payment in self._stale():
            try:
                answer = gateway.query(payment, now=ctx.clock.now())
            except PaymentGatewayError as e:
                _log.warning("payment %s could not be reconciled: %s", payment.id, e)
                found["unreachable"].append(payment.id)
                continue
            if answer is None:
                answer = GatewayCallback(
                    txn_ref=payment.txn_ref,
                    outcome=PaymentOutcome.CANCELLED,
                    amount=payment.amount,
                    reason="expired: the gateway has no such transaction",
                )
            elif answer.outcome is PaymentOutcome.CANCELLED:
                answer = attrs.evolve(answer, reason=f"expired unpaid ({answer.reason})")
            result = self._apply_retrying(answer)
            if payment.state is PaymentState.ABANDONED:
                self._mark_checked(payment.id)
            if result.status is CallbackStatus.AMOUNT_MISMATCH:
                # Logged as a security event; left pending and asked again next time.
                found["unreachable"].append(payment.id)
                continue
            state = result.state
            if state is PaymentState.CONFIRMED and result.status is CallbackStatus.CONFIRMED:
                found["confirmed"].append(payment.id)
            elif state is PaymentState.ABANDONED:
                found["abandoned"].append(payment.id)
            elif state is PaymentState.FAILED:
                found["failed"].append(payment.id)
            elif state is PaymentState.REVIEW:
                found["review"].append(payment.id)
        return ReconcileReport(**{key: tuple(ids) for key, ids in found.items()})

    def in_review(self, officer_id: str | None = None) -> list[Payment]:
        """The payments under review (money moved, not cleanly paid), oldest first.

        Without ``officer_id`` (an operator: ``onestop payments review``) all of them; with
        it, those of the officer's agency, for an active officer with the accounting role
        (PermissionDenied otherwise).
        """
        return payment_review.in_review(self._ctx, officer_id)

    def review_query(self, officer_id: str, payment_id: str) -> Payment:
        """Ask the gateway again about a payment under review and record its answer.

        Paid and still owed: confirmed and counted on the dossier; failed: FAILED (no money
        moved); otherwise it stays under review. Only an active officer of the dossier's
        agency with the accounting role may (PermissionDenied). Recorded in the audit trail
        as ``payment.review_queried`` by the officer. PaymentGatewayError if the gateway
        cannot be asked; TransitionNotAllowed if the payment is not under review.
        """
        return payment_review.review_query(self._ctx, officer_id, payment_id, self._apply_retrying)

    def refund(self, officer_id: str, payment_id: str, *, amount: int | None = None) -> Refund:
        """Give the money of a payment under review back (all that is left when ``amount``
        is None: VNPay's full refund ``02``; less: a partial ``03``).

        Only an active officer of the dossier's agency with the accounting role may
        (PermissionDenied). Idempotent: asking again for a refunded payment returns its
        refund without asking the gateway; a refund the gateway did not answer clearly is
        sent again with the same request id (so it refunds once). RefundRefused when the
        gateway refused for good: that request is closed and a new call opens a new one.
        PaymentGatewayError when it could not be reached (ask again later);
        TransitionNotAllowed if the payment is not under review. Each step is in the audit
        trail (see :mod:`onestop.application.payment_review`).
        """
        return payment_review.refund(self._ctx, officer_id, payment_id, amount)

    def _apply_retrying(self, callback: GatewayCallback) -> CallbackResult:
        try:
            return self._apply(callback)
        except ConcurrentUpdate:
            return self._apply(callback)

    def _stale(self) -> list[Payment]:
        """Payments pending past their expiry (``settings.payment_ttl`` after the start), and
        those replaced by a new payment whose fate the gateway was not asked about yet (the
        payer may have paid both, and the first one's IPN may be lost)."""
        deadline = self._ctx.clock.now() - self._ctx.settings.payment_ttl
        pending = self._in_state(PaymentState.PENDING, deadline)
        if can_query(self._ctx.payment_gateway):
            pending += [
                p
                for p in self._in_state(PaymentState.ABANDONED, deadline)
                if not p.gateway_checked and p.failure_reason == _REPLACED
            ]
        return sorted(
            (p for p in pending if p.created_at <= deadline), key=lambda p: (p.created_at, p.id)
        )

    def _mark_checked(self, payment_id: str) -> None:
        try:
            with self._ctx.storage.unit_of_work() as uow:
                payment = uow.payments.get(payment_id)
                if payment.state is PaymentState.ABANDONED and not payment.gateway_checked:
                    payment.gateway_checked = True
                    uow.payments.update(payment)
                    uow.commit()
        except ConcurrentUpdate:
            pass  # settled meanwhile: nothing left to mark

    def _in_state(
        self, state: PaymentState, created_before: dt.datetime | None = None
    ) -> list[Payment]:
        with self._ctx.storage.unit_of_work() as uow:
            return list(uow.payments.list_by_state(state, created_before=created_before))
