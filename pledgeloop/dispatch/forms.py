"""Forms of the community console: needs-list filters, staff intake, triage and dispatch."""

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from pledgeloop.lib.masking import is_mainland_mobile, normalise_phone
from pledgeloop.orders.models import Order
from pledgeloop.orders.services import MORNING_REPLY, NIGHT_ENDS, NIGHT_STARTS
from pledgeloop.orgs.models import Category, Community, Site

OPEN = "open"
ALL = "all"
# How long a member has to answer an offer (派单响应时限), in hours.
RESPONSE_HOURS = [1, 2, 4, 8, 24, 48]
DEFAULT_RESPONSE_HOURS = 4


class NeedsFilterForm(forms.Form):
    """The needs list's filters. Choices are built once per request from the admin's scope."""

    category = forms.TypedChoiceField(label=_("Category"), coerce=int, required=False)
    state = forms.ChoiceField(label=_("State"), required=False)
    community = forms.TypedChoiceField(label=_("Community"), coerce=int, required=False)
    channel = forms.ChoiceField(
        label=_("Channel"),
        required=False,
        choices=[("", _("Every channel")), *Order.Channel.choices],
    )
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=60,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "placeholder": _("Order number, name, phone's last 4 digits, or words"),
            }
        ),
    )

    def __init__(self, *args, communities: list[Community], categories: list[Category], **kw):
        super().__init__(*args, **kw)
        self.fields["category"].choices = [("", _("Every category"))] + [
            (c.pk, c.name) for c in categories
        ]
        self.fields["community"].choices = [("", _("Every community"))] + [
            (c.pk, c.name) for c in communities
        ]
        self.fields["state"].choices = [
            (OPEN, _("Open (not finished)")),
            (ALL, _("Every state")),
            *Order.State.choices,
        ]

    def filters(self) -> dict:
        """Validated filters; anything invalid is ignored rather than refused."""
        data = self.cleaned_data if self.is_valid() else {}
        return {
            "category": data.get("category") or None,
            "state": data.get("state") or OPEN,
            "community": data.get("community") or None,
            "channel": data.get("channel") or None,
            "overdue": bool(data.get("overdue")),
            "q": (data.get("q") or "").strip() or None,
        }


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=300,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        error_messages={"required": _("Please give a reason.")},
    )


class RejectForm(ReasonForm):
    reason = forms.CharField(
        label=_("Reason the resident will see"),
        max_length=300,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        error_messages={"required": _("Please give a reason the resident will see.")},
    )


class DispatchForm(forms.Form):
    member = forms.TypedChoiceField(
        label=_("Member"),
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose a member to send the order to.")},
    )
    hours = forms.TypedChoiceField(
        label=_("The member must answer within"),
        coerce=int,
        initial=DEFAULT_RESPONSE_HOURS,
        choices=[(h, _("%(n)s hours") % {"n": h}) for h in RESPONSE_HOURS],
        # orders.services.reply_deadline: the desk was told 09:00 for "4 hours" at 19:07
        # with nothing saying why (session 26's walk)
        help_text=format_lazy(
            _(
                "A deadline between {night} and {day} moves to {morning} that morning: "
                "nobody is asked to answer at night."
            ),
            night=NIGHT_STARTS.strftime("%H:%M"),
            day=NIGHT_ENDS.strftime("%H:%M"),
            morning=MORNING_REPLY.strftime("%H:%M"),
        ),
    )

    def __init__(self, *args, member_ids: list[int], **kw):
        super().__init__(*args, **kw)
        self.fields["member"].choices = [(pk, pk) for pk in member_ids]


