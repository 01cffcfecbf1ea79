"""Printable forms per second: the receipt and the control sheet, as HTML and as PDF.

Usage::

    .venv/bin/python benchmarks/bench_forms.py [-n 20] [--rounds 3]

What is measured, on the in-memory portal with one received dossier of the sample catalog
(three documents, a history of three steps):

* **receipt / control_sheet, html and pdf**: ``portal.forms.document(...)`` end to end
  (permission check, loading the dossier and agency, the values, the template, the QR code,
  and for PDF fpdf2's layout and font subsetting), ``n`` times in a row.
  The receipt's QR picture is kept once made (the untimed first print made it), as when a
  receipt is printed again.
* **empty pdf**: ``html_to_pdf("<p>x</p>")``: what every PDF costs whatever its content
  (reading the three bundled TrueType fonts, writing their subsets).
* **new qr png / svg**: ``qr_data_uri`` of a payload not seen before: what a dossier's first
  receipt costs on top (segno choosing the mask, then drawing).

Each rate is the best of ``--rounds`` runs; the size is the last document's.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from collections.abc import Callable
from pathlib import Path

import attrs

from onestop import bootstrap
from onestop.adapters import FakePaymentGateway, InMemoryMailTransport, ManualClock
from onestop.domain import VN_TZ
from onestop.forms import html_to_pdf, qr_data_uri, receipt_qr

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
sys.path.insert(0, str(EXAMPLES))
from _demo import CATALOG, submit_with_files, verified_citizen  # noqa: E402


def _best(fn: Callable[[], object], n: int, rounds: int) -> tuple[float, object]:
    best = float("inf")
    last: object = None
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(n):
            last = fn()
        best = min(best, time.perf_counter() - start)
    return n / best, last


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=20, help="forms per run")
    parser.add_argument("--rounds", type=int, default=3, help="runs; the best counts")
    args = parser.parse_args(argv)

    clock = ManualClock(dt.datetime(2022, 6, 22, 9, tzinfo=VN_TZ))
    mail = InMemoryMailTransport()
    portal = bootstrap(clock=clock, mail_transport=mail, payment_gateway=FakePaymentGateway())
    portal.catalog.load_json(CATALOG)
    citizen = verified_citizen(portal, mail, "an@example.vn", "Mat-khau-an-toan-1", "Trần Thị B")
    officer = portal.desk.register_officer("000.00.03.H34", "Lê Văn C", "c@kontum.gov.vn")
    dossier = submit_with_files(portal, citizen, "1.001612")
    clock.set(dt.datetime(2022, 6, 22, 10, tzinfo=VN_TZ))
    portal.desk.receive(officer.id, dossier.id)
    portal.forms.receipt(officer.id, dossier.id)  # imports fpdf2 and segno once, untimed

    print(f"{'form':<14} {'format':<6} {'per second':>10} {'ms each':>8} {'bytes':>8}")
    for form in ("receipt", "control_sheet"):
        for chosen in ("html", "pdf"):
            rate, last = _best(
                lambda f=form, c=chosen: portal.forms.document(officer.id, dossier.id, f, format=c),
                args.n,
                args.rounds,
            )
            size = len(getattr(last, "content", b""))
            print(f"{form:<14} {chosen:<6} {rate:>10.1f} {1000 / rate:>8.1f} {size:>8}")
    created = clock.now()
    rate, last = _best(
        lambda: html_to_pdf("<p>x</p>", title="x", created_at=created), args.n, args.rounds
    )
    size = len(last) if isinstance(last, bytes) else 0
    print(f"{'empty':<14} {'pdf':<6} {rate:>10.1f} {1000 / rate:>8.1f} {size:>8}")
    sample = receipt_qr(portal.desk.get(officer.id, dossier.id), "Cổng dịch vụ công", created)
    for kind in ("png", "svg"):
        payloads = (
            attrs.evolve(sample, dossier_code=f"000.00.03.H34-220622-{n:04d}").payload
            for n in range(10**6)
        )
        rate, last = _best(
            lambda k=kind, p=payloads: qr_data_uri(next(p), kind=k), args.n, args.rounds
        )
        size = len(last) if isinstance(last, str) else 0
        print(f"{'new qr':<14} {kind:<6} {rate:>10.1f} {1000 / rate:>8.1f} {size:>8}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
