"""The production kit in deploy/ works as README installs it: the systemd units' own commands,
the README's production settings and the nginx site, run together on this machine.

nginx (Debian's) terminates HTTPS with a certificate made for the test and proxies to the web
unit's gunicorn; the worker unit's commands run beside it; all three read the README's
production block as their environment file, with a SQLite database in a temporary data folder
(PLEDGELOOP_VAR_DIR) where the README names PostgreSQL. A resident files an order with a photo
over HTTPS and opens it from her tracking link, the worker sends her text, monitoring finds
the worker alive, and the nightly backup, taken while all this serves, restores. Only the paths,
the ports and the database differ from what README installs; each replacement must find its
text, so a kit that changes shape fails here until the test follows.

Without nginx or systemd-analyze on the machine these tests skip, unless REQUIRE_NGINX=1
(.ci/run installs them).
"""

import configparser
import http.client
import io
import json
import os
import re
import secrets
import shlex
import shutil
import signal
import socket
import sqlite3
import ssl
import subprocess
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from PIL import Image

from pledgeloop.conftest import free_port, self_signed_certificate
from pledgeloop.notify.models import Delivery, Notification
from pledgeloop.orders.models import IntakeAttempt, Order

from .test_deploy import documented_environment

ROOT = Path(settings.BASE_DIR)
DEPLOY = ROOT / "deploy"
HOST = "pledge.example.cn"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
SYSTEMD_ANALYZE = shutil.which("systemd-analyze")


def _require(tool: str | None, name: str) -> None:
    if tool and Path(tool).exists():
        return
    message = f"{name} is not installed (Debian package nginx-light / systemd)"
    if os.environ.get("REQUIRE_NGINX") == "1":
        pytest.fail("REQUIRE_NGINX=1 but " + message)
    pytest.skip(message)


