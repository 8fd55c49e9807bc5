"""Accounts people can keep: a new password by a one-time SMS code (from the sign-in page),
and the activation text for imported members, who have no usable password yet.

The code is the same machinery as /my/ (codes.py, purpose PASSWORD). An activation code
lasts ACTIVATION_DAYS instead of minutes; the text links to the page that sets the password.
A new password ends the account's other sessions (Django keys sessions to the password) and
clears nothing else: the sign-in lockout still counts from its own records.
"""

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from pledgeloop.lib.client import client_ip
from pledgeloop.lib.masking import mask_phone
from pledgeloop.lib.private import private_page
from pledgeloop.people.models import Member, User

from .codes import CodeError, code_check, code_request
from .forms import NewPasswordForm, PhoneForm
from .models import OneTimeCode

PURPOSE = OneTimeCode.Purpose.PASSWORD
SESSION_RESET = "password_reset_phone"


def _street_of(user: User | None) -> int | None:
    if user is None or not user.is_active:
        return None
    grant = user.role_grants.first()
    return grant.street_id if grant else None


def awaiting_activation(members) -> list[Member]:
    """Members whose account has no usable password (imported, never activated)."""
    return [
        m
        for m in members.filter(active=True, user__is_active=True).select_related("user")
        if not m.user.has_usable_password()
    ]


def activation_send(*, member: Member, ip: str | None) -> bool:
    """Text the member a code to set their password (valid ACTIVATION_DAYS), with a link to
    the page; False when the number has had too many codes this hour."""
    try:
        code_request(
            phone=member.user.phone,
            purpose=PURPOSE,
            ip=ip,
            street_id=member.street_id,
            kind="account_activation",
            lifetime=dt.timedelta(days=settings.ACTIVATION_DAYS),
            url=reverse("privacy:password_set"),
        )
    except CodeError:
        return False
    return True


@private_page
def password_reset(request):
    """Step 1: the number. The same answer whether or not an account has it."""
    form = PhoneForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        phone = form.cleaned_data["phone"]
        user = User.objects.filter(phone=phone).first()
        try:
            code_request(
                phone=phone, purpose=PURPOSE, ip=client_ip(request), street_id=_street_of(user)
            )
        except CodeError as error:
            form.add_error(None, str(error))
        else:
            request.session[SESSION_RESET] = phone
            return redirect("privacy:password_set")
    return render(
        request,
        "privacy/password_reset.html",
        {"form": form, "minutes": settings.ONE_TIME_CODE_MINUTES},
    )


@private_page
def password_set(request):
    """Step 2: the code from the text and the new password twice (also the activation
    text's page: the number is asked for when this browser did not give it in step 1)."""
    phone = request.session.get(SESSION_RESET) or ""
    phone_form = PhoneForm(request.POST if not phone and request.method == "POST" else None)
    if not phone and request.method == "POST" and phone_form.is_valid():
        phone = phone_form.cleaned_data["phone"]
    user = User.objects.filter(phone=phone, is_active=True).first() if phone else None
    form = NewPasswordForm(request.POST or None, user=user)
    if request.method == "POST" and phone and form.is_valid():
        try:
            code_check(phone=phone, purpose=PURPOSE, code=form.cleaned_data["code"])
            if user is None:  # a code for a number without an account never matches
                raise CodeError(_("The code is wrong. Check the text message and try again."))
        except CodeError as error:
            form.add_error("code", str(error))
        else:
            user.set_password(form.cleaned_data["password1"])
            user.save(update_fields=["password"])
            request.session.pop(SESSION_RESET, None)
            messages.success(request, _("Your new password is set. Sign in with it."))
            return redirect("people:login")
    return render(
        request,
        "privacy/password_set.html",
        {
            "form": form,
            "phone_form": phone_form,
            "phone": mask_phone(phone) if phone else "",
            "ask_phone": not request.session.get(SESSION_RESET),
        },
    )


@require_POST
def password_reset_restart(request):
    request.session.pop(SESSION_RESET, None)
    return redirect("privacy:password_reset")
