"""Production settings pass Django's deployment checklist, and keep the hardening on."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

from vault.crypto import master_key_generate

BASE_DIR = Path(__file__).resolve().parents[2]


def production_env(tmp_path) -> dict:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "kycreview.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        "DJANGO_ALLOWED_HOSTS": "kyc.example.com",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'deploy.sqlite3'}",
        "KYC_MASTER_KEYS": master_key_generate("deploy"),
    }


def test_check_deploy_is_clean(tmp_path):
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR, env=production_env(tmp_path), capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_refuses_to_run_without_a_master_key(tmp_path):
    env = {key: value for key, value in production_env(tmp_path).items() if key != "KYC_MASTER_KEYS"}
    env["KYC_MASTER_KEY_FROM_SECRET"] = "1"  # an environment cannot make production derive one
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=BASE_DIR, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "vault.E001" in result.stderr and "KYC_MASTER_KEYS is not set" in result.stderr


def test_production_keeps_two_factor_hsts_secure_cookies_and_the_csp(tmp_path):
    code = (
        "from django.conf import settings as s; "
        "print(s.KYC_REQUIRE_2FA, s.SECURE_HSTS_SECONDS > 0, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
        "s.CONTENT_SECURITY_POLICY['DIRECTIVES']['script-src'])"
    )
    env = {**production_env(tmp_path), "KYC_REQUIRE_2FA": "0"}  # an environment cannot turn it off
    result = subprocess.run([sys.executable, "manage.py", "shell", "-c", code], cwd=BASE_DIR, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "True True True True [\"'self'\"]"
