"""Forms of the member's order pages: finishing, handing back, declining, patrol reports."""

import datetime as dt
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from pledgeloop.lib.photos import KeepsPhoto, photo_clean, photo_precheck
from pledgeloop.orgs.models import Category, Community, Site


class FinishForm(forms.Form):
    # The service's own bounds (orders.services.order_finish): a quarter hour to a day a
    # record, never more than the time since the order was taken.
    MIN_HOURS = Decimal("0.25")
    MAX_HOURS = Decimal("24")
    FIRST_QUARTER = dt.timedelta(minutes=15)  # after taking an order: the first hours to record

    hours = forms.DecimalField(
        label=_("Hours served"),
        min_value=MIN_HOURS,
        max_value=MAX_HOURS,
        decimal_places=2,
        initial=Decimal("1"),
        widget=forms.NumberInput(attrs={"step": "0.25", "inputmode": "decimal"}),
        error_messages={
            "required": _("Say how many hours you served."),
            "min_value": _("Hours must be between 0.25 and 24."),
            "max_value": _("Hours must be between 0.25 and 24."),
        },
    )
    started_at = forms.DateTimeField(
        label=_("Started at (optional)"),
        required=False,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("Leave empty if you just finished: the hours are counted back from now."),
        error_messages={"invalid": _("Give the start as a date and a time.")},
    )
    note = forms.CharField(
        label=_("A short note (what was done)"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=300,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        error_messages={"required": _("Please give a reason.")},
    )


class PatrolForm(KeepsPhoto, forms.Form):
    """A problem a patrolling member (红骑士) found: where, what, and a photo of it (kept across
    a page sent back with a mistake elsewhere: lib.photos.KeepsPhoto)."""

    community = forms.ModelChoiceField(
        label=_("Community"),
        queryset=Community.objects.none(),
        empty_label=_("Choose a community"),
    )
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=Category.objects.none(), empty_label=_("Choose a category")
    )
    description = forms.CharField(
        label=_("What did you find?"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    photo = forms.FileField(
        label=_("Photo"),
        widget=forms.ClearableFileInput(attrs={"accept": "image/*", "capture": "environment"}),
        error_messages={"required": _("Please take a photo of what you found.")},
    )
    site = forms.ModelChoiceField(
        label=_("Building or compound"),
        queryset=Site.objects.none(),
        required=False,
        empty_label=_("No building chosen"),
    )
    address = forms.CharField(label=_("Where exactly"), max_length=200, required=False)
    latitude = forms.DecimalField(
        max_digits=9,
        decimal_places=6,
        min_value=-90,
        max_value=90,
        required=False,
        widget=forms.HiddenInput,
    )
    longitude = forms.DecimalField(
        max_digits=9,
        decimal_places=6,
        min_value=-180,
        max_value=180,
        required=False,
        widget=forms.HiddenInput,
    )

    def __init__(self, *args, communities, categories, sites, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = communities
        self.fields["category"].queryset = categories
        self.fields["site"].queryset = sites
        # The street's compounds: several communities have one of the same name (学田花园).
        self.fields["site"].label_from_instance = lambda site: f"{site.community.name} · {site}"

    def clean_photo(self):
        """Only the size here: decoding waits in clean() until every other check passed, as
        at intake (a photo kept for the page sent back is kept as it came)."""
        photo = self.cleaned_data["photo"]
        photo_precheck(photo)
        return photo

    def clean(self):
        data = super().clean()
        community, site = data.get("community"), data.get("site")
        if community and site and site.community_id != community.pk:
            self.add_error("site", _("That building is not in this community."))
        point = data.get("latitude") is not None and data.get("longitude") is not None
        if not (site or (data.get("address") or "").strip() or point):
            self.add_error(
                "address", _("Say where it is, choose the building, or use your location.")
            )
        if data.get("photo") and not self.errors:
            try:
                data["photo"] = photo_clean(data["photo"])
            except ValidationError as error:
                self.add_error("photo", error)
        return data
