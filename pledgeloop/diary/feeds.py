"""The diary as an Atom feed (/diary/feed.atom): the latest published articles."""

from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext_lazy as _

from .rendering import render_markdown
from .selectors import published_articles


class DiaryFeed(Feed):
    feed_type = Atom1Feed
    title = _("Service diary")
    subtitle = _("Write-ups of community volunteer service")

    def link(self):
        return reverse("diary:list")

    def items(self):
        return published_articles().order_by("-published_at", "-id")[:20]

    def item_title(self, item):
        return item.title

    def item_description(self, item):
        return render_markdown(item.body)

    def item_link(self, item):
        return reverse("diary:detail", args=[item.slug])

    def item_pubdate(self, item):
        return item.published_at

    def item_updateddate(self, item):
        return item.updated_at

    def item_author_name(self, item):
        return item.community.name if item.community else item.street.name
