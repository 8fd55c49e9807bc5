from django.urls import path

from . import console
from .v1 import api

urlpatterns = [
    path("api/v1/", api.urls),
    # A member's personal tokens (their own orders and service records)
    path("me/tokens/", console.personal_tokens, name="api_personal_tokens"),
    path("me/tokens/<int:pk>/revoke/", console.token_revoke, name="api_personal_token_revoke"),
]