class BulkTriageForm(forms.Form):
    ids = forms.TypedMultipleChoiceField(
        coerce=int, error_messages={"required": _("Select at least one order first.")}
    )
    action = forms.ChoiceField(choices=[("triage", "triage"), ("reject", "reject")])
    reason = forms.CharField(max_length=300, required=False)

    def __init__(self, *args, order_ids: list[int], **kw):
        super().__init__(*args, **kw)
        self.fields["ids"].choices = [(pk, pk) for pk in order_ids]

    def clean(self):
        data = super().clean()
        if data.get("action") == "reject" and not (data.get("reason") or "").strip():
            raise forms.ValidationError(
                _("Please give a reason the residents will see when you return orders.")
            )
        return data


class StaffIntakeForm(forms.Form):
    """An order taken by phone or on a door-to-door visit, typed in by community staff."""

    channel = forms.ChoiceField(
        label=_("How the order came in"),
        widget=forms.RadioSelect,
        choices=[
            (Order.Channel.PHONE, Order.Channel.PHONE.label),
            (Order.Channel.VISIT, Order.Channel.VISIT.label),
        ],
        initial=Order.Channel.PHONE,
    )
    community = forms.ModelChoiceField(
        label=_("Community"),
        queryset=Community.objects.none(),
        empty_label=_("Choose a community"),
    )
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=Category.objects.none(), empty_label=_("Choose a category")
    )
    description = forms.CharField(
        label=_("What help is needed"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    contact_name = forms.CharField(label=_("How to address the resident"), max_length=40)
    phone = forms.CharField(
        label=_("Resident's mobile number"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    site = forms.ModelChoiceField(
        label=_("Building or compound"),
        queryset=Site.objects.none(),
        required=False,
        empty_label=_("No building chosen"),
    )
    address = forms.CharField(label=_("Address"), max_length=200, required=False)
    window_start = forms.DateTimeField(
        label=_("Wanted from"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    window_end = forms.DateTimeField(
        label=_("Wanted until"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    consent = forms.BooleanField(
        label=_(
            "The resident agreed to the privacy notice (read it to them) and to our use of "
            "their number to serve this order."
        ),
        error_messages={
            "required": _(
                "Tick the box once the resident has agreed; without it the order cannot be taken."
            )
        },
    )
    triage_now = forms.BooleanField(
        label=_("Put it on the needs list straight away"), required=False, initial=True
    )

    def __init__(self, *args, communities, categories, sites, **kw):
        super().__init__(*args, **kw)
        self.fields["community"].queryset = communities
        self.fields["category"].queryset = categories
        self.fields["site"].queryset = sites
        if len(communities) == 1:
            self.fields["community"].initial = communities[0].pk

    def clean_phone(self):
        phone = normalise_phone(self.cleaned_data["phone"])
        if not is_mainland_mobile(phone):
            raise forms.ValidationError(
                _("Enter an 11-digit mainland mobile number, e.g. 13812345678.")
            )
        return phone

    def clean(self):
        data = super().clean()
        community, site = data.get("community"), data.get("site")
        if community and site and site.community_id != community.pk:
            self.add_error("site", _("That building is not in this community."))
        if community and not (site or (data.get("address") or "").strip()):
            self.add_error("address", _("Please give an address or choose the building."))
        start, end = data.get("window_start"), data.get("window_end")
        if start and end and end <= start:
            self.add_error("window_end", _("The end of the wanted time must be after its start."))
        return data


class RecategoriseForm(forms.Form):
    """Correct an order's category: the street's active categories other than its own."""

    category = forms.ModelChoiceField(
        label=_("Correct category"),
        queryset=Category.objects.none(),
        empty_label=None,
        error_messages={
            "required": _("Choose the category the order belongs in."),
            "invalid_choice": _("Choose one of the categories listed."),
        },
    )

    def __init__(self, *args, order: Order, **kw):
        super().__init__(*args, **kw)
        field = self.fields["category"]
        field.queryset = Category.objects.filter(street_id=order.street_id, active=True).exclude(
            pk=order.category_id
        )
        # The list read once: a select of a queryset reads it again for every look at its
        # options (whether to mark it required, then each option). Choosing still checks
        # the choice against the queryset.
        field.choices = [(c.pk, field.label_from_instance(c)) for c in field.queryset]
