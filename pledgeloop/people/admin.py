from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pledgeloop.lib.admin_scope import StreetScopedAdmin

from .models import Consent, LoginFailure, Member, PhoneView, Resident, RoleGrant, User


class RoleGrantInline(admin.TabularInline):
    model = RoleGrant
    extra = 0
    raw_id_fields = ["community"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["name_sort"]
    list_display = ["name", "phone", "is_active", "is_staff", "date_joined"]
    list_filter = ["is_active", "is_staff", "role_grants__role"]
    search_fields = ["name", "phone", "name_pinyin", "name_initials"]
    inlines = [RoleGrantInline]
    fieldsets = [
        (None, {"fields": ["phone", "password"]}),
        (_("Person"), {"fields": ["name", "email"]}),
        (_("Permissions"), {"fields": ["is_active", "is_staff", "is_superuser", "groups"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["phone", "name", "password1", "password2"]})
    ]

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        return qs.filter(role_grants__street_id__in=request.user.admin_street_ids()).distinct()


@admin.register(RoleGrant)
class RoleGrantAdmin(StreetScopedAdmin):
    list_display = ["user", "role", "street", "community", "granted_at"]
    list_filter = ["role", "street", "community"]
    search_fields = ["user__name", "user__phone"]
    raw_id_fields = ["user", "community"]


@admin.register(Member)
class MemberAdmin(StreetScopedAdmin):
    list_display = [
        "__str__",
        "kind",
        "community",
        "party_join_date",
        "capacity",
        "active",
        "joined_on",
        "left_on",
    ]
    list_filter = ["kind", "active", "street", "community", "skills"]
    search_fields = ["user__name", "user__phone", "user__name_pinyin", "user__name_initials"]
    raw_id_fields = ["user"]
    filter_horizontal = ["skills"]

    def get_changeform_initial_data(self, request):
        # A member added today joined the roster today (earlier figures do not count them).
        return {"joined_on": timezone.localdate(), **super().get_changeform_initial_data(request)}


@admin.register(Resident)
class ResidentAdmin(StreetScopedAdmin):
    list_display = ["name", "masked_phone", "community", "address"]
    list_filter = ["street", "community"]
    search_fields = ["name", "name_pinyin", "name_initials", "address"]
    raw_id_fields = ["user", "site"]


@admin.register(Consent)
class ConsentAdmin(StreetScopedAdmin):
    list_display = ["resident", "phone", "purpose", "notice_version", "given_at", "withdrawn_at"]
    list_filter = ["purpose", "street"]
    search_fields = ["resident__name", "phone", "notice_version", "source"]
    raw_id_fields = ["resident"]


@admin.register(PhoneView)
class PhoneViewAdmin(StreetScopedAdmin):
    list_display = ["viewer", "subject_name", "subject_phone", "viewed_at", "context", "page"]
    list_filter = ["street"]
    search_fields = ["viewer__name", "subject_name", "context"]
    raw_id_fields = ["viewer", "resident", "community"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # the access log is kept for the audit


@admin.register(LoginFailure)
class LoginFailureAdmin(admin.ModelAdmin):
    list_display = ["phone", "ip", "at"]
    list_filter = ["at"]
    search_fields = ["phone"]

    def has_module_permission(self, request):
        return request.user.is_superuser
