"""The console's team pages, mounted under /console/teams/ by console/urls.py."""

from django.urls import path

from . import console, console_projects

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
