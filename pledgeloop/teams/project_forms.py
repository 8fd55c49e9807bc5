"""Forms of the console's project pages: a project, a milestone, marking it done with its
evidence, and linking an order or an event."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from pledgeloop.lib.photos import KeepsPhoto, photo_clean, photo_precheck
from pledgeloop.lib.widgets import DayInput
from pledgeloop.orgs.models import Community
from pledgeloop.people.models import Member

from .models import Event, Team


class ProjectForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=80)
    community = forms.ModelChoiceField(
        label=_("Community"),
        queryset=Community.objects.none(),
        required=False,
        empty_label=_("The whole street"),
    )
    lead = forms.ModelChoiceField(label=_("Lead member"), queryset=Member.objects.none())
    team = forms.ModelChoiceField(
        label=_("Team"), queryset=Team.objects.none(), required=False, empty_label=_("No team")
    )
    budget = forms.DecimalField(
        label=_("Budget (yuan)"), max_digits=12, decimal_places=2, min_value=0, required=False
    )
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )

    def __init__(self, *args, communities, members, teams, street_wide: bool, editing=False, **kw):
        super().__init__(*args, **kw)
        self.fields["community"].queryset = communities
        self.fields["lead"].queryset = members
        self.fields["lead"].label_from_instance = lambda m: f"{m.name} · {m.community.name}"
        self.fields["team"].queryset = teams
        if not street_wide:
            self.fields["community"].required = True
            self.fields["community"].empty_label = None
        if editing:
            del self.fields["community"]


class MilestoneForm(forms.Form):
    title = forms.CharField(label=_("Milestone"), max_length=80)
    due_on = forms.DateField(label=_("Due on"), widget=DayInput())


class MilestoneDoneForm(KeepsPhoto, forms.Form):
    done_on = forms.DateField(
        label=_("Done on"),
        widget=DayInput(),
        initial=timezone.localdate,
    )
    evidence = forms.CharField(
        label=_("What was done (evidence)"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    photo = forms.FileField(label=_("Photo"), required=False)
    photo_public = forms.BooleanField(
        label=_(
            "The photo shows no one who could be recognised, or only people who agreed "
            "to appear on public pages"
        ),
        required=False,
    )

    def clean_photo(self):
        photo = self.cleaned_data.get("photo")
        if photo:
            photo_precheck(photo)
        return photo

    def clean(self):
        data = super().clean()
        # Decoded and re-encoded only once everything else is right (lib/photos.py).
        if data.get("photo") and not self.errors:
            try:
                data["photo"] = photo_clean(data["photo"])
            except ValidationError as error:
                self.add_error("photo", error)
        return data


class OrderLinkForm(forms.Form):
    order = forms.IntegerField(label=_("Order number"), min_value=1)


class EventLinkForm(forms.Form):
    event = forms.ModelChoiceField(label=_("Event"), queryset=Event.objects.none())

    def __init__(self, *args, events, **kw):
        super().__init__(*args, **kw)
        self.fields["event"].queryset = events
        # two fairs of one name (December's and March's) told apart by their day
        self.fields["event"].label_from_instance = lambda event: (
            f"{event.title} · {date_format(timezone.localtime(event.starts_at), 'DATE_FORMAT')}"
        )
