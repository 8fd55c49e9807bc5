from django import forms
from django.contrib.auth import authenticate
from django.utils.translation import gettext_lazy as _

from pledgeloop.lib.client import client_ip
from pledgeloop.lib.masking import is_mainland_mobile, normalise_phone

from .auth import login_failure_record, login_lock_minutes

MAX_UPLOAD_BYTES = 5 * 1024 * 1024


class LoginForm(forms.Form):
    phone = forms.CharField(
        label=_("Mobile number"),
        max_length=20,
        widget=forms.TextInput(
            attrs={"autocomplete": "tel", "inputmode": "tel", "autofocus": True}
        ),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, request=None, *args, **kwargs):
        self.request = request
        self.user = None
        super().__init__(*args, **kwargs)

    def clean_phone(self):
        phone = normalise_phone(self.cleaned_data["phone"])
        if not is_mainland_mobile(phone):
            raise forms.ValidationError(
                _("Enter an 11-digit mainland mobile number, e.g. 13812345678.")
            )
        return phone

    def clean(self):
        phone = self.cleaned_data.get("phone")
        password = self.cleaned_data.get("password")
        if not phone or password is None:
            return self.cleaned_data
        ip = client_ip(self.request)
        self._refuse_if_locked(phone, ip)
        self.user = authenticate(self.request, phone=phone, password=password)
        if self.user is None:
            self._refuse_if_locked(phone, ip)
            raise forms.ValidationError(
                _("The mobile number or password is wrong. Check both and try again."),
                code="invalid",
            )
        return self.cleaned_data

    def _refuse_if_locked(self, phone: str, ip: str | None) -> None:
        minutes = login_lock_minutes(phone=phone, ip=ip)
        if minutes:
            raise forms.ValidationError(
                _(
                    "Too many failed sign-ins from this device or network. Sign-in here is "
                    "paused for %(minutes)s minutes; try again later, or ask your community "
                    "to reset your password."
                ),
                code="locked",
                params={"minutes": minutes},
            )


class PasswordConfirmForm(forms.Form):
    """The signed-in user's password again (Django's check_password). A wrong one counts as
    a failed sign-in of the same number and address, so the lockout limits guessing here
    too; while locked, nothing is checked."""

    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )

    def __init__(self, request, *args, **kwargs):
        self.request = request
        super().__init__(*args, **kwargs)

    def clean(self):
        password = self.cleaned_data.get("password")
        if password is None:
            return self.cleaned_data
        user, ip = self.request.user, client_ip(self.request)
        minutes = login_lock_minutes(phone=user.phone, ip=ip)
        if minutes:
            raise forms.ValidationError(
                _("Too many wrong passwords. Try again in %(minutes)s minutes."),
                code="locked",
                params={"minutes": minutes},
            )
        if not user.check_password(password):
            login_failure_record(phone=user.phone, ip=ip)
            raise forms.ValidationError(
                _("The password is not right. Type the password you sign in with."),
                code="invalid",
            )
        return self.cleaned_data


class SpreadsheetUploadForm(forms.Form):
    file = forms.FileField(label=_("Excel file (.xlsx)"))

    def clean_file(self):
        file = self.cleaned_data["file"]
        if not file.name.lower().endswith(".xlsx"):
            raise forms.ValidationError(_("Upload an Excel workbook ending in .xlsx."))
        if file.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is larger than 5 MB."))
        return file
