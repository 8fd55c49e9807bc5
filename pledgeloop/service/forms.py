"""Forms for logging service: few fields, sensible defaults (today, an hour ago, 1 h)."""

import datetime as dt
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pledgeloop.lib.photos import KeepsPhoto, photo_clean, photo_precheck
from pledgeloop.lib.pinyin import pinyin_search_q
from pledgeloop.lib.widgets import DayInput
from pledgeloop.orgs.models import Category

MAX_PHOTOS = 6


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Several photos: the count and each one's size here; the form re-encodes them by the
    intake photo rules (lib.photos.photo_clean) once everything else is right."""

    widget = MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"})

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        if len(files) > MAX_PHOTOS:
            raise ValidationError(_("At most %(n)s photos per record, please.") % {"n": MAX_PHOTOS})
        for f in files:
            photo_precheck(f)
        return list(files)


def _an_hour_ago() -> dt.datetime:
    return timezone.localtime() - dt.timedelta(hours=1)


def default_day() -> dt.date:
    """The day of an hour ago: between midnight and one o'clock that is yesterday, or the
    form's own defaults (today, at 23:xx) would describe a service still to come."""
    return _an_hour_ago().date()


def default_start() -> dt.time:
    """An hour ago, on the quarter hour: the usual case is logging right after serving."""
    moment = _an_hour_ago()
    return dt.time(moment.hour, moment.minute - moment.minute % 15)


class ServiceLogForm(KeepsPhoto, forms.Form):
    """A service record's form; its photos are kept across a page sent back with a mistake
    elsewhere (lib.photos.KeepsPhoto)."""

    kept_photo_field = "photos"

    day = forms.DateField(
        label=_("Date"),
        widget=DayInput(),
        initial=default_day,
    )
    start = forms.TimeField(
        label=_("Started at"),
        widget=forms.TimeInput(attrs={"type": "time", "step": 900}, format="%H:%M"),
        initial=default_start,
    )
    hours = forms.DecimalField(
        label=_("Hours served"),
        min_value=Decimal("0.25"),
        max_value=Decimal("24"),
        decimal_places=2,
        initial=Decimal("1"),
        widget=forms.NumberInput(attrs={"step": "0.25", "inputmode": "decimal"}),
    )
    category = forms.ModelChoiceField(
        label=_("Kind of service"),
        queryset=Category.objects.none(),
        required=False,
        empty_label=_("Other or not specified"),
    )
    beneficiary_q = forms.CharField(
        label=_("For whom (name or pinyin)"),
        required=False,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )
    beneficiary = forms.IntegerField(required=False, widget=forms.HiddenInput)
    note = forms.CharField(
        label=_("What did you do?"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    photos = PhotosField(label=_("Photos"), required=False)

    def __init__(self, *args, street_id, residents, **kwargs):
        super().__init__(*args, **kwargs)
        self.residents = residents
        self.fields["category"].queryset = Category.objects.filter(
            street_id=street_id, active=True
        ).order_by("sort_order", "id")

    def clean_day(self):
        day = self.cleaned_data["day"]
        if day > timezone.localdate():
            raise ValidationError(_("Service in the future cannot be logged yet."))
        if day < timezone.localdate() - dt.timedelta(days=366):
            raise ValidationError(_("Service more than a year ago cannot be logged here."))
        return day

    def clean(self):
        cleaned = super().clean()
        pk, query = cleaned.get("beneficiary"), (cleaned.get("beneficiary_q") or "").strip()
        cleaned["beneficiary"] = None
        if pk:
            cleaned["beneficiary"] = self.residents.filter(pk=pk).first()
            if cleaned["beneficiary"] is None:
                self.add_error("beneficiary_q", _("Choose a resident of your community."))
        elif query:
            # Without the search list (no JavaScript), a query naming exactly one resident will do.
            found = list(self.residents.filter(pinyin_search_q(query))[:2])
            if len(found) == 1:
                cleaned["beneficiary"] = found[0]
            else:
                self.add_error(
                    "beneficiary_q",
                    _("No single resident matches “%(q)s”: pick one from the list.") % {"q": query},
                )
        # The costly part last, and only for a record that can otherwise be logged.
        if cleaned.get("photos") and not self.errors:
            try:
                cleaned["photos"] = [photo_clean(f) for f in cleaned["photos"]]
            except ValidationError as error:
                self.add_error("photos", error)
        return cleaned


class StaffServiceLogForm(ServiceLogForm):
    members = forms.ModelMultipleChoiceField(
        label=_("Members who served"),
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
    )

    field_order = ["members", "day", "start", "hours", "category", "beneficiary_q", "note"]

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["members"].queryset = members.order_by("user__name_sort")
        self.fields["members"].label_from_instance = lambda m: f"{m.name} · {m.community.name}"


class ExportForm(forms.Form):
    community = forms.ModelChoiceField(label=_("Community"), queryset=None, required=False)
    start = forms.DateField(label=_("From"), widget=DayInput())
    end = forms.DateField(label=_("To"), widget=DayInput())

    def __init__(self, *args, communities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = communities
        self.fields["community"].empty_label = _("All my communities")

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("start") and cleaned.get("end") and cleaned["end"] < cleaned["start"]:
            raise ValidationError(_("The period ends before it starts."))
        return cleaned


class SettleForm(forms.Form):
    """The hours a community admin found when checking a disputed record."""

    hours = forms.DecimalField(
        label=_("Hours after checking"),
        min_value=Decimal("0.25"),
        max_value=Decimal("24"),
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.25", "inputmode": "decimal"}),
    )
