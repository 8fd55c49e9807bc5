from django import forms
from django.contrib.auth import password_validation
from django.utils.translation import gettext_lazy as _

from pledgeloop.lib.masking import is_mainland_mobile, normalise_phone


class PhoneForm(forms.Form):
    phone = forms.CharField(
        label=_("Mobile number"),
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )

    def clean_phone(self):
        phone = normalise_phone(self.cleaned_data["phone"])
        if not is_mainland_mobile(phone):
            raise forms.ValidationError(
                _("Enter an 11-digit mainland mobile number, e.g. 13812345678.")
            )
        return phone


class CodeForm(forms.Form):
    code = forms.RegexField(
        label=_("Code from the text message"),
        regex=r"^[0-9]{6}$",
        max_length=6,
        error_messages={"invalid": _("The code is the 6 digits in the text message.")},
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class NewPasswordForm(CodeForm):
    """The code, and the new password twice (Django's password validators)."""

    password1 = forms.CharField(
        label=_("New password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("New password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, user=None, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean(self):
        data = super().clean()
        one, two = data.get("password1"), data.get("password2")
        if one and two and one != two:
            raise forms.ValidationError(_("The two passwords differ. Type the same one twice."))
        if one:
            password_validation.validate_password(one, self.user)
        return data


class CorrectForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=40)
    address = forms.CharField(label=_("Address"), max_length=200, required=False)


class DeleteForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("I understand: my name, number and address will be removed for good."),
        error_messages={"required": _("Tick the box to confirm that you want this.")},
    )
