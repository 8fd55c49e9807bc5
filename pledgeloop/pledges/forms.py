from django import forms
from django.utils.translation import gettext_lazy as _

from pledgeloop.lib.widgets import DayInput
from pledgeloop.orgs.models import Category, Site
from pledgeloop.people.models import Resident

from . import recurrence
from .access import residents_known_to
from .models import Pledge


class PledgeForm(forms.ModelForm):
    """Write or change a pledge. The instance carries its member, community and street."""

    frequency = forms.ChoiceField(
        label=_("How often"), choices=recurrence.FREQUENCY_CHOICES, initial="FREQ=WEEKLY"
    )

    class Meta:
        model = Pledge
        fields = [
            "category",
            "title",
            "details",
            "beneficiary_kind",
            "beneficiary_resident",
            "beneficiary_name",
            "beneficiary_site",
            "frequency",
            "rrule",
            "visit_time",
            "duration_minutes",
            "starts_on",
            "ends_on",
            "target_visits",
            "public",
        ]
        widgets = {
            "details": forms.Textarea(attrs={"rows": 3}),
            "beneficiary_kind": forms.RadioSelect,
            "starts_on": DayInput(),
            "ends_on": DayInput(),
            "visit_time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "target_visits": forms.NumberInput(attrs={"min": 1}),
            "rrule": forms.TextInput(
                attrs={"placeholder": "FREQ=MONTHLY;BYDAY=2SA", "spellcheck": "false"}
            ),
        }
        labels = {"rrule": _("Or write a recurrence rule (RFC 5545)")}
        help_texts = {
            "rrule": _(
                "Used when “Other” is chosen above, e.g. FREQ=WEEKLY;BYDAY=TU,TH "
                "(every Tuesday and Thursday)."
            )
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        pledge = self.instance
        self.fields["category"].queryset = Category.objects.filter(
            street_id=pledge.street_id, active=True
        )
        # Only residents the member already serves (need to know): no directory of the rest.
        known = Resident.objects.none()
        if pledge.member_id:
            known = residents_known_to(pledge.member)
        if pledge.beneficiary_resident_id:
            known = known | Resident.objects.filter(pk=pledge.beneficiary_resident_id)
        self.fields["beneficiary_resident"].queryset = known.order_by("name_sort")
        self.fields["beneficiary_site"].queryset = Site.objects.filter(
            community_id=pledge.community_id, parent__isnull=True
        ).order_by("kind", "name")
        self.fields["rrule"].required = False
        kind = self.fields["beneficiary_kind"]
        kind.choices = Pledge.Beneficiary.choices  # no empty "choose one" radio button
        if not pledge.beneficiary_kind:
            self.initial.setdefault("beneficiary_kind", Pledge.Beneficiary.GROUP)
        presets = {rule for rule, _label in recurrence.PRESETS}
        if pledge.rrule:
            rule = recurrence.normalise_rule(pledge.rrule)
            self.initial["frequency"] = rule if rule in presets else recurrence.CUSTOM
            if rule in presets:
                self.initial["rrule"] = ""

    def clean(self):
        data = super().clean()
        frequency = data.get("frequency")
        if frequency and frequency != recurrence.CUSTOM:
            data["rrule"] = frequency
            self.instance.rrule = frequency
        elif frequency == recurrence.CUSTOM and not data.get("rrule"):
            self.add_error("rrule", _("Write the rule, or choose one of the frequencies above."))
        kind = data.get("beneficiary_kind")
        # Keep only the beneficiary fields that match the chosen kind.
        if kind != Pledge.Beneficiary.RESIDENT:
            data["beneficiary_resident"] = None
        if kind != Pledge.Beneficiary.PLACE:
            data["beneficiary_site"] = None
        if kind == Pledge.Beneficiary.RESIDENT:
            data["beneficiary_name"] = ""
        return data

    def _post_clean(self):
        super()._post_clean()
        # With a chosen frequency the rule box is hidden: say what is wrong beside the choice.
        chosen = self.cleaned_data.get("frequency")
        if chosen and chosen != recurrence.CUSTOM and "rrule" in self._errors:
            self._errors.setdefault("frequency", self.error_class()).extend(
                self._errors.pop("rrule")
            )

    def pledge_fields(self) -> dict:
        """The cleaned values the services take."""
        return {name: self.cleaned_data[name] for name in self.Meta.fields if name != "frequency"}


class ReturnForm(forms.Form):
    comment = forms.CharField(
        label=_("What should the member change?"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=1000,
    )


class WithdrawForm(forms.Form):
    reason = forms.CharField(label=_("Why (optional)"), required=False, max_length=300)
