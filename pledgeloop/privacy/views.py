"""/my/: a person sees, downloads, corrects and withdraws, and asks for deletion (PIPL art.
44-47). The person is a number proved by a one-time SMS code, or a signed-in account's own.

The session remembers a proved number for MY_SESSION_MINUTES; every page here is private
(no-store, noindex) for every visitor.
"""

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from pledgeloop.lib.client import client_ip
from pledgeloop.lib.masking import mask_phone
from pledgeloop.lib.private import private_page
from pledgeloop.lib.spreadsheets import xlsx_response
from pledgeloop.orders.models import Order
from pledgeloop.people.consents import consent_give, consents_withdraw
from pledgeloop.people.models import Consent, Resident
from pledgeloop.teams.models import Registration, Volunteer

from .codes import CodeError, code_check, code_request
from .exports import data_json, data_xlsx
from .forms import CodeForm, CorrectForm, DeleteForm, PhoneForm
from .models import OneTimeCode
from .selectors import person_data, person_residents
from .services import RightsError, deletion_request, person_correct

SESSION_PHONE = "my_phone"
SESSION_AT = "my_phone_at"
SESSION_PENDING = "my_pending_phone"
# /my/?unticked=1#delete: the deletion form came back without its box ticked
UNTICKED = "unticked"


def _render(request, template: str, context: dict):
    """The resident pages' layout: large type, 长辈模式 from its cookie."""
    context["elder"] = request.COOKIES.get("elder") == "1"
    return render(request, template, context)


def person_street_id(phone: str) -> int | None:
    """The street holding this number's data (its texts go out under it), if any."""
    resident = Resident.objects.filter(phone=phone).order_by("-id").first()
    if resident is not None:
        return resident.street_id
    for model in (Order, Registration, Volunteer):
        row = model.objects.filter(phone=phone).order_by("-id").first()
        if row is not None:
            return row.street_id
    return None


def my_phone(request) -> str | None:
    """The number this visitor has proved: by a code lately, or by signing in."""
    phone, at = request.session.get(SESSION_PHONE), request.session.get(SESSION_AT)
    if phone and at:
        age = timezone.now() - dt.datetime.fromisoformat(at)
        if age < dt.timedelta(minutes=settings.MY_SESSION_MINUTES):
            return phone
        request.session.pop(SESSION_PHONE, None)
    if request.user.is_authenticated:
        return account_phone(request.user)
    return None


def account_phone(user) -> str:
    """A signed-in person's number: their resident record's (the one their data is held
    under), else the account's."""
    resident = Resident.objects.filter(user=user).only("phone").first()
    return resident.phone if resident is not None and resident.phone else user.phone


def _account(request, phone: str):
    """The signed-in account, when the number shown is its own."""
    user = request.user
    if user.is_authenticated and phone in {user.phone, account_phone(user)}:
        return user
    return None


@private_page
def sign_in(request):
    """Step 1: the number (a code is texted); step 2: the code."""
    pending = request.session.get(SESSION_PENDING)
    # The number waiting for its code stays in its field: "send a new code" with it emptied
    # answered "this field is required".
    phone_form = PhoneForm(
        request.POST if "phone" in request.POST else None, initial={"phone": pending or ""}
    )
    code_form = CodeForm(request.POST if "code" in request.POST else None)
    if request.method == "POST" and "phone" in request.POST and phone_form.is_valid():
        phone = phone_form.cleaned_data["phone"]
        try:
            code_request(
                phone=phone,
                purpose=OneTimeCode.Purpose.MY_DATA,
                ip=client_ip(request),
                street_id=person_street_id(phone),
            )
        except CodeError as error:
            phone_form.add_error(None, str(error))
        else:
            request.session[SESSION_PENDING] = phone
            return redirect("privacy:sign_in")
    if request.method == "POST" and "code" in request.POST and pending and code_form.is_valid():
        try:
            code_check(
                phone=pending,
                purpose=OneTimeCode.Purpose.MY_DATA,
                code=code_form.cleaned_data["code"],
            )
        except CodeError as error:
            code_form.add_error("code", str(error))
        else:
            request.session.cycle_key()
            request.session.pop(SESSION_PENDING, None)
            request.session[SESSION_PHONE] = pending
            request.session[SESSION_AT] = timezone.now().isoformat()
            return redirect("privacy:my")
    return _render(
        request,
        "privacy/sign_in.html",
        {
            "phone_form": phone_form,
            "code_form": code_form,
            "pending": mask_phone(pending) if pending else "",
            "minutes": settings.ONE_TIME_CODE_MINUTES,
        },
    )


