from django.urls import path

from . import accounts, views

app_name = "privacy"
urlpatterns = [
    path("my/", views.my, name="my"),
    path("my/sign-in/", views.sign_in, name="sign_in"),
    path("my/sign-out/", views.sign_out, name="sign_out"),
    path("my/export.json", views.export_json, name="export_json"),
    path("my/export.xlsx", views.export_xlsx, name="export_xlsx"),
    path("my/correct/", views.correct, name="correct"),
    path("my/consent/", views.consent, name="consent"),
    path("my/delete/", views.delete, name="delete"),
    path("password/reset/", accounts.password_reset, name="password_reset"),
    path("password/reset/set/", accounts.password_set, name="password_set"),
    path("password/reset/again/", accounts.password_reset_restart, name="password_reset_again"),
]
