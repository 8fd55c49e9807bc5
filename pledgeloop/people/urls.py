from django.urls import path, re_path

from . import views

app_name = "people"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("password/", views.password_change, name="password_change"),
    path("password/confirm/", views.password_confirm, name="password_confirm"),
    path("home/", views.home, name="home"),
    path("me/", views.member_home, name="member_home"),
    path("people/residents/", views.resident_list, name="residents"),
    path("people/residents/<int:pk>/", views.resident_detail, name="resident_detail"),
    path(
        "people/residents/<int:pk>/phone/",
        views.resident_reveal_phone,
        name="resident_reveal_phone",
    ),
    path("people/members/", views.member_list, name="members"),
    path("people/members/<int:pk>/", views.member_detail, name="member_detail"),
    re_path(
        r"^people/(?P<community_id>[0-9]+)/(?P<kind>residents|members)/export\.xlsx$",
        views.people_export,
        name="export",
    ),
    re_path(
        r"^people/(?P<community_id>[0-9]+)/(?P<kind>residents|members)/import/$",
        views.people_import,
        name="import",
    ),
]
