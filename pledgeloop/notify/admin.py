from django.contrib import admin

from pledgeloop.lib.admin_scope import StreetScopedAdmin

from .models import Delivery, Notification


class DeliveryInline(admin.TabularInline):
    model = Delivery
    extra = 0
    readonly_fields = ["channel", "address", "ok", "detail", "at"]


@admin.register(Notification)
class NotificationAdmin(StreetScopedAdmin):
    list_display = ["title", "user", "kind", "created_at", "read_at"]
    list_filter = ["kind", "street"]
    search_fields = ["title", "user__name", "user__phone"]
    raw_id_fields = ["user"]
    inlines = [DeliveryInline]


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["notification", "channel", "address", "ok", "at"]
    list_filter = ["channel", "ok"]
    search_fields = ["address", "detail", "notification__title"]

    def has_module_permission(self, request):
        return request.user.is_superuser
