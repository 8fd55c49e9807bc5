from django.urls import include, path

from pledgeloop.api import console as api
from pledgeloop.dispatch import console as orders
from pledgeloop.notify import console as notifications
from pledgeloop.people import console as people
from pledgeloop.privacy import console as privacy

from . import views

app_name = "console"
urlpatterns = [
    path("", views.home, name="home"),
    path("street/", views.street_home, name="street_home"),
    path("communities/<int:pk>/phone/", views.community_phone, name="community_phone"),
    # The needs list and order handling (the dispatch app's console.py)
    path("needs/", orders.needs_list, name="needs"),
    path("needs/bulk/", orders.needs_bulk, name="needs_bulk"),
    path("orders/new/", orders.staff_intake, name="staff_intake"),
    path("orders/<int:pk>/", orders.order_detail, name="order_detail"),
    path("orders/<int:pk>/<str:action>/", orders.order_action, name="order_action"),
    path("qr/", orders.qr_codes, name="qr_codes"),
    path("dispatch/", include("pledgeloop.dispatch.urls")),
    # Teams (服务队) and dispatch to a team (the teams app's console_urls.py)
    path("teams/", include("pledgeloop.teams.console_urls")),
    # Messages the outbox could not deliver (the notify app's console.py)
    path("notifications/", notifications.failed_notifications, name="notifications"),
    path("notifications/<int:pk>/retry/", notifications.retry, name="notification_retry"),
    # Personal data: deletion requests, activation texts (the privacy app's console.py)
    path("privacy/deletions/", privacy.deletion_requests, name="deletion_requests"),
    path(
        "privacy/deletions/<int:pk>/complete/",
        privacy.deletion_request_complete,
        name="deletion_request_complete",
    ),
    path("privacy/activations/", privacy.activations, name="activations"),
    # The access log of whole phone numbers (the people app's console.py)
    path("people/phone-views/", people.phone_views, name="phone_views"),
    # Other systems: API tokens, webhooks and their deliveries (the api app's console.py)
    path("api/", api.tokens, name="api_tokens"),
    path("api/tokens/<int:pk>/revoke/", api.token_revoke, name="api_token_revoke"),
    path("api/tokens/<int:pk>/webhooks/", api.webhook_add, name="api_webhook_add"),
    path("api/webhooks/<int:pk>/off/", api.webhook_off, name="api_webhook_off"),
    path("api/deliveries/", api.deliveries, name="api_deliveries"),
    path("api/deliveries/<int:pk>/replay/", api.delivery_replay, name="api_delivery_replay"),
    path("api/wechat/", api.wechat, name="api_wechat"),
    path("api/wechat/<int:pk>/publish/", api.wechat_publish, name="api_wechat_publish"),
    path("api/wechat/<int:pk>/refresh/", api.wechat_refresh, name="api_wechat_refresh"),
]
