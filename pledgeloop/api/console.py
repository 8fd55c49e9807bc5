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

from pledgeloop.lib.params import query_id
from pledgeloop.orgs.models import Community, Street

from . import access
from .forms import PersonalTokenForm, TokenForm, WebhookForm
from .models import ApiToken, Scope, WebhookDelivery
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
