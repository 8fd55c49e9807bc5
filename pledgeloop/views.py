"""Project-level views: the front door, the health check and /favicon.ico."""

from django.db import DatabaseError, connection
from django.http import HttpResponse
from django.shortcuts import redirect
from django.templatetags.static import static
from django.views.decorators.cache import cache_control, never_cache


def index(request):
    if request.user.is_authenticated:
        return redirect("people:home")
    return redirect("people:login")


@never_cache
def livez(request):
    """ "ok" while the process answers, without touching the database: the liveness probe
    (healthz is readiness: it needs the database), and the benchmarks' no-database baseline."""
    return HttpResponse("ok", content_type="text/plain")


@never_cache
def healthz(request):
    """ "ok" when the database answers a query, else 503 "unavailable": nothing more, so the
    check tells a stranger nothing about what runs behind it."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return HttpResponse("unavailable", status=503, content_type="text/plain")
    return HttpResponse("ok", content_type="text/plain")


@cache_control(public=True, max_age=86400)
def favicon(request):
    """Browsers ask for /favicon.ico when a page names no icon (the PDFs, a feed): send them to
    the icon's current (hashed) name. Temporary, so that a new icon is picked up within a day."""
    return redirect(static("favicon.svg"))


# Public pages may be indexed; the rest is private (staff and member pages, a person's data,
# tracking and review links, the API). Token pages also say noindex themselves (lib/private).
ROBOTS = """User-agent: *
Disallow: /console/
Disallow: /me/
Disallow: /my/
Disallow: /track/
Disallow: /review/
Disallow: /t/
Disallow: /photos/
Disallow: /api/
Disallow: /open311/
Disallow: /admin/
"""


@cache_control(public=True, max_age=86400)
def robots_txt(request):
    return HttpResponse(ROBOTS, content_type="text/plain")
