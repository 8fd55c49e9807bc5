from django.urls import path

from . import home, members, public, views, visits

app_name = "pledges"
urlpatterns = [
    # Public, no sign-in
    path("wall/<slug:slug>/", public.wall, name="wall"),
    path("wall/<slug:slug>/print/", public.wall_print, name="wall_print"),
    path("wall/<slug:slug>/qr-cards.pdf", public.wall_qr_sheet, name="wall_qr_sheet"),
    path("m/<str:code>/", public.member_page, name="member_page"),
    path("m/<str:code>/qr.png", public.member_qr_png, name="member_qr_png"),
    path("m/<str:code>/schedule.ics", public.member_schedule, name="member_schedule"),
    # Members. The member's home on people's path (home.py): the root URLconf includes these
    # patterns before people's.
    path("me/", home.member_home, name="member_home"),
    # A member's page for staff, on people's path too (members.py).
    path("people/members/<int:pk>/", members.member_detail, name="member_detail"),
    path("pledges/", views.my_pledges, name="mine"),
    path("pledges/new/", views.pledge_new, name="new"),
    path("pledges/<int:pk>/", views.pledge_detail, name="detail"),
    path("pledges/<int:pk>/edit/", views.pledge_edit, name="edit"),
    path("pledges/<int:pk>/submit/", views.pledge_submit, name="submit"),
    path("pledges/<int:pk>/withdraw/", views.pledge_withdraw, name="withdraw"),
    path("pledges/needs/", views.needs, name="needs"),
    path("pledges/needs/<int:order_id>/claim/", views.need_claim, name="need_claim"),
    path("pledges/visits/<int:pk>/log/", visits.visit_log, name="visit_log"),
    # Two of service's pages with the pledge step added (visits.py). They sit on service's own
    # paths, so that service:new and service:checkin (printed on QR codes) lead here: the root
    # URLconf includes these patterns before service's, and a test checks the paths resolve here.
    path("me/service/new/", visits.service_new, name="service_new"),
    path("checkin/<str:token>/", visits.checkin, name="checkin"),
    # Admins
    path("pledges/<int:pk>/review/", views.pledge_review, name="review_one"),
    path("pledges/review/", views.review_queue, name="review"),
    path("pledges/follow-up/", views.follow_up_home, name="follow_up_home"),
    path("pledges/follow-up/<int:community_id>/", views.follow_up, name="follow_up"),
]
