"""Who may write and read diary articles: the one place these rules live (STYLE.md).

Street admins write for their streets (street-wide or any community); community admins write
for their own communities. Everyone, signed in or not, reads published articles; drafts are
seen only by those who may edit them (404 for everyone else).
"""

from django.db.models import Q, QuerySet
from django.http import Http404

from pledgeloop.orgs.models import Community
from pledgeloop.people.models import User

from .models import Article


def can_write(user: User) -> bool:
    return user.is_authenticated and bool(user.admin_community_ids() or user.admin_street_ids())


def communities_for_writer(user: User) -> QuerySet[Community]:
    if not user.is_authenticated:
        return Community.objects.none()
    return Community.objects.filter(pk__in=user.admin_community_ids()).select_related("street")


def articles_editable_by(user: User) -> QuerySet[Article]:
    if not user.is_authenticated:
        return Article.objects.none()
    return Article.objects.filter(
        Q(street_id__in=user.admin_street_ids()) | Q(community_id__in=user.admin_community_ids())
    ).select_related("street", "community")


def get_article_for_editor(user: User, pk: int) -> Article:
    try:
        return articles_editable_by(user).get(pk=pk)
    except Article.DoesNotExist:
        raise Http404 from None


def get_article_for_reader(user: User, slug: str) -> Article:
    article = Article.objects.select_related("street", "community").filter(slug=slug).first()
    if article is None:
        raise Http404
    if article.is_published:
        return article
    if articles_editable_by(user).filter(pk=article.pk).exists():
        return article
    raise Http404
