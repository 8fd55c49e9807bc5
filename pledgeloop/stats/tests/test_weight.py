"""The indicator pages are light on a cold load: everything they fetch, as WhiteNoise serves it
after `collectstatic` with the settings' storage (hashed names, Brotli), stays under 350 KB,
and the static files are cached for good under their hashed names."""

import gzip
import hashlib
import importlib.metadata
import os
import re
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.test import Client, override_settings

from pledgeloop import settings as project_settings

BUDGET = 350 * 1024
# ECharts' full build is 299 KB in Brotli; the bundle of frontend/echarts.js about half that.
ECHARTS_BUDGET = 200 * 1024
# settings.py's storage, as deployed (pledgeloop/conftest.py gives the other tests the plain one)
PRODUCTION_STORAGES = project_settings.STORAGES
ASSET = re.compile(r'(?:src|href|data-echarts)="(/static/[^"]+)"')


# Static files of other apps that no page here links: Django's admin, django-htmx and
# django-ninja's API docs, 1,064 of the 1,138 files `make setup` collects. Compressing them
# with Brotli at its highest quality is nearly all of collectstatic's time (two minutes of CPU
# on these machines); a page that linked one would fail below on its 404.
OTHER_APPS = ["admin", "django_htmx", "ninja"]


def _collected_key() -> str:
    """What collectstatic's output is made of: every file it collects (name and content) and
    the versions of the code that names and compresses them."""
    digest = hashlib.sha256()
    for package in ("django", "whitenoise", "brotli"):
        digest.update(f"{package}={importlib.metadata.version(package)};".encode())
    for finder in finders.get_finders():
        for path, storage in sorted(finder.list(OTHER_APPS), key=lambda found: found[0]):
            digest.update(f"{path}\0".encode())
            with storage.open(path) as found:
                digest.update(found.read())
    return digest.hexdigest()[:16]


@pytest.fixture(scope="module")
def collected():
    """collectstatic into a folder of its own, as `make setup` does into var/static (the
    project's own files). Kept between runs in var/test-static-<key>, the key a hash of what
    it collected from: Brotli at its highest quality takes 8 s of CPU, so a run whose files
    are those of the last one reads the last one's output (as the migrated test database is
    kept, pledgeloop/testing_database.py); any change to a file collects again."""
    var = Path(settings.VAR_DIR)
    kept = var / f"test-static-{_collected_key()}"
    if not kept.is_dir():
        partial = var / f"{kept.name}.{os.getpid()}.partial"
        shutil.rmtree(partial, ignore_errors=True)
        with override_settings(STORAGES=PRODUCTION_STORAGES, STATIC_ROOT=partial):
            call_command(
                "collectstatic", interactive=False, verbosity=0, ignore_patterns=OTHER_APPS
            )
        for old in var.glob("test-static-*"):
            if old != partial:
                shutil.rmtree(old, ignore_errors=True)
        try:
            partial.rename(kept)
        except OSError:  # another run kept the same files meanwhile
            shutil.rmtree(partial, ignore_errors=True)
    assert not any((kept / app).exists() for app in OTHER_APPS)
    return kept


def cold_load(client: Client, url: str) -> tuple[int, dict[str, int]]:
    """The bytes a browser with an empty cache transfers for the page, read to its end: the
    page itself (gzipped) and each script, style sheet and icon it names (ECharts included,
    which charts.js fetches as the charts come into view), asked for as a browser asks."""
    page = client.get(url, headers={"accept-encoding": "gzip, deflate, br, zstd"})
    assert page.headers.get("Content-Encoding") == "gzip", url
    assert page.status_code == 200, url
    html = gzip.decompress(page.content).decode()
    assets = {}
    for path in sorted(set(ASSET.findall(html))):
        response = client.get(path, headers={"accept-encoding": "gzip, deflate, br, zstd"})
        assert response.status_code == 200, path
        body = b"".join(response.streaming_content)
        # a hashed name, cached for good, sent compressed
        assert re.search(r"\.[0-9a-f]{12}\.\w+$", path), path
        cache = response.headers["Cache-Control"]
        assert "immutable" in cache and "max-age=315360000" in cache, (path, cache)
        if not path.endswith((".png", ".jpg", ".woff2")):
            assert response.headers.get("Content-Encoding") == "br", path
        assets[path] = len(body)
    return len(page.content) + sum(assets.values()), assets


@pytest.mark.django_db
def test_public_figures_and_dashboard_stay_under_350_kb_cold(figures, collected):
    with override_settings(STORAGES=PRODUCTION_STORAGES, STATIC_ROOT=collected):
        public_total, public_assets = cold_load(Client(), "/stats/jianghai/")
        admin = Client()
        admin.force_login(figures.world.street_admin)
        dashboard_total, dashboard_assets = cold_load(admin, "/console/stats/")
    for assets in (public_assets, dashboard_assets):
        echarts = [size for path, size in assets.items() if "/vendor/echarts.min." in path]
        assert len(echarts) == 1 and echarts[0] <= ECHARTS_BUDGET, assets
    assert public_total <= BUDGET, (public_total, public_assets)
    assert dashboard_total <= BUDGET, (dashboard_total, dashboard_assets)


@pytest.mark.django_db
def test_favicon_ico_leads_to_the_icon(collected):
    with override_settings(STORAGES=PRODUCTION_STORAGES, STATIC_ROOT=collected):
        client = Client()
        response = client.get("/favicon.ico")
        assert response.status_code == 302
        assert re.fullmatch(r"/static/favicon\.[0-9a-f]{12}\.svg", response["Location"])
        icon = client.get(response["Location"])
        icon.close()  # WhiteNoise answers with the open file
        assert icon.status_code == 200 and icon.headers["Content-Type"].startswith("image/svg")


def test_the_kept_collection_follows_the_files(tmp_path):
    """A file added or changed is collected again, not read from the last run's output."""
    before = _collected_key()
    (tmp_path / "extra.css").write_text("a{}")
    with override_settings(STATICFILES_DIRS=[tmp_path]):
        added = _collected_key()
        (tmp_path / "extra.css").write_text("b{}")
        changed = _collected_key()
    assert len({before, added, changed}) == 3
    assert _collected_key() == before