@require_POST
def sign_out(request):
    for key in (SESSION_PHONE, SESSION_AT, SESSION_PENDING):
        request.session.pop(key, None)
    messages.info(request, _("You have signed out."))
    return redirect("privacy:sign_in")


def _need_phone(view):
    def wrapped(request, *args, **kwargs):
        phone = my_phone(request)
        if phone is None:
            return redirect("privacy:sign_in")
        return view(request, phone, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return private_page(wrapped)


@_need_phone
def my(request, phone: str):
    account = _account(request, phone)
    sections = person_data(phone=phone, user=account)
    by_key = {s.key: s for s in sections}
    residents = by_key["residents"].rows
    first = residents[0] if residents else None
    # Without a resident record, the name held is the one given on the orders (the latest).
    given = next((o["contact_name"] for o in by_key["orders"].rows if o["contact_name"]), "")
    # What the person has agreed to now, read off the consents section (every consent of the
    # number, withdrawn ones with their date).
    standing = {r["purpose_code"] for r in by_key["consents"].rows if not r["withdrawn_at"]}
    return _render(
        request,
        "privacy/my.html",
        {
            "phone": mask_phone(phone),
            "sections": sections,
            "residents": residents,
            "consents": by_key["consents"],
            "appears_publicly": Consent.Purpose.PUBLIC in standing,
            "serves": Consent.Purpose.DATA_USE in standing,
            "correct_form": CorrectForm(
                initial={
                    "name": first["name"] if first else (account.name if account else given),
                    "address": first["address"] if first else "",
                }
            ),
            "delete_form": DeleteForm(),
            "account": account,
            "deletion_days": settings.DELETION_REQUEST_DAYS,
            "open_requests": [r for r in by_key["deletion_requests"].rows if not r["completed_at"]],
            "delete_unticked": request.GET.get(UNTICKED) == "1",
        },
    )


@_need_phone
def export_json(request, phone: str):
    content = data_json(person_data(phone=phone, user=_account(request, phone)), phone=phone)
    response = HttpResponse(content, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="my-data.json"'
    return response


@_need_phone
def export_xlsx(request, phone: str):
    content = data_xlsx(person_data(phone=phone, user=_account(request, phone)))
    return xlsx_response(content, "my-data.xlsx")


@require_POST
@_need_phone
def correct(request, phone: str):
    form = CorrectForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give your name (at most 40 characters)."))
        return redirect("privacy:my")
    try:
        changed = person_correct(
            phone=phone,
            name=form.cleaned_data["name"],
            address=form.cleaned_data["address"],
            user=_account(request, phone),
        )
    except RightsError as error:
        messages.error(request, str(error))
    else:
        if changed:
            messages.success(request, _("Your details are corrected."))
        else:
            messages.info(request, _("Nothing to correct: what you entered is what we hold."))
    return redirect("privacy:my")


@require_POST
@_need_phone
def consent(request, phone: str):
    """Give or withdraw the separate consent to appear on public pages; withdraw the consent
    to be served (open orders are not affected; new ones ask again)."""
    purpose, action = request.POST.get("purpose", ""), request.POST.get("action", "")
    if purpose not in Consent.Purpose.values or action not in ("give", "withdraw"):
        messages.error(request, _("Choose a consent to give or withdraw."))
        return redirect("privacy:my")
    if action == "withdraw":
        consents_withdraw(phone=phone, purpose=purpose)
        messages.success(request, _("Your consent is withdrawn from now on."))
        return redirect("privacy:my")
    street_id = person_street_id(phone)
    if street_id is None:
        messages.error(request, _("We hold nothing about this number yet."))
        return redirect("privacy:my")
    residents = list(person_residents(phone)) or [None]
    for resident in residents:
        consent_give(
            street_id=resident.street_id if resident else street_id,
            purpose=purpose,
            source="my",
            phone=phone,
            resident=resident,
        )
    messages.success(request, _("Thank you: your consent is recorded."))
    return redirect("privacy:my")


@require_POST
@_need_phone
def delete(request, phone: str):
    form = DeleteForm(request.POST)
    if not form.is_valid():
        # Said beside the box, where the page opens (#delete): at the page's top it was six
        # screens above the form on a phone.
        return redirect(f"{reverse('privacy:my')}?{UNTICKED}=1#delete")
    try:
        made = deletion_request(phone=phone, user=_account(request, phone))
    except RightsError as error:
        messages.error(request, str(error))
    else:
        if made:
            messages.success(
                request,
                _(
                    "Your request is sent. Your community will delete your data within "
                    "%(days)s days."
                )
                % {"days": settings.DELETION_REQUEST_DAYS},
            )
        else:
            messages.info(request, _("Your request was sent already; it is being handled."))
    return redirect("privacy:my")
