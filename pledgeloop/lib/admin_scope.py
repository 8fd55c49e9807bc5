from django.contrib import admin


class StreetScopedAdmin(admin.ModelAdmin):
    """Street admins with admin-site access see only their own street's rows."""

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        return qs.filter(street_id__in=request.user.admin_street_ids())
