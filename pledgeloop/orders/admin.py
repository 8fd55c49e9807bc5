from django.contrib import admin

from pledgeloop.lib.admin_scope import StreetScopedAdmin

from .models import DeskRevision, Dispatch, IntakeAttempt, Order, OrderEvent


class OrderEventInline(admin.TabularInline):
    model = OrderEvent
    extra = 0
    can_delete = False
    readonly_fields = [
        "at",
        "from_state",
        "to_state",
        "action",
        "by",
        "by_label",
        "reason",
        "source",
    ]

    def has_add_permission(self, request, obj=None):
        return False


class DispatchInline(admin.TabularInline):
    model = Dispatch
    extra = 0
    can_delete = False
    readonly_fields = [
        "member",
        "offered_by",
        "offered_at",
        "respond_by",
        "state",
        "responded_at",
        "reason",
    ]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Order)
class OrderAdmin(StreetScopedAdmin):
    """Read-mostly: state changes go through the console, which records them."""

    list_display = ["pk", "category", "community", "state", "channel", "created_at", "done_at"]
    list_filter = ["state", "channel", "street", "community", "category"]
    search_fields = ["description", "address", "contact_name", "tracking_token"]
    date_hierarchy = "created_at"
    raw_id_fields = ["site", "resident", "requested_member", "assigned_member", "created_by"]
    readonly_fields = ["state", "tracking_token", "assigned_member", "created_at", "done_at"]
    inlines = [OrderEventInline, DispatchInline]


@admin.register(OrderEvent)
class OrderEventAdmin(StreetScopedAdmin):
    list_display = ["order", "from_state", "to_state", "action", "by_label", "source", "at"]
    list_filter = ["to_state", "action", "source", "street"]
    search_fields = ["reason", "by_label", "order__description"]
    raw_id_fields = ["order", "by"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Dispatch)
class DispatchAdmin(StreetScopedAdmin):
    list_display = ["order", "member", "state", "offered_at", "respond_by", "responded_at"]
    list_filter = ["state", "street"]
    search_fields = ["member__user__name", "reason"]
    raw_id_fields = ["order", "member", "offered_by"]


@admin.register(IntakeAttempt)
class IntakeAttemptAdmin(admin.ModelAdmin):
    list_display = ["ip", "phone", "at"]
    list_filter = ["at"]
    search_fields = ["ip", "phone"]

    def has_module_permission(self, request):
        return request.user.is_superuser


@admin.register(DeskRevision)
class DeskRevisionAdmin(admin.ModelAdmin):
    """Read-only: the token changes by itself with every change to the desk's data."""

    list_display = ["key", "token"]
    list_filter = ["key"]
    search_fields = ["key"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
