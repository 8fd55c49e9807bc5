"""Console pages of the open API (mounted under /console/api/ by console/urls.py): tokens of
applications, made and revoked by street and community admins, their webhooks and the
deliveries' log; and a member's personal tokens (/me/tokens/)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from pledgeloop.diary import access as diary_access
from pledgeloop.diary.models import Article
from pledgeloop.lib.params import query_id
from pledgeloop.orgs.models import Community, Street

from . import access
from . import wechat as wechat_client
from .forms import PersonalTokenForm, TokenForm, WebhookForm
from .models import ApiToken, Scope, WebhookDelivery, WechatPublication
from .tokens import TokenError, api_token_create, api_token_revoke
from .webhooks import webhook_create, webhook_delivery_replay, webhook_disable


def _token_form(request, data=None):
    user = request.user
    return TokenForm(
        data,
        communities=Community.objects.filter(pk__in=user.admin_community_ids()).select_related(
            "street"
        ),
        streets=Street.objects.filter(pk__in=user.admin_street_ids()),
    )


def _tokens_page(request, form, made=None):
    tokens = (
        access.tokens_administered_by(request.user)
        .filter(personal=False)
        .annotate(filed=Count("orders", distinct=True))
        .prefetch_related("webhooks")
    )
    return render(
        request,
        "api/console_tokens.html",
        {
            "tokens": tokens,
            "form": form,
            "made": made,
            "webhook_form": WebhookForm(),
        },
    )


@login_required
def tokens(request):
    if not access.is_admin(request.user):
        raise PermissionDenied
    if request.method != "POST":
        return _tokens_page(request, _token_form(request))
    form = _token_form(request, request.POST)
    made = None
    if form.is_valid():
        data = form.cleaned_data
        if not access.may_make_token(request.user, data["street"], data["community"]):
            raise PermissionDenied
        try:
            token, text = api_token_create(
                by=request.user,
                street=data["street"],
                community=data["community"],
                application=data["application"],
                scopes=data["scopes"],
                days=data["days"],
                rate_limit=data["rate_limit"],
            )
        except TokenError as error:
            form.add_error(None, str(error))
        else:
            made = {"token": token, "text": text}
            form = _token_form(request)
    return _tokens_page(request, form, made)


@login_required
@require_POST
def token_revoke(request, pk: int):
    token = access.get_token_for_user(request.user, pk)
    api_token_revoke(token=token, by=request.user)
    messages.success(request, _("The token is revoked; requests with it are refused from now."))
    return redirect("api_personal_tokens" if token.personal else "console:api_tokens")


@login_required
@require_POST
def webhook_add(request, pk: int):
    token = access.get_token_for_user(request.user, pk)
    if token.personal or not token.has_scope(Scope.FILE_ORDERS):
        messages.error(request, _("Only a token that files orders can have a webhook."))
        return redirect("console:api_tokens")
    form = WebhookForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors.get("url", [])))
        return redirect("console:api_tokens")
    subscription = webhook_create(token=token, url=form.cleaned_data["url"], by=request.user)
    messages.success(
        request,
        _(
            "Webhook added. Its signing secret, shown this once: %(secret)s — give it to the "
            "receiving system."
        )
        % {"secret": subscription.secret},
    )
    return redirect("console:api_tokens")


@login_required
@require_POST
def webhook_off(request, pk: int):
    subscription = access.get_webhook_for_user(request.user, pk)
    webhook_disable(subscription=subscription)
    messages.success(request, _("The webhook is switched off."))
    return redirect("console:api_tokens")


@login_required
def deliveries(request):
    if not access.is_admin(request.user):
        raise PermissionDenied
    tokens = access.tokens_administered_by(request.user).filter(personal=False)
    rows = WebhookDelivery.objects.filter(subscription__token__in=tokens).select_related(
        "subscription__token", "event"
    )
    webhook = query_id(request.GET, "webhook")
    if webhook is not None:
        rows = rows.filter(subscription_id=webhook)
    counts = rows.aggregate(
        failed=Count("pk", filter=Q(state=WebhookDelivery.State.FAILED)),
        waiting=Count("pk", filter=Q(state=WebhookDelivery.State.WAITING)),
    )
    return render(
        request,
        "api/console_deliveries.html",
        {"deliveries": rows.order_by("-created_at", "-id")[:200], "counts": counts},
    )


@login_required
@require_POST
def delivery_replay(request, pk: int):
    tokens = access.tokens_administered_by(request.user).filter(personal=False)
    delivery = WebhookDelivery.objects.filter(pk=pk, subscription__token__in=tokens).first()
    if delivery is None:
        raise PermissionDenied
    webhook_delivery_replay(delivery=delivery)
    messages.success(request, _("The event will be sent again within a minute."))
    return redirect("console:api_deliveries")


@login_required
def personal_tokens(request):
    """A member's own tokens, for their own orders and service records."""
    member = access.member_of(request.user)
    if member is None:
        raise PermissionDenied
    made = None
    form = PersonalTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            token, text = api_token_create(
                by=request.user,
                street=member.street,
                community=member.community,
                application=form.cleaned_data["application"],
                scopes=[Scope.OWN_RECORDS],
                days=form.cleaned_data["days"],
                personal=True,
            )
        except TokenError as error:
            form.add_error(None, str(error))
        else:
            made = {"token": token, "text": text}
            form = PersonalTokenForm()
    tokens = ApiToken.objects.filter(user=request.user, personal=True)
    return render(
        request, "api/personal_tokens.html", {"tokens": tokens, "form": form, "made": made}
    )


@login_required
def wechat(request):
    """Diary articles to publish on the WeChat official account, and what became of them."""
    if not diary_access.can_write(request.user):
        raise PermissionDenied
    articles = diary_access.articles_editable_by(request.user).filter(state=Article.State.PUBLISHED)
    publications = WechatPublication.objects.filter(article__in=articles).select_related("article")[
        :100
    ]
    return render(
        request,
        "api/console_wechat.html",
        {
            "configured": wechat_client.is_configured(),
            "articles": articles.order_by("-published_at")[:50],
            "publications": publications,
        },
    )


@login_required
@require_POST
def wechat_publish(request, pk: int):
    article = diary_access.get_article_for_editor(request.user, pk)
    try:
        publication = wechat_client.wechat_publish(
            article=article, by=request.user, base_url=request.build_absolute_uri("/")
        )
    except wechat_client.WechatError as error:
        messages.error(request, str(error))
    else:
        if publication.state == WechatPublication.State.PUBLISHED:
            messages.success(request, _("Published on the official account."))
        elif publication.state == WechatPublication.State.FAILED:
            messages.error(request, publication.message)
        else:
            messages.info(request, publication.message or _("Submitted for publication."))
    return redirect("console:api_wechat")


@login_required
@require_POST
def wechat_refresh(request, pk: int):
    articles = diary_access.articles_editable_by(request.user)
    publication = WechatPublication.objects.filter(pk=pk, article__in=articles).first()
    if publication is None:
        raise PermissionDenied
    try:
        wechat_client.wechat_publication_refresh(publication=publication)
    except wechat_client.WechatError as error:
        messages.error(request, str(error))
    return redirect("console:api_wechat")
