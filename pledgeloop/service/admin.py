from django.contrib import admin

from pledgeloop.lib.admin_scope import StreetScopedAdmin

from .models import CheckIn, ServiceParticipant, ServicePhoto, ServiceRecord, SiteScreen


class ParticipantInline(admin.TabularInline):
    model = ServiceParticipant
    extra = 0
    raw_id_fields = ["member"]
    exclude = ["street"]


class PhotoInline(admin.TabularInline):
    model = ServicePhoto
    extra = 0
    readonly_fields = ["image", "created_at"]
    exclude = ["street"]


@admin.register(ServiceRecord)
class ServiceRecordAdmin(StreetScopedAdmin):
    list_display = [
        "started_at",
        "community",
        "category",
        "hours",
        "verification",
        "evidence",
        "flagged_at",
        "created_by",
    ]
    list_filter = ["verification", "evidence", "community", "category"]
    search_fields = ["note", "participants__member__user__name", "beneficiary__name"]
    raw_id_fields = ["order", "visit", "beneficiary", "created_by", "settled_by"]
    date_hierarchy = "started_at"
    inlines = [ParticipantInline, PhotoInline]


@admin.register(ServicePhoto)
class ServicePhotoAdmin(StreetScopedAdmin):
    list_display = ["image", "record", "created_at"]
    list_filter = ["created_at"]
    search_fields = ["record__note", "image"]
    raw_id_fields = ["record"]


@admin.register(CheckIn)
class CheckInAdmin(StreetScopedAdmin):
    list_display = [
        "member",
        "site",
        "resident",
        "checked_in_at",
        "checked_out_at",
        "in_proof",
        "out_proof",
        "ip",
    ]
    list_filter = ["checked_out_at", "in_proof", "out_proof", "site__community"]
    search_fields = ["member__user__name", "site__name", "resident__name", "ip"]
    raw_id_fields = ["member", "site", "resident", "record"]


@admin.register(SiteScreen)
class SiteScreenAdmin(StreetScopedAdmin):
    """Which sites have a check-in screen; the secret and the link stay out of sight (reset
    them from the console's screens page)."""

    list_display = ["site", "created_by", "created_at"]
    list_filter = ["site__community", "created_at"]
    search_fields = ["site__name"]
    exclude = ["secret", "key"]
    readonly_fields = ["site", "created_by", "created_at"]
