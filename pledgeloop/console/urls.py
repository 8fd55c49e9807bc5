from django.urls import include, path

from pledgeloop.dispatch import console as orders
from pledgeloop.notify import console as notifications
from pledgeloop.people import console as people
from pledgeloop.privacy import console as privacy

from . import views

app_name = "console"
urlpatterns = [
    path("", views.home, name="home"),
    path("street/", views.street_home, name="street_home"),
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
]
