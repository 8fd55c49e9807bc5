"""Public team pages and a member's teams (included from the root URLconf)."""

from django.urls import path

from . import event_pages, member, public

app_name = "teams"
urlpatterns = [
    path("teams/<slug:street_slug>/", public.street_teams, name="street"),
    path("teams/<slug:street_slug>/<slug:team_slug>/", public.team_page, name="team"),
    path("circle/<slug:street_slug>/", public.street_circle, name="circle"),
    path("events/<slug:street_slug>/", public.street_events, name="events"),
    path("events/photos/<int:photo_id>/", public.event_photo, name="event_photo"),
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
    # Event sessions: residents' registration, members' check-in, a place's session order
    path(
        "events/<slug:street_slug>/order/<int:position_id>/<str:key>/",
        event_pages.place_order,
        name="place_order",
    ),
    path(
        "events/<slug:street_slug>/<slug:event_slug>/sessions/<int:session_id>/register/",
        event_pages.session_register,
        name="session_register",
    ),
    path(
        "events/<slug:street_slug>/<slug:event_slug>/sessions/<int:session_id>/register/cancel/",
        event_pages.session_withdraw,
        name="session_withdraw",
    ),
    path(
        "events/<slug:street_slug>/<slug:event_slug>/sessions/<int:session_id>/checkin/",
        event_pages.session_checkin,
        name="session_checkin",
    ),
    path("me/events/", event_pages.my_events, name="my_events"),
    path("me/events/shifts/<int:shift_id>/signup/", event_pages.shift_signup, name="shift_signup"),
    path(
        "me/events/shifts/<int:shift_id>/cancel/",
        event_pages.shift_signup_cancel,
        name="shift_cancel",
    ),
    path("me/events/booths/<int:booth_id>/", event_pages.booth_serve, name="booth_serve"),
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
