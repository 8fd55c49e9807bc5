from django.contrib import admin

from pledgeloop.lib.admin_scope import StreetScopedAdmin

from .models import DeletionRequest, OneTimeCode


@admin.register(DeletionRequest)
class DeletionRequestAdmin(StreetScopedAdmin):
    list_display = ["phone_masked", "community", "requested_at", "due_by", "completed_at"]
    list_filter = ["street", "completed_at"]
    search_fields = ["phone_masked", "community__name", "summary"]
    raw_id_fields = ["user", "completed_by", "community"]
    # Completing one anonymises data: only through the console page (its service).
    readonly_fields = ["completed_at", "completed_by", "summary"]


@admin.register(OneTimeCode)
class OneTimeCodeAdmin(admin.ModelAdmin):
    list_display = ["phone", "purpose", "created_at", "expires_at", "tries", "used_at", "sent"]
    list_filter = ["purpose", "sent"]
    search_fields = ["phone"]
    readonly_fields = ["code_hash"]

    def has_module_permission(self, request):
        return request.user.is_superuser
