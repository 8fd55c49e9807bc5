from django.contrib import admin
from django.urls import include, path

from . import views
from .api.v1 import api
from .notify.views import short_link
from .tasks.views import worker_health

urlpatterns = [
    path("", views.index, name="index"),
    path("healthz", views.healthz, name="healthz"),
    path("healthz/worker", worker_health, name="worker_health"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("robots.txt", views.robots_txt, name="robots_txt"),
    path("livez", views.livez, name="livez"),
    path("i18n/", include("django.conf.urls.i18n")),
    # Early: the resident's intake form and order are the busiest public pages, and Django
    # tries the patterns in order (none of the apps below serves order/, track/, me/orders/,
    # me/offers/, me/patrol/ or photos/).
    path("", include("pledgeloop.orders.urls")),
    # Other systems' JSON API (OpenAPI at /api/v1/openapi.json). Early too: clients poll its
    # order list, whose answer from the cache (api/answers.py) spent a fifth of its time
    # trying the hundred-odd patterns of the apps below first.
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("", include("pledgeloop.stats.urls")),
    path("", include("pledgeloop.diary.urls")),
    path("console/", include("pledgeloop.console.urls")),
    path("inbox/", include("pledgeloop.notify.urls")),
    # Short links in texts to residents (tracking and review pages)
    path("t/<str:code>/", short_link, name="short_link"),
    # Before people's and service's: pledges serves /me/ with the member's agenda, and
    # /me/service/new/ and /checkin/<token>/ with its visit step.
    path("", include("pledgeloop.pledges.urls")),
    path("", include("pledgeloop.people.urls")),
    # /my/ (the person's own data) and the password reset by SMS code
    path("", include("pledgeloop.privacy.urls")),
    path("", include("pledgeloop.service.urls")),
    path("", include("pledgeloop.reviews.urls")),
    path("", include("pledgeloop.teams.urls")),
    # Other systems: /open311/v2/ (GeoReport v2), a member's personal API tokens
    path("", include("pledgeloop.api.urls")),
]
# No route serves MEDIA_ROOT, with DEBUG on or off: photos go through /photos/<kind>/<id>/,
# which checks who is asking (orders/views/photos.py).
