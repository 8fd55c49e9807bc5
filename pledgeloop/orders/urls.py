from django.urls import path

from .views import member, photos, resident

app_name = "orders"
urlpatterns = [
    # Residents: no account, phone first (resident.py)
    path("order/new/", resident.order_new, name="new"),
    path("order/new/<slug:street>/<slug:community>/", resident.order_new, name="new_in_community"),
    path("order/site/<int:site_id>/", resident.order_new_at_site, name="new_at_site"),
    path("order/sent/<str:token>/", resident.order_sent, name="sent"),
    path("track/<str:token>/", resident.track, name="track"),
    path("track/<str:token>/cancel/", resident.track_cancel, name="track_cancel"),
    path("track/<str:token>/reopen/", resident.track_reopen, name="track_reopen"),
    path("order/privacy/", resident.privacy, name="privacy"),
    path("order/elder/", resident.elder_mode, name="elder"),
    # Members: phone first (member.py)
    path("me/orders/", member.member_orders, name="member_orders"),
    path("me/orders/nearby/", member.member_nearby, name="member_nearby"),
    path("me/orders/<int:pk>/", member.member_order_detail, name="member_order"),
    path(
        "me/orders/<int:pk>/<str:action>/", member.member_order_action, name="member_order_action"
    ),
    path(
        "me/offers/<int:dispatch_id>/<str:action>/",
        member.member_offer_action,
        name="member_offer_action",
    ),
    path("me/patrol/", member.patrol_report, name="patrol"),
    # Photos, for those who may see them (photos.py); nothing under /media/ is served.
    path("photos/<str:kind>/<int:pk>/", photos.photo, name="photo"),
]
