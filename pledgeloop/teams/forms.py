"""Forms of the team pages: a team's details, its roster, dispatch to a team, a leader's answer."""

from django import forms
from django.utils.translation import gettext_lazy as _

from pledgeloop.lib.masking import is_mainland_mobile, normalise_phone
from pledgeloop.orgs.models import Category, Community, Site
from pledgeloop.people.models import Member

RESPONSE_HOURS = [1, 2, 4, 8, 24, 48]


class TeamForm(forms.Form):
    name = forms.CharField(label=_("Team name"), max_length=40)
    community = forms.ModelChoiceField(
        label=_("Community"),
        queryset=Community.objects.none(),
        required=False,
        empty_label=_("The whole street (a street team)"),
    )
    description = forms.CharField(label=_("What the team does"), max_length=300, required=False)
    service_area = forms.CharField(label=_("Service area"), max_length=200, required=False)
    skills = forms.ModelMultipleChoiceField(
        label=_("Skills"),
        queryset=Category.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    # Not "Active", which is a pledge's state (践诺中).
    active = forms.BooleanField(label=_("In use"), required=False, initial=True)

    def __init__(self, *args, communities, categories, street_wide: bool, editing=False, **kw):
        super().__init__(*args, **kw)
        self.fields["community"].queryset = communities
        self.fields["skills"].queryset = categories
        if not street_wide:
            # A community admin's teams belong to one of their communities.
            self.fields["community"].required = True
            self.fields["community"].empty_label = None
        if editing:
            del self.fields["community"]
        else:
            del self.fields["active"]


class RosterMemberForm(forms.Form):
    member = forms.ModelChoiceField(label=_("Party member"), queryset=Member.objects.none())
    leader = forms.BooleanField(label=_("Leader"), required=False)

    def __init__(self, *args, members, **kw):
        super().__init__(*args, **kw)
        self.fields["member"].queryset = members


class VolunteerForm(forms.Form):
    name = forms.CharField(label=_("Volunteer's name"), max_length=40)
    phone = forms.CharField(
        label=_("Volunteer's mobile number"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    consent = forms.BooleanField(
        label=_(
            "The volunteer agrees that their name and number are kept to organise the team's "
            "service and count their hours."
        ),
        error_messages={
            "required": _("The volunteer must agree to the use of their name and number.")
        },
    )

    def clean_phone(self):
        phone = normalise_phone(self.cleaned_data["phone"])
        if not is_mainland_mobile(phone):
            raise forms.ValidationError(
                _("Enter an 11-digit mainland mobile number, e.g. 13812345678.")
            )
        return phone


class TeamDispatchForm(forms.Form):
    team = forms.TypedChoiceField(label=_("Team"), coerce=int, widget=forms.RadioSelect)
    hours = forms.TypedChoiceField(
        label=_("The team's leader must answer within"),
        coerce=int,
        initial=4,
        choices=[(h, _("%(n)s hours") % {"n": h}) for h in RESPONSE_HOURS],
    )

    def __init__(self, *args, teams, **kw):
        super().__init__(*args, **kw)
        self.fields["team"].choices = [(t.pk, t.name) for t in teams]


class AssignForm(forms.Form):
    assignee = forms.TypedChoiceField(label=_("Give it to"), coerce=int)

    def __init__(self, *args, members, **kw):
        super().__init__(*args, **kw)
        self.fields["assignee"].choices = [(m.pk, m.name) for m in members]


class DeclineForm(forms.Form):
    reason = forms.CharField(label=_("Why the team cannot take it"), max_length=300)


class PositionForm(forms.Form):
    """A position of the circle: an existing site, or a new place with its coordinates."""

    site = forms.ModelChoiceField(
        label=_("An existing place"),
        queryset=Site.objects.none(),
        required=False,
        empty_label=_("A new place (below)"),
    )
    community = forms.ModelChoiceField(
        label=_("Community"), queryset=Community.objects.none(), required=False
    )
    kind = forms.ChoiceField(label=_("Kind of place"), choices=Site.Kind.choices, required=False)
    name = forms.CharField(label=_("Name of the place"), max_length=80, required=False)
    latitude = forms.DecimalField(
        label=_("Latitude"),
        max_digits=9,
        decimal_places=6,
        min_value=-90,
        max_value=90,
        required=False,
    )
    longitude = forms.DecimalField(
        label=_("Longitude"),
        max_digits=9,
        decimal_places=6,
        min_value=-180,
        max_value=180,
        required=False,
    )
    opening_hours = forms.CharField(label=_("Opening hours"), max_length=120, required=False)
    services = forms.ModelMultipleChoiceField(
        label=_("Services offered"),
        queryset=Category.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    services_note = forms.CharField(label=_("Other services"), max_length=200, required=False)

    def __init__(self, *args, sites, communities, categories, **kw):
        super().__init__(*args, **kw)
        self.fields["site"].queryset = sites
        self.fields["community"].queryset = communities
        self.fields["services"].queryset = categories

    def clean(self):
        data = super().clean()
        if data.get("site") is None and not self.errors:
            needed = ["community", "kind", "name", "latitude", "longitude"]
            if any(data.get(f) in (None, "") for f in needed):
                raise forms.ValidationError(
                    _(
                        "Choose an existing place, or give the new place's community, kind, "
                        "name and coordinates."
                    )
                )
        return data
