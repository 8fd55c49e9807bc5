"""The resident's intake form (DESIGN.md §3, C2): no account, phone first, large targets.

The form checks what a resident can fix (a wrong number, a missing tick, a bad photo) and
hands clean values to orders.services.order_submit, which checks the rules again and stores.
"""

import copy
import functools
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import TextChoices
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from pledgeloop.lib.masking import is_mainland_mobile, normalise_phone
from pledgeloop.lib.photos import PHOTO_MAX_BYTES, KeepsPhoto, photo_clean, photo_precheck
from pledgeloop.orgs.models import Category, Community, Site
from pledgeloop.people.models import Member

from .desk import IntakeDesk

HONEYPOT = "website"
CUSTOM_DAYS_AHEAD = 90
HOURS = list(range(7, 23))  # choices for a custom window: 7:00 … 22:00
# A point on the map may lie this far (in degrees, about 2 km) outside the community's sites.
MAP_MARGIN = Decimal("0.02")


class When(TextChoices):
    ASAP = "asap", _("As soon as possible")
    TODAY = "today", _("Today")
    TOMORROW_AM = "tomorrow_am", _("Tomorrow morning")
    TOMORROW_PM = "tomorrow_pm", _("Tomorrow afternoon")
    WEEKEND = "weekend", _("This weekend")
    CUSTOM = "custom", _("Another time")


def _at(day: date, hour: int) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


def time_window(
    when: str,
    *,
    now: datetime | None = None,
    day: date | None = None,
    start_hour: int | None = None,
    end_hour: int | None = None,
) -> tuple[datetime | None, datetime | None]:
    """The wanted window for a simple choice, in the site's time zone (weeks from Monday)."""
    now = timezone.localtime(now or timezone.now())
    today = now.date()
    tomorrow = today + timedelta(days=1)
    if when == When.ASAP:
        return None, None
    if when == When.TODAY:
        return now, max(_at(today, 21), now + timedelta(hours=1))
    if when == When.TOMORROW_AM:
        return _at(tomorrow, 8), _at(tomorrow, 12)
    if when == When.TOMORROW_PM:
        return _at(tomorrow, 14), _at(tomorrow, 18)
    if when == When.WEEKEND:
        saturday = today + timedelta(days=(5 - today.weekday()) % 7)
        if today.weekday() == 6:  # Sunday: this weekend's Saturday was yesterday
            saturday = today - timedelta(days=1)
        end = _at(saturday + timedelta(days=1), 18)
        if end - now < timedelta(hours=1):  # Sunday evening: the next weekend
            saturday += timedelta(days=7)
            end = _at(saturday + timedelta(days=1), 18)
        return max(now, _at(saturday, 8)), end
    if when == When.CUSTOM:
        return _at(day, start_hour), _at(day, end_hour)
    raise ValueError(when)


