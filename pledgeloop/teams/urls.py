"""Public team pages and a member's teams (included from the root URLconf)."""

from django.urls import path

from . import member, public

app_name = "teams"
urlpatterns = [
    path("teams/<slug:street_slug>/", public.street_teams, name="street"),
    path("teams/<slug:street_slug>/<slug:team_slug>/", public.team_page, name="team"),
    path("circle/<slug:street_slug>/", public.street_circle, name="circle"),
    path("events/<slug:street_slug>/", public.street_events, name="events"),
    path("events/<slug:street_slug>/<slug:event_slug>/", public.event_page, name="event"),
    path(
        "events/<slug:street_slug>/<slug:event_slug>/queues/",
        public.event_queues,
        name="event_queues",
    ),
    path(
        "events/<slug:street_slug>/<slug:event_slug>/booths/<int:booth_id>/",
        public.booth_queue,
        name="booth",
    ),
    path("projects/<slug:street_slug>/", public.street_project_board, name="projects"),
    path("projects/<slug:street_slug>/<slug:project_slug>/", public.project_page, name="project"),
    path(
        "projects/<slug:street_slug>/<slug:project_slug>/milestones/<int:milestone_id>/photo/",
        public.milestone_photo,
        name="milestone_photo",
    ),
    path("me/teams/", member.my_teams, name="mine"),
    path("me/teams/offers/<int:dispatch_id>/accept/", member.offer_accept, name="offer_accept"),
    path("me/teams/offers/<int:dispatch_id>/decline/", member.offer_decline, name="offer_decline"),
]
