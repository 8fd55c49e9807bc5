from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from pledgeloop.orgs.models import Community, Street

from .models import APPLICATION_SCOPES, Scope
from .tokens import MAX_DAYS


class TokenForm(forms.Form):
    """An application's token: made by a street admin (whole street or one community) or a
    community admin (their community)."""

    application = forms.CharField(
        label=_("Application"),
        max_length=80,
        help_text=_("Who will use it, e.g. 12345 hotline, grid app, dashboard."),
    )
    street = forms.ModelChoiceField(
        label=_("Street"), queryset=Street.objects.none(), required=False, empty_label=None
    )
    community = forms.ModelChoiceField(
        label=_("Community"),
        queryset=Community.objects.none(),
        required=False,
        empty_label=_("The whole street"),
    )
    scopes = forms.MultipleChoiceField(
        label=_("It may"),
        choices=[(s.value, s.label) for s in APPLICATION_SCOPES],
        widget=forms.CheckboxSelectMultiple,
    )
    days = forms.IntegerField(label=_("Valid for (days)"), min_value=1, max_value=MAX_DAYS)
    rate_limit = forms.IntegerField(
        label=_("Requests per minute"), min_value=1, max_value=10000, required=False
    )

    def __init__(self, *args, communities, streets, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = communities
        self.fields["street"].queryset = streets
        # A street admin may make a token for the whole street; others choose a community.
        self.fields["community"].required = not streets.exists()
        if not streets.exists():
            del self.fields["street"]

    def clean(self):
        data = super().clean()
        community = data.get("community")
        if community is not None:
            data["street"] = community.street
        elif not data.get("street"):
            raise forms.ValidationError(_("Choose the street or one community."))
        return data
        self.fields["days"].initial = 90
        self.fields["rate_limit"].initial = settings.API_RATE_LIMIT_PER_MINUTE


class PersonalTokenForm(forms.Form):
    application = forms.CharField(
        label=_("What it is for"),
        max_length=80,
        help_text=_("E.g. my calendar, my volunteer-hours app."),
    )
    days = forms.IntegerField(
        label=_("Valid for (days)"), min_value=1, max_value=MAX_DAYS, initial=90
    )

    scopes = [Scope.OWN_RECORDS]


class WebhookForm(forms.Form):
    url = forms.URLField(
        label=_("Address"),
        max_length=500,
        assume_scheme="https",
        help_text=_("Events are POSTed here as signed JSON."),
    )
