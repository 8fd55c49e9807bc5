"""The console's team pages, mounted under /console/teams/ by console/urls.py."""

from django.urls import path

from . import console

app_name = "teams"
urlpatterns = [
    path("", console.team_list, name="list"),
    path("new/", console.team_new, name="new"),
    path("<int:pk>/", console.team_detail, name="detail"),
    path("<int:pk>/roster/member/", console.roster_member_add, name="roster_member"),
    path("<int:pk>/roster/volunteer/", console.roster_volunteer_add, name="roster_volunteer"),
    path(
        "<int:pk>/roster/<int:entry_id>/<str:action>/",
        console.roster_entry_action,
        name="roster_entry",
    ),
    path("positions/", console.positions, name="positions"),
    path("positions/new/", console.position_new, name="position_new"),
    path("positions/<int:pk>/toggle/", console.position_toggle, name="position_toggle"),
    path("dispatch/<int:order_pk>/", console.order_dispatch, name="order_dispatch"),
]
