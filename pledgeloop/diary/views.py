"""Service diary pages: the public list, article, feed and WeChat copy; the admins' editor."""

from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from pledgeloop.lib.params import query_text
from pledgeloop.orgs.models import Street
from pledgeloop.stats import periods
from pledgeloop.teams import access as team_access

from . import access, services
from .forms import ArticleForm, DraftForm
from .rendering import render_markdown, wechat_html
from .selectors import published_articles


def article_list(request):
    articles = published_articles().order_by("-published_at", "-id")
    street = query_text(request.GET, "street")
    if street:
        articles = articles.filter(street__slug=street)
    page = Paginator(articles, 20).get_page(request.GET.get("page"))
    return render(request, "diary/list.html", {"page": page})


def article_detail(request, slug):
    article = access.get_article_for_reader(request.user, slug)
    return render(
        request,
        "diary/detail.html",
        {"article": article, "html": render_markdown(article.body)},
    )


def article_wechat(request, slug):
    article = access.get_article_for_reader(request.user, slug)
    html = wechat_html(article.body, title=article.title, base_url=request.build_absolute_uri("/"))
    if request.GET.get("download"):
        response = HttpResponse(html, content_type="text/html; charset=utf-8")
        response["Content-Disposition"] = (
            f"attachment; filename*=UTF-8''{quote(article.slug)}-wechat.html"
        )
        return response
    return render(request, "diary/wechat.html", {"article": article, "wechat": html})


@login_required
def manage(request):
    if not access.can_write(request.user):
        raise PermissionDenied
    communities = access.communities_for_writer(request.user)
    streets = Street.objects.filter(pk__in=request.user.admin_street_ids())
    form = DraftForm(request.POST or None, communities=communities, whole_streets=streets)
    if request.method == "POST" and form.is_valid():
        day = form.cleaned_data["day"]
        kind = form.cleaned_data["kind"]
        period = services.week_of(day) if kind == "week" else periods.month(day.year, day.month)
        target = form.cleaned_data["community"]
        if target.startswith("street:"):
            street = streets.get(pk=int(target.split(":")[1]))
            community = None
        else:
            community = communities.get(pk=int(target))
            street = community.street
        article = services.article_draft(
            street=street, community=community, period=period, kind=kind, by=request.user
        )
        messages.success(request, _("A draft was written from the records. Edit it, then publish."))
        return redirect("diary:edit", pk=article.pk)
    articles = access.articles_editable_by(request.user).order_by("-created_at")[:50]
    return render(request, "diary/manage.html", {"form": form, "articles": articles})


@login_required
def edit(request, pk):
    article = access.get_article_for_editor(request.user, pk)
    form = ArticleForm(request.POST or None, instance=article)
    if request.method == "POST" and form.is_valid():
        services.article_update(
            article=article, title=form.cleaned_data["title"], body=form.cleaned_data["body"]
        )
        messages.success(request, _("Saved."))
        return redirect("diary:edit", pk=article.pk)
    return render(
        request,
        "diary/edit.html",
        {"article": article, "form": form, "preview": render_markdown(article.body)},
    )


@login_required
@require_POST
def act(request, pk, action):
    article = access.get_article_for_editor(request.user, pk)
    if action == "publish":
        try:
            services.article_publish(article=article)
        except services.DiaryError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("Published."))
    elif action == "withdraw":
        services.article_withdraw(article=article)
        messages.success(request, _("Withdrawn: the article is a draft again."))
    else:
        raise Http404
    return redirect("diary:edit", pk=article.pk)


@login_required
@require_POST
def draft_from_event(request, event_pk: int):
    """A draft from an event's write-up, for an admin who manages the event."""
    if not access.can_write(request.user):
        raise PermissionDenied
    event = team_access.get_event_for_admin(request.user, event_pk)
    if event.cancelled_at is not None:
        messages.error(request, _("A cancelled event was not held: there is nothing to write up."))
        return redirect("console:teams:event", event.pk)
    article = services.article_draft_from_event(event=event, by=request.user)
    messages.success(request, _("A draft was written from the records. Edit it, then publish."))
    return redirect("diary:edit", pk=article.pk)