def _machine_environment() -> dict[str, str]:
    """What a unit's process inherits from the machine; the rest comes from the environment
    file, as under systemd."""
    return {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG", "TMPDIR"}}


def _replaced(text: str, replacements: dict[str, str]) -> str:
    for old, new in replacements.items():
        assert old in text, f"the kit no longer has {old!r}: update this test with it"
        text = text.replace(old, new)
    return text


# The kit's paths each unit names, made this machine's by the test.
UNIT_PATHS = {
    "pledgeloop-web.service": [
        "/srv/pledgeloop", "/etc/pledgeloop.env", "/var/lib/pledgeloop", "127.0.0.1:8000"
    ],
    "pledgeloop-worker.service": ["/srv/pledgeloop", "/etc/pledgeloop.env", "/var/lib/pledgeloop"],
    "pledgeloop-backup.service": ["/srv/pledgeloop", "/var/backups/pledgeloop"],
    "pledgeloop-backup.timer": [],
}  # fmt: skip


def _unit_text(name: str, replacements: dict[str, str]) -> str:
    text = (DEPLOY / name).read_text(encoding="utf-8")
    return _replaced(text, {path: replacements[path] for path in UNIT_PATHS[name]})


def _unit(name: str, replacements: dict[str, str]) -> configparser.ConfigParser:
    unit = configparser.ConfigParser(interpolation=None, strict=False)
    unit.optionxform = str  # systemd's keys are case-sensitive
    unit.read_string(_unit_text(name, replacements))
    return unit


def _environment_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines, as systemd's EnvironmentFile= reads the ones README writes."""
    values = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _sep, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values


class Served:
    """The kit running: nginx on two free ports, the web unit's gunicorn, the worker unit."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.var = folder / "var"
        self.http_port, self.https_port, self.app_port = (free_port() for _ in range(3))
        self.env_file = folder / "pledgeloop.env"
        self.replacements = {
            "/srv/pledgeloop": str(ROOT),
            "/etc/pledgeloop.env": str(self.env_file),
            "/var/lib/pledgeloop": str(self.var),
            "/var/backups/pledgeloop": str(folder / "backups"),
            "127.0.0.1:8000": f"127.0.0.1:{self.app_port}",
        }
        self.processes: list[subprocess.Popen] = []

    # --- set-up, in README's order ---------------------------------------------------------
    def write_environment(self) -> None:
        env = documented_environment()
        # The one departure: SQLite in the data folder instead of the README's PostgreSQL.
        assert env.pop("DATABASE_URL").startswith("postgres://")
        assert env["PLEDGELOOP_VAR_DIR"] == "/var/lib/pledgeloop"
        env["PLEDGELOOP_VAR_DIR"] = str(self.var)
        assert env["ALLOWED_HOSTS"] == HOST
        self.env_file.write_text("".join(f"{k}={v}\n" for k, v in env.items()), encoding="utf-8")

    def environment(self, unit: configparser.ConfigParser) -> dict[str, str]:
        return _machine_environment() | _environment_file(Path(unit["Service"]["EnvironmentFile"]))

    def execute(self, unit, command: list[str]) -> subprocess.CompletedProcess:
        """A command run as the unit runs its own: its folder, its environment file."""
        result = subprocess.run(
            command,
            cwd=unit["Service"]["WorkingDirectory"],
            env=self.environment(unit),
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, f"{command}: {result.stderr[-3000:]}"
        return result

    def manage(self, *args: str) -> subprocess.CompletedProcess:
        """deploy/manage, as README's install and upgrade steps run it (it reads the
        environment file itself)."""
        result = subprocess.run(
            [str(DEPLOY / "manage"), *args],
            env=_machine_environment() | {"PLEDGELOOP_ENV_FILE": str(self.env_file)},
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, f"deploy/manage {args[0]}: {result.stderr[-3000:]}"
        return result

    def nginx_config(self) -> Path:
        cert, key = self_signed_certificate(self.folder, HOST)
        site = _replaced(
            (DEPLOY / "nginx-pledgeloop.conf").read_text(encoding="utf-8"),
            {
                "listen 80;": f"listen 127.0.0.1:{self.http_port};",
                "listen 443 ssl;": f"listen 127.0.0.1:{self.https_port} ssl;",
                "/etc/ssl/pledgeloop/fullchain.pem": str(cert),
                "/etc/ssl/pledgeloop/privkey.pem": str(key),
                "/var/lib/pledgeloop": str(self.var),
                "127.0.0.1:8000": f"127.0.0.1:{self.app_port}",
            },
        )
        # IPv6 may be off on a test machine: the test listens on 127.0.0.1 only.
        site = "\n".join(line for line in site.splitlines() if "listen [::]" not in line)
        (self.folder / "site.conf").write_text(site, encoding="utf-8")
        temp = self.folder / "nginx-temp"
        temp.mkdir()
        main = self.folder / "nginx.conf"
        main.write_text(
            # As root nginx would hand its workers to nobody, who may not read the test's
            # folders; the Debian package runs them as www-data.
            ("user root;\n" if os.geteuid() == 0 else "")
            + f"daemon off;\npid {self.folder}/nginx.pid;\nerror_log {self.folder}/error.log;\n"
            "worker_processes 1;\nevents { worker_connections 64; }\nhttp {\n"
            "  include /etc/nginx/mime.types;\n"
            f"  access_log {self.folder}/access.log;\n"
            + "".join(
                f"  {kind}_temp_path {temp}/{kind};\n"
                for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
            )
            + f"  include {self.folder}/site.conf;\n}}\n",
            encoding="utf-8",
        )
        return main

    def start(self, name: str, command: str, unit, extra_env=None) -> subprocess.Popen:
        log = (self.folder / f"{name}.log").open("wb")
        process = subprocess.Popen(
            shlex.split(command),
            cwd=unit["Service"]["WorkingDirectory"] if unit else self.folder,
            env=(self.environment(unit) if unit else dict(os.environ)) | (extra_env or {}),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes.append(process)
        return process

    def stop(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    def read(self, sql: str, *params) -> list[tuple]:
        """The served database, read as it stands (tables named by the models)."""
        with sqlite3.connect(self.var / "pledgeloop.sqlite3") as database:
            return database.execute(sql, params).fetchall()

    def texts_to(self, phone: str) -> list[tuple[str, str]]:
        return self.read(
            f"SELECT d.channel, d.status FROM {Delivery._meta.db_table} d "
            f"JOIN {Notification._meta.db_table} n ON n.id = d.notification_id "
            "WHERE n.phone = ?",
            phone,
        )

    def log(self, name: str) -> str:
        path = self.folder / f"{name}.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    # --- a visitor -------------------------------------------------------------------------
    def https(self) -> http.client.HTTPSConnection:
        context = ssl.create_default_context(cafile=str(self.folder / f"{HOST}.pem"))
        port = self.https_port

        class Connection(http.client.HTTPSConnection):
            """Connects to 127.0.0.1 and checks the certificate for HOST, as a phone would."""

            def connect(self):
                sock = socket.create_connection(("127.0.0.1", port), self.timeout)
                self.sock = context.wrap_socket(sock, server_hostname=HOST)

        return Connection(HOST, port, timeout=30)


def _ask(connection, method, path, body=None, headers=None):
    connection.request(method, path, body=body, headers=headers or {})
    response = connection.getresponse()
    return response, response.read()


def _multipart(fields: dict, photo: bytes) -> tuple[bytes, str]:
    boundary = secrets.token_hex(16)
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="photo"; filename="tap.jpg"\r\n'
        "Content-Type: image/jpeg\r\n\r\n".encode()
        + photo
        + b"\r\n"
    )
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), (
        f"multipart/form-data; boundary={boundary}"
    )


FIXTURE = """
import json
from decimal import Decimal
from pledgeloop.orgs.models import Category, Site
from pledgeloop.orgs.services import community_create, street_create
street = street_create(name="江海街道", slug="jianghai")
community = community_create(street=street, name="星港湾", slug="xinggangwan")
compound = Site.objects.create(
    street=street, community=community, kind=Site.Kind.COMPOUND, name="阳光花园",
    latitude=Decimal("31.957"), longitude=Decimal("120.942"),
)
building = Site.objects.create(
    street=street, community=community, kind=Site.Kind.BUILDING, name="3幢", parent=compound,
    latitude=Decimal("31.9571"), longitude=Decimal("120.942"),
)
print(json.dumps({
    "path": f"/order/new/{street.slug}/{community.slug}/",
    "category": Category.objects.filter(street=street).values_list("pk", flat=True).first(),
    "site": building.pk,
}))
"""


def test_the_units_are_valid_systemd_units(tmp_path):
    """systemd-analyze verify reads every unit (paths made real) without a warning: a
    misspelt key or value, which systemd ignores with a line in the journal, fails here."""
    _require(SYSTEMD_ANALYZE, "systemd-analyze")
    served = Served(tmp_path)
    served.env_file.write_text("")
    units = []
    assert sorted(UNIT_PATHS) == sorted(p.name for p in DEPLOY.glob("pledgeloop-*"))
    for name in UNIT_PATHS:
        (tmp_path / name).write_text(_unit_text(name, served.replacements), encoding="utf-8")
        units.append(str(tmp_path / name))
    result = subprocess.run(
        [SYSTEMD_ANALYZE, "verify", *units], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0 and result.stderr.strip() == "", result.stderr


def test_deploy_manage_refuses_a_missing_or_malformed_environment_file(tmp_path):
    """deploy/manage (and deploy/backup, through deploy/environment.sh) stops before Django
    starts, naming the file, rather than run with half a configuration."""
    base = _machine_environment()
    missing = subprocess.run(
        [str(DEPLOY / "manage"), "check"],
        env=base | {"PLEDGELOOP_ENV_FILE": str(tmp_path / "none.env")},
        capture_output=True,
        text=True,
    )
    assert missing.returncode == 1 and "cannot read" in missing.stderr
    broken = tmp_path / "broken.env"
    broken.write_text("DEBUG=0\nexport SECRET_KEY\n")
    refused = subprocess.run(
        [str(DEPLOY / "backup"), str(tmp_path / "backups")],
        env=base | {"PLEDGELOOP_ENV_FILE": str(broken)},
        capture_output=True,
        text=True,
    )
    assert refused.returncode == 1 and "not KEY=VALUE" in refused.stderr
    assert not (tmp_path / "backups").exists()


def test_the_kit_serves_files_and_sends_behind_nginx(tmp_path, django_db_setup):
    _require(NGINX, "nginx")
    served = Served(tmp_path)
    served.write_environment()
    web = _unit("pledgeloop-web.service", served.replacements)
    worker = _unit("pledgeloop-worker.service", served.replacements)
    # The photos' internal location is the data folder's media, where the app keeps them.
    site = (DEPLOY / "nginx-pledgeloop.conf").read_text(encoding="utf-8")
    env = _environment_file(served.env_file)
    assert env["PHOTOS_SENDFILE"] == "x-accel-redirect", "README's block must hand photos to nginx"
    assert re.search(
        r"location /protected-photos/ \{\s*internal;\s*alias /var/lib/pledgeloop/"
        r"media/;",
        site,
    ), "the internal location must alias PLEDGELOOP_VAR_DIR/media"
    assert (
        web["Service"]["ReadWritePaths"] == worker["Service"]["ReadWritePaths"] == str(served.var)
    ), "the units must let the app write its data folder"

    # README's install steps: migrate, collect the static files. Both start from what this run
    # made already (migrating takes 25 s of CPU, collecting the files with Brotli a minute):
    # this worker's copy of the migrated test database, the files `make setup` collected with
    # the same settings. `migrate` still runs, and finds nothing to do.
    served.var.mkdir()
    with (
        sqlite3.connect(connection.settings_dict["NAME"]) as template,
        sqlite3.connect(served.var / "pledgeloop.sqlite3") as copy,
    ):
        template.backup(copy)
    collected = ROOT / "var" / "static"
    if (collected / "staticfiles.json").exists():
        shutil.copytree(collected, served.var / "static")
    else:
        served.manage("collectstatic", "--noinput", "-v", "0")
    migrated = served.manage("migrate", "--noinput")
    assert "No migrations to apply." in migrated.stdout, migrated.stdout
    fixture = json.loads(served.manage("shell", "-c", FIXTURE).stdout.splitlines()[-1])

    config = served.nginx_config()
    tested = subprocess.run(
        [NGINX, "-t", "-p", str(tmp_path), "-c", str(config)], capture_output=True, text=True
    )
    assert tested.returncode == 0 and "[warn]" not in tested.stderr, tested.stderr

    try:
        # The worker unit: its ExecStartPre queues the schedule, then the worker runs.
        pre = served.execute(worker, shlex.split(worker["Service"]["ExecStartPre"]))
        assert "scheduled" in pre.stdout, pre.stdout
        served.start("worker", worker["Service"]["ExecStart"], worker)
        # The web unit is Type=notify: gunicorn must say READY=1 on systemd's socket.
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as notify:
            notify.bind(str(tmp_path / "notify"))
            notify.settimeout(120)
            served.start(
                "web",
                web["Service"]["ExecStart"],
                web,
                {"NOTIFY_SOCKET": str(tmp_path / "notify")},
            )
            try:
                ready = notify.recv(4096).decode()
            except TimeoutError:
                pytest.fail("gunicorn never told systemd it was ready:\n" + served.log("web"))
            assert "READY=1" in ready
        served.start("nginx", f"{NGINX} -p {tmp_path} -c {config}", None)
        _visit(served, fixture)
        _back_up_and_restore(served)  # while the app runs, as the timer does at night
    finally:
        served.stop()
    for process in served.processes:  # SIGTERM, as systemctl stop sends, ends each cleanly
        assert process.returncode == 0, served.log("web") + served.log("worker")


def _back_up_and_restore(served: Served) -> None:
    """deploy/backup as pledgeloop-backup.service runs it (its ExecStart, the environment file
    named), then README's restore for SQLite: the copy in place of the database, the photos
    unpacked. The restored folder holds the order and its photo; older backups beyond
    PLEDGELOOP_BACKUP_KEEP go."""
    unit = _unit("pledgeloop-backup.service", served.replacements)
    command = shlex.split(unit["Service"]["ExecStart"])
    assert (
        command[-1] == str(served.folder / "backups")
        and unit["Service"]["ReadWritePaths"] == (command[-1])
    )
    env = _machine_environment() | {
        "PLEDGELOOP_ENV_FILE": str(served.env_file),
        "PLEDGELOOP_BACKUP_KEEP": "2",
    }
    made = []
    for _ in range(3):
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        made.append(Path(done.stdout.strip()))
    assert sorted((served.folder / "backups").iterdir()) == made[1:]
    backup = made[-1]
    assert {p.name for p in backup.iterdir()} == {"db.sqlite3", "media.tar.gz", "pledgeloop.env"}
    assert (backup / "pledgeloop.env").read_bytes() == served.env_file.read_bytes()
    assert (backup / "pledgeloop.env").stat().st_mode & 0o077 == 0  # the key is the app's only

    restored = served.folder / "restored"
    restored.mkdir()
    shutil.copyfile(backup / "db.sqlite3", restored / "pledgeloop.sqlite3")
    subprocess.run(["tar", "-C", str(restored), "-xzf", str(backup / "media.tar.gz")], check=True)
    with sqlite3.connect(restored / "pledgeloop.sqlite3") as database:
        [(photo,)] = database.execute(f"SELECT photo FROM {Order._meta.db_table}").fetchall()
    assert (restored / "media" / photo).read_bytes() == (served.var / "media" / photo).read_bytes()


def _wait_for_port(port: int, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    pytest.fail(f"nothing listens on {port}")


def _visit(served: Served, fixture: dict) -> None:
    _wait_for_port(served.https_port)
    path = fixture["path"]

    # Plain HTTP is sent to HTTPS, to the same page.
    plain = http.client.HTTPConnection("127.0.0.1", served.http_port, timeout=30)
    response, _ = _ask(plain, "GET", path, headers={"Host": HOST})
    assert response.status == 301
    assert response.getheader("Location") == f"https://{HOST}{path}"

    phone = served.https()
    # Over HTTPS the app knows it is HTTPS (X-Forwarded-Proto): the form, with HSTS.
    response, html = _ask(phone, "GET", path)
    assert response.status == 200, html[:500]
    assert "max-age=31536000" in response.getheader("Strict-Transport-Security", "")
    page = html.decode()
    cookie = re.search(r"csrftoken=([^;]+)", response.getheader("Set-Cookie")).group(1)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)

    # A static file the page names: collected, hashed, cached for a year.
    stylesheet = re.search(r'href="(/static/[^"]+\.css)"', page).group(1)
    response, body = _ask(phone, "GET", stylesheet, headers={"Accept-Encoding": "br"})
    assert response.status == 200 and body
    assert "immutable" in response.getheader("Cache-Control", "")

    # A resident files an order with a photo, from an address she cannot forge.
    picture = io.BytesIO()
    Image.new("RGB", (320, 240), (200, 40, 40)).save(picture, "JPEG")
    fields = {
        "csrfmiddlewaretoken": token,
        "category": fixture["category"],
        "description": "楼道灯不亮了",
        "site": fixture["site"],
        "address": "201室",
        "when": "asap",
        "phone": "13812345678",
        "contact_name": "",
        "consent": "1",
        "website": "",
        "member": "",
        "via": "qr",
        "submission": re.search(r'name="submission" value="([^"]+)"', page).group(1),
        "latitude": "",
        "longitude": "",
    }
    body, content_type = _multipart(fields, picture.getvalue())
    headers = {
        "Cookie": f"csrftoken={cookie}",
        "Referer": f"https://{HOST}{path}",
        "Content-Type": content_type,
        "X-Forwarded-For": "203.0.113.9",  # written by the phone: nginx adds the real one
    }
    response, answer = _ask(phone, "POST", path, body, headers)
    assert response.status == 302, answer[:2000]
    sent = re.match(r"^/order/sent/([^/]+)/$", response.getheader("Location"))
    assert sent, response.getheader("Location")

    # Her tracking page shows the photo; nginx sends the file the app names, with the app's
    # "private, no-store", and never by its own path.
    response, html = _ask(phone, "GET", f"/track/{sent.group(1)}/")
    assert response.status == 200
    src = re.search(r'src="(/photos/order/\d+/\?track=[^"]+)"', html.decode())
    assert src, "the tracking page shows no photo"
    response, image = _ask(phone, "GET", src.group(1).replace("&amp;", "&"))
    assert response.status == 200, image[:300]
    assert response.getheader("Content-Type") == "image/jpeg"
    assert response.getheader("X-Accel-Redirect") is None
    assert "no-store" in response.getheader("Cache-Control", "")
    [(photo,)] = served.read(f"SELECT photo FROM {Order._meta.db_table}")
    assert image == (served.var / "media" / photo).read_bytes()
    response, _ = _ask(phone, "GET", "/protected-photos/" + photo)
    assert response.status == 404
    # The intake limits counted nginx's peer, not what the phone wrote.
    assert served.read(f"SELECT DISTINCT ip FROM {IntakeAttempt._meta.db_table}") == [
        ("127.0.0.1",)
    ]

    # A body past the cap is refused by nginx before it reaches the app.
    response, _ = _ask(phone, "POST", path, b"x" * (9 * 1024 * 1024), headers)
    assert response.status == 413
    assert response.getheader("Server") == "nginx"  # no version given away

    # The worker unit sends her text (logged, not sent: no gateway is configured).
    deadline = time.monotonic() + 60
    while ("sms", "logged") not in served.texts_to(fields["phone"]):
        if time.monotonic() > deadline:
            pytest.fail(f"the worker sent no text: {served.log('worker')}")
        time.sleep(0.2)
    # The text's link is the site's own short link (SITE_URL), not this machine's address.
    assert f"https://{HOST}/t/" in served.log("worker"), served.log("worker")
    # Monitoring's question: a worker runs the schedule.
    response, body = _ask(phone, "GET", "/healthz/worker")
    assert (response.status, body) == (200, b"ok")
