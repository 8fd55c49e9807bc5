from django.contrib import admin

from pledgeloop.lib.admin_scope import StreetScopedAdmin

from .models import CheckIn, ServiceParticipant, ServicePhoto, ServiceRecord


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
    list_display = ["started_at", "community", "category", "hours", "verification", "created_by"]
    list_filter = ["verification", "community", "category"]
    search_fields = ["note", "participants__member__user__name", "beneficiary__name"]
    raw_id_fields = ["order", "visit", "beneficiary", "created_by"]
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
    list_display = ["member", "site", "resident", "checked_in_at", "checked_out_at", "ip"]
    list_filter = ["checked_out_at", "site__community"]
    search_fields = ["member__user__name", "site__name", "resident__name", "ip"]
    raw_id_fields = ["member", "site", "resident", "record"]
