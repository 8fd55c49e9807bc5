from django.urls import path

from . import views

app_name = "stats"
urlpatterns = [
    path("console/stats/", views.dashboard, name="dashboard"),
    path("stats/<slug:slug>/", views.public, name="public"),
]