def _natural_key(text: str) -> list:
    """'2幢' before '10幢'."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text)]


@dataclass
class SiteOption:
    pk: int
    label: str
    latitude: Decimal
    longitude: Decimal
    is_compound: bool


@dataclass
class SiteGroup:
    name: str
    options: list[SiteOption]


def site_groups(sites: Iterable[Site]) -> list[SiteGroup]:
    """Compounds, each followed by its buildings (the compound itself for "not sure")."""
    sites = [s for s in sites if s.kind != Site.Kind.CENTRE]
    compounds = sorted(
        (s for s in sites if s.kind == Site.Kind.COMPOUND), key=lambda s: _natural_key(s.name)
    )
    buildings: dict[int, list[Site]] = {}
    loose = []
    for site in sites:
        if site.kind == Site.Kind.BUILDING:
            if site.parent_id:
                buildings.setdefault(site.parent_id, []).append(site)
            else:
                loose.append(site)
    groups = []
    for compound in compounds:
        options = [
            SiteOption(
                compound.pk,
                _("%(name)s (not sure of the building)") % {"name": compound.name},
                compound.latitude,
                compound.longitude,
                True,
            )
        ]
        for building in sorted(buildings.get(compound.pk, []), key=lambda s: _natural_key(s.name)):
            options.append(
                SiteOption(
                    building.pk,
                    f"{compound.name} {building.name}",
                    building.latitude,
                    building.longitude,
                    False,
                )
            )
        groups.append(SiteGroup(compound.name, options))
    if loose:
        groups.append(
            SiteGroup(
                str(_("Other buildings")),
                [
                    SiteOption(s.pk, s.name, s.latitude, s.longitude, False)
                    for s in sorted(loose, key=lambda s: _natural_key(s.name))
                ],
            )
        )
    return groups


class IntakeForm(KeepsPhoto, forms.Form):
    """One page: what, where, when, who to call; consent; an optional photo (kept across a
    page sent back with a mistake elsewhere: lib.photos.KeepsPhoto)."""

    category = forms.TypedChoiceField(
        coerce=int,
        label=_("What kind of help?"),
        error_messages={
            "required": _("Please choose the kind of help you need."),
            "invalid_choice": _("Please choose the kind of help you need."),
        },
    )
    description = forms.CharField(
        label=_("What help do you need?"),
        max_length=1000,
        min_length=2,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "required": _("Please say in a few words what help you need."),
            "min_length": _("Please say in a few words what help you need."),
        },
    )
    site = forms.IntegerField(required=False, min_value=1)
    address = forms.CharField(label=_("Address"), max_length=200, required=False)
    latitude = forms.DecimalField(max_digits=9, decimal_places=6, required=False)
    longitude = forms.DecimalField(max_digits=9, decimal_places=6, required=False)
    when = forms.ChoiceField(
        label=_("When?"),
        choices=When.choices,
        initial=When.ASAP,
        error_messages={"required": _("Please choose when you would like the help.")},
    )
    when_date = forms.DateField(label=_("Day"), required=False)
    when_from = forms.IntegerField(
        label=_("From"), required=False, min_value=HOURS[0], max_value=HOURS[-1]
    )
    when_until = forms.IntegerField(
        label=_("Until"), required=False, min_value=HOURS[0], max_value=HOURS[-1]
    )
    contact_name = forms.CharField(
        label=_("How should we address you?"), max_length=40, required=False
    )
    phone = forms.CharField(
        label=_("Your mobile number"),
        max_length=20,
        error_messages={"required": _("Please enter your mobile number so we can call you.")},
    )
    consent = forms.BooleanField(
        error_messages={
            "required": _(
                "Please tick the box to agree to the privacy notice; "
                "we cannot take the order without it."
            )
        },
    )
    # The separate consent to appear on public pages (PIPL art. 29): never ticked for them.
    public = forms.BooleanField(required=False)
    # A plain file input: the form never holds a photo to clear, and ClearableFileInput notes
    # each request's "clear" tick on the widget itself, which these forms share.
    # The size and its message are for the page's script (orders/resident.js), which says so
    # before sending when a photo it cannot shrink is over the limit.
    photo = forms.FileField(
        label=_("Photo (optional)"),
        required=False,
        widget=forms.FileInput(
            attrs={
                "accept": "image/*",
                "data-max-bytes": PHOTO_MAX_BYTES,
                "data-too-big": _(
                    "The photo is larger than 5 MB. Please choose a smaller photo, or leave it out."
                ),
            }
        ),
    )
    member = forms.CharField(required=False, max_length=16)
    via = forms.CharField(required=False, max_length=10)
    # This form's own random key: sent again (the first answer was lost), it files nothing
    # new (orders.services.order_submit).
    submission = forms.CharField(required=False, max_length=40)
    # The honeypot: hidden from people by CSS, filled by form-filling robots.
    website = forms.CharField(required=False, max_length=200)

    def __init__(self, desk: IntakeDesk, *args, **kwargs):
        # The fields of a form with this desk's categories, made once (see _SharedFields).
        self.base_fields = _shared_fields(tuple((c.pk, c.name) for c in desk.categories.values()))
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("submission", secrets.token_urlsafe(16))
        self.desk = desk
        self.community = desk.community

    # --- what the template draws -------------------------------------------------------

    @cached_property
    def site_groups(self) -> list[SiteGroup]:
        return site_groups(self.desk.sites.values())

    hour_choices = [(h, f"{h}:00") for h in HOURS]

    @property
    def categories(self) -> list[Category]:
        return list(self.desk.categories.values())

    def chosen(self, name: str) -> str:
        value = self.data.get(name) if self.is_bound else self.initial.get(name)
        if value is None:
            value = self.fields[name].initial
        return "" if value is None else str(value)

    @property
    def chosen_category(self) -> str:
        return self.chosen("category")

    @property
    def chosen_site(self) -> str:
        return self.chosen("site")

    @property
    def chosen_when(self) -> str:
        return self.chosen("when") or When.ASAP

    @property
    def honeypot_filled(self) -> bool:
        return bool(self.data.get(HONEYPOT, "").strip())

    # The page's error summary: for each field that can be wrong, in the page's order, where
    # on the page to go (the field itself, or its step: the category tiles, the time chips)
    # and what to call it there.
    SUMMARY = {
        "category": ("step-category", _("What kind of help?")),
        "description": ("id_description", _("What help do you need?")),
        "photo": ("id_photo", _("Photo")),
        "site": ("id_site", _("Your compound and building")),
        "address": ("id_address", _("Address")),
        "when": ("step-when", _("When?")),
        "when_date": ("step-when", _("When?")),
        "when_until": ("step-when", _("When?")),
        "phone": ("id_phone", _("Your mobile number")),
        "consent": ("id_consent", _("Privacy notice")),
    }

    def error_summary(self) -> list[tuple[str, str, str]]:
        """(where to go, what it is, what to do) for each field's mistake, in the page's
        order: the banner at the top of the page names them, a tap away (a phone in elder
        mode has the last of them some 5,000 px below)."""
        return [
            (anchor, str(what), str(message))
            for name, (anchor, what) in self.SUMMARY.items()
            for message in self.errors.get(name, [])
        ]

    # --- checks ----------------------------------------------------------------------

    def _clean_fields(self) -> None:
        """Django's BaseForm._clean_fields without a BoundField for each field: the same
        values (each widget's value from the data, the field's clean, then clean_<name>) and
        errors, as `test_intake_form_cleans_as_django_does` checks against Django's own.
        Drawing the form's 19 BoundFields on every post, which only the page drawn again
        uses, was 5 % of a post's instructions (bench/instructions.py, issue 17). The form
        has no disabled field (Django then cleans the initial value instead) and no file
        field but the photo."""
        data, files, cleaned = self.data, self.files, self.cleaned_data
        for name, field in self.fields.items():
            try:
                value = field.widget.value_from_datadict(data, files, self.add_prefix(name))
                if isinstance(field, forms.FileField):
                    cleaned[name] = field.clean(value, self.get_initial_for_field(field, name))
                else:
                    cleaned[name] = field.clean(value)
                clean_field = getattr(self, f"clean_{name}", None)
                if clean_field is not None:
                    cleaned[name] = clean_field()
            except ValidationError as error:
                self.add_error(name, error)

    def clean_phone(self) -> str:
        phone = normalise_phone(self.cleaned_data["phone"])
        if not is_mainland_mobile(phone):
            raise ValidationError(
                _("Enter an 11-digit mainland mobile number, e.g. 13812345678."),
                code="invalid_mobile",
            )
        return phone

    def clean_description(self) -> str:
        return self.cleaned_data["description"].strip()

    def clean_photo(self):
        """Only the size here: decoding waits in clean() until every other check passed."""
        photo = self.cleaned_data.get("photo")
        if photo:
            photo_precheck(photo)
        return photo or None

    def clean_category(self) -> Category:
        return self.desk.categories[self.cleaned_data["category"]]

    def clean_site(self) -> Site | None:
        pk = self.cleaned_data.get("site")
        if pk is None:
            return None
        site = self.desk.sites.get(pk)
        if site is None:
            raise ValidationError(_("That building is not in this community."))
        return site

    def clean_member(self) -> Member | None:
        return requested_member(self.cleaned_data.get("member"), self.community)

    def clean(self):
        data = super().clean()
        self._clean_point(data)
        self._clean_window(data)
        address = data.get("address", "")
        has_point = data.get("latitude") is not None
        if "site" in data and not (data.get("site") or address or has_point):
            self.add_error("address", _("Please give an address or choose your building."))
        # The costly part last, and only for an order that can otherwise be taken: anyone can
        # post a large photo with a made-up number (issue 12).
        if data.get("photo") and not self.errors:
            try:
                data["photo"] = photo_clean(data["photo"])
            except ValidationError as error:
                self.add_error("photo", error)
        return data

    def _clean_point(self, data) -> None:
        lat, lng = data.get("latitude"), data.get("longitude")
        if lat is None or lng is None:
            data["latitude"] = data["longitude"] = None
            return
        points = list(
            Site.objects.filter(community=self.community).values_list("latitude", "longitude")
        )
        if not points:
            inside = -90 <= lat <= 90 and -180 <= lng <= 180
        else:
            lats, lngs = [p[0] for p in points], [p[1] for p in points]
            inside = (min(lats) - MAP_MARGIN <= lat <= max(lats) + MAP_MARGIN) and (
                min(lngs) - MAP_MARGIN <= lng <= max(lngs) + MAP_MARGIN
            )
        if not inside:
            data["latitude"] = data["longitude"] = None
            self.add_error(
                None, _("The point on the map is outside this community. Please tap again.")
            )

    def _clean_window(self, data) -> None:
        when = data.get("when")
        if not when:
            return
        if when != When.CUSTOM:
            data["window_start"], data["window_end"] = time_window(when)
            return
        day, start, end = data.get("when_date"), data.get("when_from"), data.get("when_until")
        if day is None or start is None or end is None:
            self.add_error("when_date", _("Please choose the day and the hours you would like."))
            return
        today = timezone.localdate()
        if day < today or day > today + timedelta(days=CUSTOM_DAYS_AHEAD):
            self.add_error(
                "when_date",
                _("Please choose a day from today to %(n)s days ahead.") % {"n": CUSTOM_DAYS_AHEAD},
            )
            return
        if end <= start:
            self.add_error("when_until", _("The end time must be later than the start time."))
            return
        window = time_window(When.CUSTOM, day=day, start_hour=start, end_hour=end)
        if window[1] <= timezone.now():
            self.add_error("when_until", _("That time has already passed today."))
            return
        data["window_start"], data["window_end"] = window

    def clean_submission(self) -> str:
        key = self.cleaned_data.get("submission", "")
        return key if re.fullmatch(r"[A-Za-z0-9_-]{16,40}", key) else ""

    def submit_kwargs(self) -> dict:
        """The cleaned values as order_submit takes them."""
        data = self.cleaned_data
        return {
            "submission_key": data.get("submission", ""),
            "community": self.community,
            "category": data["category"],
            "description": data["description"],
            "phone": data["phone"],
            "consent": data["consent"],
            "public_consent": bool(data.get("public")),
            "address": data.get("address", ""),
            "site": data.get("site"),
            "latitude": data.get("latitude"),
            "longitude": data.get("longitude"),
            "window_start": data.get("window_start"),
            "window_end": data.get("window_end"),
            "contact_name": data.get("contact_name", ""),
            "photo": data.get("photo"),
            "requested_member": data.get("member"),
        }


class _SharedFields(dict):
    """An IntakeForm's fields, made once per list of categories and shared by every form
    with that list: Django deep-copies a form's fields for each instance, so that one may
    change its own, and for the intake form's 19 fields that copy was about a tenth of a
    POST's CPU (bench/intake.py). Nothing changes an intake form's fields after they are
    made (validating and drawing only read them; `test_intake_fields_are_never_changed`),
    so each form gets its own dict of the same field objects instead."""

    def __deepcopy__(self, memo) -> dict:
        return dict(self)


@functools.lru_cache(maxsize=256)
def _shared_fields(categories: tuple[tuple[int, str], ...]) -> _SharedFields:
    fields = copy.deepcopy(IntakeForm.base_fields)
    fields["category"].choices = list(categories)
    return _SharedFields(fields)


def requested_member(code: str | None, community: Community | None = None) -> Member | None:
    """The member a resident asked for by their QR page's code (active, same street)."""
    code = (code or "").strip()
    if not code:
        return None
    members = Member.objects.filter(code=code, active=True).select_related("user", "community")
    if community is not None:
        members = members.filter(street_id=community.street_id)
    return members.first()


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Why are you cancelling? (optional)"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    # A cancelled order cannot be taken back: one shaky tap must not end it.
    confirm = forms.BooleanField(
        label=_("Yes, I no longer need this help"),
        error_messages={"required": _("Tick the box to confirm, then tap the button again.")},
    )


class ReopenForm(forms.Form):
    reason = forms.CharField(
        label=_("What is still not solved?"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Please tell us what is still not solved.")},
    )
