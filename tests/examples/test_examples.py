"""Every script in ``examples/`` runs as a user runs it (``python examples/<name>.py``).

Each example must also expose ``main()``; the test checks the lines that show the example
did what its docstring promises, so an example that silently stops short fails here.
"""

from __future__ import annotations

import ast
import os
import re
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.support import require_module

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"

#: What each example must print (in this order); a new example must be added here.
EXPECTED: dict[str, tuple[str, ...]] = {
    "submit_online.py": (
        "Xác nhận đăng ký tài khoản",
        "Tìm 'dang ky kinh doanh': 1 kết quả",
        "Nộp hồ sơ thành công",
        "Mã số hồ sơ: 000.00.03.H34-",
        "Hồ sơ đang chờ tiếp nhận",
        "Người nộp hồ sơ",
        "Nhận kết quả tại nhà: 12 Lê Lợi",
        "Thành phần hồ sơ",
        "Lệ phí hồ sơ",
        "Tổng",
        "Receipt mail sent: 1 message(s)",
    ),
    "officer_desk.py": (
        "Submitted 000.00.03.H34-220622-0001",
        "Officer of another agency: permission.denied (403)",
        "Bạn không có quyền xem hoặc thực hiện thao tác này.",
        "appointment date (Giấy hẹn trả kết quả): Monday 27/06/2022",
        "Supplement requested",
        "appointment moves to Wednesday 29/06/2022",
        "Tiến độ xử lý hồ sơ 000.00.03.H34-220622-0001",
        "Đã trả kết quả",
    ),
    "pay_fees.py": (
        "Nộp hồ sơ thành công: 000.00.03.H34-220622-0001",
        "còn 150.000 VND (unpaid)",
        "Callback: failed_recorded",
        "Callback (IPN): confirmed",
        "Callback (return redirect): already_confirmed",
        "Forged callback: invalid_signature",
        "Lần 3: Hồ sơ không có khoản phí, lệ phí nào cần thanh toán.",
        "đã nộp 150.000 VND, còn 0 VND (paid)",
        "Payments on record: 2, confirmed: 1",
        "Xác nhận thanh toán phí, lệ phí hồ sơ",
    ),
    "vnpay_checkout.py": (
        "Nộp hồ sơ thành công: 000.00.03.H34-220622-0001",
        "còn 150.000 VND (unpaid)",
        "vnp_Amount=15000000",
        "Return redirect before the IPN: pending",
        'IPN reply: {"RspCode": "00"',
        "Return redirect: confirmed",
        'Repeated IPN reply: {"RspCode": "02"',
        'Forged IPN reply: {"RspCode": "97"',
        "đã nộp 150.000 VND, còn 0 VND (paid)",
        "Payments confirmed: 1",
        "Lost IPN, reconcile: 1 confirmed",
        "Under review: 150.000 VND (paid when the dossier no longer owed it",
        "Refunded 150.000 VND, VNPay transaction",
        "Refund asked again: the same refund (True)",
    ),
    "national_sync.py": (
        "Fake national portal listening on http://127.0.0.1:",
        "7 change(s) to sync",
        "DongBoHoSoMC (insert)  000.00.03.H34-220622-0001  status 1",
        "CapNhatTienDoHoSoMC    000.00.03.H34-220622-0001  1 step(s)",
        "DongBoHoSoMC (update)  000.00.03.H34-220622-0001  status 10",
        "Synced: sent 7, retried 1, need attention 0",
        "Sync state: pending 0, claimed 0, sent 7, needs_attention 0",
    ),
    "national_login.py": (
        "Local OpenID Connect provider at http://127.0.0.1:",
        "Registered with a password: lan.pham@example.vn",
        "(PKCE S256, state, nonce)",
        "VNeID identity linked (password proved again)",
        "Logged in with VNeID: lan.pham@example.vn (created: False)",
        "Linked account: lan.pham@example.vn (citizen, active)",
        "national subject vneid-lan-0042, id number 001190012345",
        "level of assurance: 2",
        "Replayed callback refused: national_login.state_mismatch (400): Yêu cầu đăng nhập",
    ),
    "receipt_form.py": (
        "Submitted 000.00.03.H34-220622-0001",
        "Received; appointment date 27/06/2022",
        "Receipt (application/pdf, ",
        "giay-tiep-nhan-ho-so-000.00.03.H34-220622-0001.pdf",
        'QR code: {"v":1,"ma_ho_so":"000.00.03.H34-220622-0001","ma_thu_tuc":"1.001612"',
        '"ngay_hen_tra":"2022-06-27"}',
        "The same form as a web page: giay-tiep-nhan-ho-so-000.00.03.H34-220622-0001.html",
    ),
    "smtp_mail.py": (
        "Local SMTP server listening on 127.0.0.1:",
        "Subject: Xác nhận đăng ký tài khoản",
        "Parts: text + HTML",
        "Link: http://localhost:8000/verify?token=",
        "Account verified: nhung.dang@example.vn (active)",
    ),
}


