from django.contrib import admin

from pledgeloop.people.admin_scope import StreetScopedAdmin

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
