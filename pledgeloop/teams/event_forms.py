"""Forms of the event pages: residents' registration, a place's session order, the console's
event, session, booth and shift forms. Checks that need the database are the services'."""

from django import forms
from django.utils.translation import gettext_lazy as _

from pledgeloop.lib.photos import KeepsPhoto

from .models import Event

LOCAL = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def _when(label):
    return forms.DateTimeField(label=label, widget=LOCAL, input_formats=["%Y-%m-%dT%H:%M"])


class RegistrationForm(forms.Form):
    name = forms.CharField(label=_("Your name"), max_length=40)
    phone = forms.CharField(
        label=_("Your mobile number"),
        max_length=13,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "tel"}),
    )
    consent = forms.BooleanField(
        label=_(
            "I agree that my name and number are kept to organise this event and to tell me "
            "about it (privacy notice)."
        ),
        required=False,
    )


class WithdrawForm(forms.Form):
    # As for cancelling an order: one shaky tap must not give the place away.
    confirm = forms.BooleanField(
        label=_("Yes, I cannot come"),
        error_messages={"required": _("Tick the box to confirm, then tap the button again.")},
    )


class CheckinCodeForm(forms.Form):
    code = forms.CharField(
        label=_("The session's code"),
        max_length=6,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )


class PlaceOrderForm(forms.Form):
    category = forms.ModelChoiceField(label=_("What kind of session"), queryset=None)
    description = forms.CharField(
        label=_("What you would like"), max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )
    window_start = forms.DateTimeField(
        label=_("Preferred date"), widget=LOCAL, input_formats=["%Y-%m-%dT%H:%M"], required=False
    )
    contact_name = forms.CharField(label=_("Contact person"), max_length=40)
    phone = forms.CharField(label=_("Contact's mobile number"), max_length=13)
    consent = forms.BooleanField(
        label=_("I agree that my name and number are kept to arrange the session."),
        required=False,
    )

    def __init__(self, *args, categories, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = categories


class StaffPlaceOrderForm(PlaceOrderForm):
    position = forms.ModelChoiceField(label=_("Place"), queryset=None)

    def __init__(self, *args, positions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["position"].queryset = positions
        self.order_fields(["position"])


class EventForm(forms.Form):
    community = forms.ModelChoiceField(
        label=_("Community"), queryset=None, required=False, empty_label=_("The whole street")
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=Event.Kind.choices)
    title = forms.CharField(label=_("Title"), max_length=80)
    starts_at = _when(_("Starts at"))
    ends_at = _when(_("Ends at"))
    team = forms.ModelChoiceField(label=_("Organising team"), queryset=None, required=False)
    partner = forms.CharField(label=_("Partner organisation"), max_length=80, required=False)
    place = forms.ModelChoiceField(label=_("Place"), queryset=None, required=False)
    capacity = forms.IntegerField(label=_("Places for residents"), min_value=1, required=False)
    audience = forms.CharField(
        label=_("Audience"),
        max_length=80,
        required=False,
        help_text=_("E.g. disabled residents, elders, children."),
    )
    registration = forms.BooleanField(label=_("Residents register on their phone"), required=False)
    description = forms.CharField(
        label=_("About the event"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, communities, teams, places, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = communities
        self.fields["team"].queryset = teams
        self.fields["place"].queryset = places


class EventEditForm(EventForm):
    """The new-event form, to change an event (event_changes): the same fields, the same
    checks, and the event's own team and place offered even when no longer active."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ends_at"].help_text = _(
            "A new start moves the whole event: its sessions and shifts keep their times "
            "within it. A new end changes when its last session ends."
        )

    def clean(self):
        data = super().clean()
        starts_at, ends_at = data.get("starts_at"), data.get("ends_at")
        if starts_at and ends_at and ends_at <= starts_at:
            self.add_error("ends_at", _("The end must come after the start."))
        return data


class EventCancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is it cancelled?"),
        max_length=Event._meta.get_field("cancel_reason").max_length,
        help_text=_("Everyone told reads it, e.g. 因降雨，集市取消，改期另行通知。"),
    )


class WriteUpForm(forms.Form):
    write_up = forms.CharField(
        label=_("Write-up"), required=False, widget=forms.Textarea(attrs={"rows": 5})
    )


class SessionForm(forms.Form):
    label = forms.CharField(
        label=_("Session name (optional)"),
        max_length=40,
        required=False,
        help_text=_("For example 上午场; without one the session is named by its day and time."),
    )
    starts_at = _when(_("Starts at"))
    ends_at = _when(_("Ends at"))
    capacity = forms.IntegerField(label=_("Places for residents"), min_value=1, required=False)


class BoothForm(forms.Form):
    name = forms.CharField(label=_("Booth"), max_length=40)
    category = forms.ModelChoiceField(label=_("Category"), queryset=None)
    team = forms.ModelChoiceField(label=_("Team on shift"), queryset=None, required=False)

    def __init__(self, *args, categories, teams, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = categories
        self.fields["team"].queryset = teams


class ShiftForm(forms.Form):
    session = forms.ModelChoiceField(label=_("Session"), queryset=None)
    booth = forms.ModelChoiceField(label=_("Booth"), queryset=None, required=False)
    role = forms.CharField(label=_("Or a role"), max_length=40, required=False)
    starts_at = _when(_("Starts at"))
    ends_at = _when(_("Ends at"))
    places = forms.IntegerField(label=_("People needed"), min_value=1, max_value=99, initial=2)

    def __init__(self, *args, sessions, booths, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["session"].queryset = sessions
        self.fields["booth"].queryset = booths


class VolunteerSignupForm(forms.Form):
    shift = forms.ModelChoiceField(label=_("Shift"), queryset=None)
    volunteer = forms.ModelChoiceField(label=_("Volunteer"), queryset=None)

    def __init__(self, *args, shifts, volunteers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["shift"].queryset = shifts
        self.fields["volunteer"].queryset = volunteers


class PhotoForm(KeepsPhoto, forms.Form):
    """An event's photo; kept across a page sent back with a mistake in the caption."""

    kept_photo_field = "image"

    image = forms.ImageField(label=_("Photo"))
    caption = forms.CharField(label=_("Caption"), max_length=80, required=False)
    consent_confirmed = forms.BooleanField(
        label=_("Everyone recognisable in the photo agreed to appear on public pages"),
        required=False,
    )


class OnOrderEventForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=80)
    starts_at = _when(_("Starts at"))
    ends_at = _when(_("Ends at"))