#: Examples that serve until stopped: started, asked for their home page, then stopped.
SERVERS: dict[str, tuple[str, ...]] = {
    "web_portal.py": ('<html lang="vi">', "Đăng ký", "Đăng nhập", "Cổng dịch vụ công"),
}


def example_scripts() -> list[str]:
    return sorted(p.name for p in EXAMPLES.glob("*.py") if not p.name.startswith("_"))


def script_examples() -> list[str]:
    """The examples that run to the end by themselves."""
    return [name for name in example_scripts() if name not in SERVERS]


def run_example(
    name: str, *args: str, env: dict[str, str] | None = None, cwd: Path = ROOT
) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("ONESTOP_")}
    environ.update(env or {})
    environ["PYTHONIOENCODING"] = "utf-8"
    return subprocess.run(
        [sys.executable, str(EXAMPLES / name), *args],
        cwd=cwd,
        env=environ,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=300,
        check=False,
    )


def assert_in_order(output: str, expected: tuple[str, ...]) -> None:
    position = 0
    for text in expected:
        found = output.find(text, position)
        assert found >= 0, f"expected {text!r} after position {position} in:\n{output}"
        position = found + len(text)


def test_every_example_is_checked() -> None:
    scripts = example_scripts()
    assert "submit_online.py" in scripts
    missing = [name for name in scripts if name not in EXPECTED and name not in SERVERS]
    assert not missing, f"add the expected output of {missing} to EXPECTED (or SERVERS)"


@pytest.mark.parametrize("name", example_scripts())
def test_example_defines_main(name: str) -> None:
    tree = ast.parse((EXAMPLES / name).read_text(encoding="utf-8"))
    functions = {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}
    assert "main" in functions, f"{name} has no main()"


@pytest.mark.parametrize("name", script_examples())
def test_example_runs(name: str, tmp_path: Path) -> None:
    # Its temporary files (the receipt example's PDF) go into the test's own directory.
    result = run_example(name, env={"TMPDIR": str(tmp_path)})
    assert result.returncode == 0, f"{name} failed:\n{result.stdout}\n{result.stderr}"
    assert_in_order(result.stdout, EXPECTED.get(name, ()))


