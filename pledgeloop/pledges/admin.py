from django.contrib import admin

from pledgeloop.lib.admin_scope import StreetScopedAdmin

from .models import Pledge, PledgeEvent, Visit


class PledgeEventInline(admin.TabularInline):
    model = PledgeEvent
    extra = 0
    can_delete = False
    readonly_fields = ["from_state", "to_state", "by", "comment", "at"]
    fields = readonly_fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Pledge)
class PledgeAdmin(StreetScopedAdmin):
    list_display = ["title", "member", "community", "category", "state", "starts_on", "ends_on"]
    list_filter = ["state", "community", "category", "public"]
    search_fields = ["title", "member__user__name", "member__user__name_pinyin"]
    raw_id_fields = ["member", "beneficiary_resident", "beneficiary_site", "need", "reviewed_by"]
    # State changes go through the services (审诺), never the admin form.
    readonly_fields = ["state", "reviewed_by", "reviewed_at", "approved_at", "created_at"]
    inlines = [PledgeEventInline]


@admin.register(Visit)
class VisitAdmin(StreetScopedAdmin):
    list_display = ["pledge", "member", "scheduled_at", "state", "fulfilled_at"]
    list_filter = ["state", "pledge__community"]
    search_fields = ["pledge__title", "member__user__name", "member__user__name_pinyin"]
    raw_id_fields = ["pledge", "member"]
    date_hierarchy = "due_on"


@admin.register(PledgeEvent)
class PledgeEventAdmin(StreetScopedAdmin):
    """The record of state changes: read, never rewritten."""

    list_display = ["pledge", "from_state", "to_state", "by", "at"]
    list_filter = ["to_state", "pledge__community"]
    search_fields = ["pledge__title", "comment", "by__name"]
    raw_id_fields = ["pledge", "by"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
