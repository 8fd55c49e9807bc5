"""Suggested dispatch pages, under the console (included from console/urls.py)."""

from django.urls import path

from . import views

app_name = "dispatch"
urlpatterns = [
    path("suggest/", views.suggest, name="suggest"),
]
