from django.contrib import admin

from pledgeloop.lib.admin_scope import StreetScopedAdmin

from .models import (
    Attendance,
    Booth,
    Event,
    EventPhoto,
    EventSession,
    Milestone,
    Position,
    Project,
    ProjectEvent,
    ProjectOrder,
    QueueTicket,
    Registration,
    Shift,
    SignUp,
    Team,
    TeamMembership,
    Volunteer,
)


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


class BoothInline(admin.TabularInline):
    model = Booth
    extra = 0
    fields = ["name", "category", "team", "last_number"]
    readonly_fields = ["last_number"]


@admin.register(Event)
class EventAdmin(StreetScopedAdmin):
    list_display = ["title", "kind", "street", "community", "starts_at", "ends_at"]
    list_filter = ["kind", "street", "community"]
    search_fields = ["title", "slug", "partner", "audience"]
    raw_id_fields = ["team", "place"]
    inlines = [BoothInline]


@admin.register(Booth)
class BoothAdmin(StreetScopedAdmin):
    list_display = ["name", "event", "category", "team", "last_number"]
    list_filter = ["category", "event"]
    search_fields = ["name", "event__title"]
    raw_id_fields = ["event", "team"]
    readonly_fields = ["last_number"]


@admin.register(QueueTicket)
class QueueTicketAdmin(StreetScopedAdmin):
    list_display = ["booth", "number", "state", "taken_at", "served_at"]
    list_filter = ["state", "booth__event"]
    search_fields = ["booth__name", "booth__event__title"]
    readonly_fields = ["booth", "number", "client_key", "taken_at"]


class MilestoneInline(admin.TabularInline):
    model = Milestone
    extra = 0
    fields = ["title", "due_on", "done_on", "evidence"]


@admin.register(Project)
class ProjectAdmin(StreetScopedAdmin):
    list_display = ["title", "street", "community", "lead", "team"]
    list_filter = ["street", "community"]
    search_fields = ["title", "slug", "lead__user__name"]
    raw_id_fields = ["lead", "team"]
    inlines = [MilestoneInline]


@admin.register(Milestone)
class MilestoneAdmin(StreetScopedAdmin):
    list_display = ["title", "project", "due_on", "done_on"]
    list_filter = ["project__community"]
    search_fields = ["title", "project__title"]
    raw_id_fields = ["project"]


@admin.register(ProjectOrder)
class ProjectOrderAdmin(StreetScopedAdmin):
    list_display = ["project", "order"]
    list_filter = ["project__community"]
    search_fields = ["project__title", "order__description"]
    raw_id_fields = ["project", "order"]


@admin.register(ProjectEvent)
class ProjectEventAdmin(StreetScopedAdmin):
    list_display = ["project", "event"]
    list_filter = ["project__community"]
    search_fields = ["project__title", "event__title"]
    raw_id_fields = ["project", "event"]


@admin.register(EventSession)
class EventSessionAdmin(StreetScopedAdmin):
    list_display = ["event", "label", "starts_at", "ends_at", "capacity"]
    list_filter = ["event__kind", "event__community"]
    search_fields = ["event__title", "label"]
    raw_id_fields = ["event"]
    exclude = ["secret"]


@admin.register(Shift)
class ShiftAdmin(StreetScopedAdmin):
    list_display = ["session", "booth", "role", "starts_at", "ends_at", "places"]
    list_filter = ["session__event__kind", "session__event__community"]
    search_fields = ["session__event__title", "booth__name", "role"]
    raw_id_fields = ["session", "booth"]


@admin.register(SignUp)
class SignUpAdmin(StreetScopedAdmin):
    list_display = ["shift", "member", "volunteer", "created_at"]
    list_filter = ["shift__session__event__community"]
    search_fields = ["shift__session__event__title", "member__user__name", "volunteer__name"]
    raw_id_fields = ["shift", "member", "volunteer"]


@admin.register(Registration)
class RegistrationAdmin(StreetScopedAdmin):
    list_display = ["session", "name", "masked_phone", "created_at"]
    list_filter = ["session__event__community"]
    search_fields = ["session__event__title", "name"]
    raw_id_fields = ["session"]


@admin.register(Attendance)
class AttendanceAdmin(StreetScopedAdmin):
    list_display = ["session", "member", "volunteer", "checked_in_at", "checked_out_at", "hours"]
    list_filter = ["proof", "session__event__community"]
    search_fields = ["session__event__title", "member__user__name", "volunteer__name"]
    raw_id_fields = ["session", "shift", "member", "volunteer", "record", "covered_by"]


@admin.register(EventPhoto)
class EventPhotoAdmin(StreetScopedAdmin):
    list_display = ["event", "caption", "consent_confirmed", "created_at"]
    list_filter = ["consent_confirmed", "event__community"]
    search_fields = ["event__title", "caption"]
    raw_id_fields = ["event"]
