from django.contrib import admin

from pledgeloop.lib.admin_scope import StreetScopedAdmin

from .models import Assessment, Review, ReviewWeights, SharedAnnualSummary


@admin.register(Review)
class ReviewAdmin(StreetScopedAdmin):
    list_display = ["record", "rating", "solved", "community", "created_at"]
    list_filter = ["rating", "solved", "community"]
    search_fields = ["comment", "record__participants__member__user__name"]
    raw_id_fields = ["record", "order"]
    # Reviews are the residents' words: the admin site reads them, never rewrites them.
    readonly_fields = ["street", "community", "record", "order", "rating", "comment", "solved"]


@admin.register(Assessment)
class AssessmentAdmin(StreetScopedAdmin):
    list_display = ["member", "year", "quarter", "kind", "score"]
    list_filter = ["year", "quarter", "kind"]
    search_fields = ["member__user__name", "member__user__name_pinyin", "comment"]
    raw_id_fields = ["member", "by"]


@admin.register(ReviewWeights)
class ReviewWeightsAdmin(StreetScopedAdmin):
    list_display = [
        "street",
        "pledge_fulfilment",
        "hours",
        "resident_ratings",
        "organisation",
        "self_assessment",
        "target_hours",
        "no_evidence_grade",
    ]
    list_filter = ["street"]
    search_fields = ["street__name", "street__slug"]


@admin.register(SharedAnnualSummary)
class SharedAnnualSummaryAdmin(admin.ModelAdmin):
    """Derived figures (reviews/shared.py): read and delete only (deleting one is harmless: the
    next worker that misses computes it again)."""

    list_display = ["key", "created_at"]
    list_filter = ["created_at"]
    search_fields = ["key"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
