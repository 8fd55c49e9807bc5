from django.urls import path

from . import console, open311

# /api/v1/ (v1.api) is mounted by the root URLconf itself, early (pledgeloop/urls.py).
urlpatterns = [
    # A member's personal tokens (their own orders and service records)
    path("me/tokens/", console.personal_tokens, name="api_personal_tokens"),
    path("me/tokens/<int:pk>/revoke/", console.token_revoke, name="api_personal_token_revoke"),
]

open311_patterns = [
    path("open311/v2/discovery.<str:fmt>", open311.discovery, name="open311_discovery"),
    path("open311/v2/services.<str:fmt>", open311.services, name="open311_services"),
    path(
        "open311/v2/services/<str:code>.<str:fmt>",
        open311.service_definition,
        name="open311_service",
    ),
    path("open311/v2/requests.<str:fmt>", open311.requests, name="open311_requests"),
    path(
        "open311/v2/requests/<str:request_id>.<str:fmt>",
        open311.request_detail,
        name="open311_request",
    ),
    path("open311/v2/tokens/<str:token>.<str:fmt>", open311.token_detail, name="open311_token"),
]
urlpatterns += open311_patterns
