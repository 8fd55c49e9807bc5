"""Rollups in the admin: read-only, derived data (rebuilt by `manage.py stats_refresh --full`)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import DayFigures, DirtyDay, MemberMonth, MemberYear, MonthFigures, RollupState


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(DayFigures)
class DayFiguresAdmin(ReadOnly):
    list_display = ["day", "street", "community", "category", "records", "hours", "orders_done"]
    list_filter = ["street", "category"]
    search_fields = ["community__name"]
    date_hierarchy = "day"


@admin.register(MonthFigures)
class MonthFiguresAdmin(ReadOnly):
    list_display = ["month", "street", "community", "category", "records", "hours", "orders_done"]
    list_filter = ["street", "category"]
    search_fields = ["community__name"]


@admin.register(MemberMonth)
class MemberMonthAdmin(ReadOnly):
    list_display = ["month", "member", "records", "hours"]
    list_filter = ["street"]
    search_fields = ["member__user__name"]
    list_select_related = ["member__user"]


@admin.register(MemberYear)
class MemberYearAdmin(ReadOnly):
    list_display = ["year", "member", "months_served"]
    list_filter = ["street", "year"]
    search_fields = ["member__user__name"]
    list_select_related = ["member__user"]

    @admin.display(description=_("months served"))
    def months_served(self, obj) -> str:
        return ", ".join(str(m) for m in range(1, 13) if obj.months & 1 << (m - 1))


@admin.register(DirtyDay)
class DirtyDayAdmin(ReadOnly):
    list_display = ["day", "street"]
    list_filter = ["street"]
    search_fields = ["street__name"]


@admin.register(RollupState)
class RollupStateAdmin(ReadOnly):
    list_display = ["key", "refreshed_at"]
    list_filter = ["refreshed_at"]
    search_fields = ["key"]
