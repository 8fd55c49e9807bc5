"""The console's team pages, mounted under /console/teams/ by console/urls.py."""

from django.urls import path

from . import console, console_projects, event_console

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
    # Events (活动): sessions, booths, shifts, attendance, write-up; on-order sessions
    path("events/", event_console.event_list, name="events"),
    path("events/new/", event_console.event_new, name="event_new"),
    path("events/<int:pk>/", event_console.event_detail, name="event"),
    path("events/<int:pk>/edit/", event_console.event_edit, name="event_edit"),
    path("events/<int:pk>/cancel/", event_console.event_cancel, name="event_cancel"),
    path("events/<int:pk>/add/<str:part>/", event_console.event_part_add, name="event_add"),
    path(
        "events/<int:pk>/sessions/<int:session_id>/screen/",
        event_console.session_screen,
        name="session_screen",
    ),
    path(
        "events/<int:pk>/sessions/<int:session_id>/volunteers/<int:volunteer_id>/present/",
        event_console.attendance_volunteer,
        name="attendance_volunteer",
    ),
    path("events/place-order/", event_console.place_order_new, name="place_order"),
    path(
        "events/for-order/<int:order_pk>/",
        event_console.on_order_event_new,
        name="on_order_event",
    ),
    # Projects (民生项目): console_projects.py
    path("projects/", console_projects.project_list, name="projects"),
    path("projects/new/", console_projects.project_new, name="project_new"),
    path("projects/<int:pk>/", console_projects.project_detail, name="project"),
    path("projects/<int:pk>/milestones/", console_projects.milestone_add, name="milestone_add"),
    path(
        "projects/<int:pk>/milestones/<int:milestone_id>/done/",
        console_projects.milestone_done,
        name="milestone_done",
    ),
    path("projects/<int:pk>/link/<str:kind>/", console_projects.project_link, name="project_link"),
    path(
        "projects/<int:pk>/unlink/<str:kind>/<int:item_id>/",
        console_projects.project_unlink,
        name="project_unlink",
    ),
]
