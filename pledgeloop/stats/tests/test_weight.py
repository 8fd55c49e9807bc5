"""The indicator pages are light on a cold load: everything they fetch, as WhiteNoise serves it
after `collectstatic` with the settings' storage (hashed names, Brotli), stays under 350 KB,
and the static files are cached for good under their hashed names."""

import gzip
import re

import pytest
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


@pytest.fixture(scope="module")
def collected(tmp_path_factory):
    """collectstatic into a folder of its own, as `make setup` does into var/static (the
    project's own files)."""
    root = tmp_path_factory.mktemp("static")
    with override_settings(STORAGES=PRODUCTION_STORAGES, STATIC_ROOT=root):
        call_command("collectstatic", interactive=False, verbosity=0, ignore_patterns=OTHER_APPS)
    assert not any((root / app).exists() for app in OTHER_APPS)
    return root


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
        assert icon.status_code == 200 and icon.headers["Content-Type"].startswith("image/svg")
