"""A URL configuration for lib/tests/test_urls.py: the tracking page at another path."""

from django.http import HttpResponse
from django.urls import include, path

track = [path("elsewhere/<str:token>/", lambda request, token: HttpResponse(), name="track")]

urlpatterns = [path("", include((track, "orders")))]
