from django.contrib import admin

from .models import Article


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ["title", "street", "community", "state", "period_start", "published_at"]
    list_filter = ["state", "street"]
    search_fields = ["title", "body", "slug"]
    list_select_related = ["street", "community"]
    raw_id_fields = ["created_by"]
