from django.contrib import admin

from pledgeloop.lib.admin_scope import StreetScopedAdmin

from .models import Position, Team, TeamMembership, Volunteer


class TeamMembershipInline(admin.TabularInline):
    model = TeamMembership
    extra = 0
    raw_id_fields = ["member", "volunteer", "added_by"]
    fields = ["member", "volunteer", "is_leader", "joined_at"]


@admin.register(Team)
class TeamAdmin(StreetScopedAdmin):
    list_display = ["name", "street", "community", "scope", "active"]
    list_filter = ["scope", "active", "street", "community"]
    search_fields = ["name", "slug", "description"]
    inlines = [TeamMembershipInline]


@admin.register(Volunteer)
class VolunteerAdmin(StreetScopedAdmin):
    list_display = ["name", "street", "community", "consent_at"]
    list_filter = ["street", "community"]
    search_fields = ["name", "phone"]


@admin.register(TeamMembership)
class TeamMembershipAdmin(StreetScopedAdmin):
    list_display = ["team", "member", "volunteer", "is_leader", "joined_at"]
    list_filter = ["is_leader", "team"]
    search_fields = ["team__name", "member__user__name", "volunteer__name"]
    raw_id_fields = ["team", "member", "volunteer", "added_by"]


@admin.register(Position)
class PositionAdmin(StreetScopedAdmin):
    list_display = ["site", "street", "opening_hours", "active"]
    list_filter = ["active", "street", "site__kind"]
    search_fields = ["site__name", "opening_hours", "services_note"]
    raw_id_fields = ["site"]
