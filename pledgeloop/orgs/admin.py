from django.contrib import admin

from pledgeloop.lib.admin_scope import StreetScopedAdmin

from .models import Category, Community, Grid, Site, Street
from .services import street_categories_default


@admin.register(Street)
class StreetAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "created_at"]
    list_filter = ["created_at"]
    search_fields = ["name", "slug"]

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        return qs.filter(pk__in=request.user.admin_street_ids())

    def save_model(self, request, obj, form, change):
        """A street added here gets the default categories, as one made by street_create
        (the admin's save runs in one transaction)."""
        super().save_model(request, obj, form, change)
        if not change:
            street_categories_default(obj)


@admin.register(Community)
class CommunityAdmin(StreetScopedAdmin):
    list_display = ["name", "slug", "street"]
    list_filter = ["street"]
    search_fields = ["name", "slug"]


@admin.register(Grid)
class GridAdmin(StreetScopedAdmin):
    list_display = ["name", "community", "street"]
    list_filter = ["street", "community"]
    search_fields = ["name"]


@admin.register(Site)
class SiteAdmin(StreetScopedAdmin):
    list_display = ["name", "kind", "community", "latitude", "longitude"]
    list_filter = ["kind", "street", "community"]
    search_fields = ["name", "address"]
    raw_id_fields = ["parent"]


@admin.register(Category)
class CategoryAdmin(StreetScopedAdmin):
    list_display = ["name", "code", "icon", "respond_hours", "finish_days", "active", "street"]
    list_filter = ["street", "active"]
    search_fields = ["name", "code"]
