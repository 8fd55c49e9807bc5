from django.contrib import admin

from pledgeloop.lib.admin_scope import StreetScopedAdmin

from .models import ApiOrder, ApiToken, WebhookDelivery, WebhookSubscription, WechatPublication


@admin.register(ApiToken)
class ApiTokenAdmin(StreetScopedAdmin):
    list_display = ["application", "prefix", "street", "community", "personal", "expires_at"]
    list_filter = ["personal", "street", "revoked_at"]
    search_fields = ["application", "prefix", "user__name"]
    raw_id_fields = ["user", "revoked_by", "community"]
    # The digest is all that is stored of the token; it is not shown or edited here.
    exclude = ["digest", "rate_window", "rate_count"]


class SuperuserOnly(admin.ModelAdmin):
    def has_module_permission(self, request):
        return request.user.is_superuser


@admin.register(ApiOrder)
class ApiOrderAdmin(SuperuserOnly):
    list_display = ["order", "token", "created_at"]
    list_filter = ["token"]
    search_fields = ["public_token", "token__application"]
    raw_id_fields = ["order", "token"]


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(SuperuserOnly):
    list_display = ["url", "token", "active", "created_at"]
    list_filter = ["active"]
    search_fields = ["url", "token__application"]
    raw_id_fields = ["token", "created_by"]
    exclude = ["secret"]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(SuperuserOnly):
    list_display = ["subscription", "order", "event", "state", "attempts", "last_status"]
    list_filter = ["state"]
    search_fields = ["subscription__url", "last_error"]
    raw_id_fields = ["subscription", "order", "event"]


@admin.register(WechatPublication)
class WechatPublicationAdmin(SuperuserOnly):
    list_display = ["article", "state", "article_url", "at"]
    list_filter = ["state"]
    search_fields = ["article__title", "article_url", "message"]
    raw_id_fields = ["article", "by"]
