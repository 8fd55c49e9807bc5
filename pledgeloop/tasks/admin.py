from django.contrib import admin

from .models import JobRun


@admin.register(JobRun)
class JobRunAdmin(admin.ModelAdmin):
    list_display = ["name", "last_run_at", "last_result"]
    list_filter = ["last_run_at"]
    search_fields = ["name", "last_result"]

    def has_module_permission(self, request):
        return request.user.is_superuser
