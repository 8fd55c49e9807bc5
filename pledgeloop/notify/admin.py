from django.contrib import admin

from pledgeloop.lib.admin_scope import StreetScopedAdmin

from .models import Delivery, Notification, ShortLink


class DeliveryInline(admin.TabularInline):
    model = Delivery
    extra = 0
    readonly_fields = ["channel", "address", "status", "detail", "gateway_id", "attempts", "at"]


@admin.register(Notification)
class NotificationAdmin(StreetScopedAdmin):
    list_display = ["title", "user", "phone", "kind", "state", "attempts", "created_at"]
    list_filter = ["state", "kind", "street"]
    search_fields = ["title", "user__name", "user__phone", "phone"]
    raw_id_fields = ["user", "community"]
    inlines = [DeliveryInline]


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["notification", "channel", "address", "status", "attempts", "at"]
    list_filter = ["channel", "status"]
    search_fields = ["address", "detail", "notification__title"]

    def has_module_permission(self, request):
        return request.user.is_superuser


@admin.register(ShortLink)
class ShortLinkAdmin(admin.ModelAdmin):
    list_display = ["code", "path", "created_at"]
    list_filter = ["created_at"]
    search_fields = ["code", "path"]

    def has_module_permission(self, request):
        return request.user.is_superuser