def test_submit_online_twice_on_sqlite_continues_the_sequence(tmp_path: Path) -> None:
    require_module("sqlalchemy")
    env = {"ONESTOP_DATABASE_URL": f"sqlite:///{tmp_path / 'portal.db'}"}
    env["ONESTOP_SECRET_KEY"] = "example-secret-key-for-the-test-0123456789"
    first = run_example("submit_online.py", env=env, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    second = run_example("submit_online.py", env=env, cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    assert "exists already" in second.stdout

    def code_of(output: str) -> str:
        line = next(x for x in output.splitlines() if x.startswith("Mã số hồ sơ: "))
        return line.removeprefix("Mã số hồ sơ: ")

    one, two = code_of(first.stdout), code_of(second.stdout)
    if one[:-4] == two[:-4]:
        assert int(two[-4:]) == int(one[-4:]) + 1
    else:  # the runs straddled local midnight: a new day starts a new sequence
        assert two.endswith("-0001")


@pytest.mark.parametrize("name", sorted(SERVERS))
def test_server_example_starts_answers_and_stops(name: str, tmp_path: Path) -> None:
    """A server example starts on a free port, serves its home page, and stops on SIGTERM."""
    require_module("flask")
    require_module("flask_wtf")
    environ = {k: v for k, v in os.environ.items() if not k.startswith("ONESTOP_")}
    environ["PYTHONIOENCODING"] = "utf-8"
    database = f"sqlite:///{tmp_path / 'portal.db'}"
    server = subprocess.Popen(
        [sys.executable, str(EXAMPLES / name), "--port", "0", "--database", database],
        cwd=tmp_path,
        env=environ,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        encoding="utf-8",
    )
    try:
        assert server.stdout is not None
        first = server.stdout.readline()  # printed once it is ready to serve
        found = re.search(r"http://127\.0\.0\.1:\d+/", first)
        assert found, f"no URL in {first!r}"
        with urllib.request.urlopen(found.group(0), timeout=30) as answer:
            assert answer.status == 200
            page = answer.read().decode("utf-8")
        assert_in_order(page, SERVERS[name])
    finally:
        server.send_signal(signal.SIGTERM)
        output, _ = server.communicate(timeout=60)
    assert server.returncode == 0, output
    assert "Stopped." in output


def test_national_login_against_a_given_issuer_and_refused() -> None:
    """With ISSUER_URL: discovery there, client from the environment; a refusal exits 1 with
    the typed error's Vietnamese message."""
    require_module("authlib")
    from onestop.testing.oidc_provider import LocalOidcProvider

    with LocalOidcProvider(client_id="kontum", client_secret="bi-mat") as provider:
        env = {"ONESTOP_OIDC_CLIENT_ID": "kontum", "ONESTOP_OIDC_CLIENT_SECRET": "bi-mat"}
        result = run_example("national_login.py", provider.issuer, env=env)
        assert result.returncode == 0, result.stdout + result.stderr
        assert_in_order(
            result.stdout,
            ("(created: True)", "national subject vneid-0001", "level of assurance: 2"),
        )
        provider.inject("expired")
        refused = run_example("national_login.py", provider.issuer, env=env)
        assert refused.returncode == 1, refused.stdout + refused.stderr
        assert "đã hết hạn" in refused.stderr
        assert "[national_login.token_expired]" in refused.stderr
        wrong = run_example(
            "national_login.py", provider.issuer, env={**env, "ONESTOP_OIDC_CLIENT_SECRET": "sai"}
        )
        assert wrong.returncode == 1
        assert "[national_login.refused]" in wrong.stderr


def test_receipt_form_writes_the_pdf_whose_qr_code_says_what_it_printed(tmp_path: Path) -> None:
    from tests.unit.test_forms import pdf_text, qr_codes

    result = run_example("receipt_form.py", str(tmp_path / "out"), cwd=tmp_path)
    # The directory must exist: nothing is created behind a typo, and it says so.
    assert result.returncode != 0
    assert str(tmp_path / "out") in result.stderr, result.stderr
    (tmp_path / "out").mkdir()
    result = run_example("receipt_form.py", str(tmp_path / "out"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    line = next(x for x in result.stdout.splitlines() if x.startswith("Receipt ("))
    path = Path(line.rsplit(" written to ", 1)[1])
    assert path.parent == tmp_path / "out"
    content = path.read_bytes()
    assert "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ" in pdf_text(content, tmp_path)
    printed = next(x for x in result.stdout.splitlines() if x.startswith("QR code: "))
    assert qr_codes(content, tmp_path) == [printed.removeprefix("QR code: ")]


def test_web_portal_outside_demo_mode_refuses_fake_mail_and_payments(tmp_path: Path) -> None:
    """``--no-demo`` takes mail and payments from ONESTOP_*: with none set it fails closed."""
    require_module("flask")
    database = f"sqlite:///{tmp_path / 'portal.db'}"
    result = run_example("web_portal.py", "--no-demo", "--database", database, cwd=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stderr.startswith("web_portal: error: refusing to start a portal")
    assert "ONESTOP_SMTP_HOST" in result.stderr
    assert not (tmp_path / "portal.db").exists()  # refused before anything was opened
