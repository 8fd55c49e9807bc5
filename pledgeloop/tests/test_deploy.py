"""`manage.py check --deploy` is clean for the production configuration README documents."""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

from django.conf import settings

MARKER = "<!-- production-env: read by pledgeloop/tests/test_deploy.py -->"


def documented_environment() -> dict[str, str]:
    """The variables of README's production block; placeholders (<...>) filled in."""
    readme = (Path(settings.BASE_DIR) / "README.md").read_text(encoding="utf-8")
    block = re.search(re.escape(MARKER) + r"\s*```sh\n(.*?)```", readme, re.DOTALL)
    assert block, "README has lost its production configuration block"
    env = {}
    for line in block.group(1).splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, _sep, value = line.partition("=")
        env[name] = value
    assert env["SECRET_KEY"].startswith("<"), "README must not publish a real SECRET_KEY"
    env["SECRET_KEY"] = secrets.token_urlsafe(50)
    return env


def test_check_deploy_reports_nothing_for_the_documented_production_settings(tmp_path):
    env = documented_environment()
    env["PLEDGELOOP_VAR_DIR"] = str(tmp_path)  # not /var/lib/pledgeloop on a test machine
    inherited = {
        key: value
        for key, value in os.environ.items()
        if key in {"PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "VIRTUAL_ENV", "PYTHONPATH"}
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env=inherited | env | {"DJANGO_SETTINGS_MODULE": "pledgeloop.settings"},
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_the_documented_settings_are_the_secure_ones():
    """The block says what it should: HTTPS only, secure cookies, HSTS, no debug."""
    env = documented_environment()
    assert env["DEBUG"] == "0"
    assert env["SECURE_SSL_REDIRECT"] == env["SECURE_COOKIES"] == "1"
    assert int(env["SECURE_HSTS_SECONDS"]) >= 31536000
    assert env["SECURE_PROXY_SSL_HEADER"] == "HTTP_X_FORWARDED_PROTO,https"
