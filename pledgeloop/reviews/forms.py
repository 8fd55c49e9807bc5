from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _

from .models import Review, ReviewWeights

# Questions that ask for the resident's judgement: nothing is chosen for them ("unsure" is an
# answer they pick, not a default), and leaving one out means the same as "not sure".
SOLVED_CHOICES = [
    ("yes", _("Yes, solved")),
    ("no", _("No, not solved")),
    ("unsure", _("Not sure")),
]
HOURS_CHOICES = [
    ("yes", _("Yes, the date and hours are right")),
    ("no", _("No, the hours are wrong")),
    ("unsure", _("Not sure")),
]


class ReviewForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("How satisfied are you with this service?"),
        choices=Review.Rating.choices,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": _("Please choose one of the five levels.")},
    )
    solved = forms.ChoiceField(
        label=_("Was your problem solved?"),
        choices=SOLVED_CHOICES,
        required=False,
        widget=forms.RadioSelect,
    )
    hours_right = forms.ChoiceField(
        label=_("Are the date and hours above right?"),
        choices=HOURS_CHOICES,
        required=False,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Anything you want to tell us (optional)"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def solved_value(self) -> bool | None:
        return {"yes": True, "no": False}.get(self.cleaned_data.get("solved") or "")

    def hours_right_value(self) -> bool | None:
        return {"yes": True, "no": False}.get(self.cleaned_data.get("hours_right") or "")


class AssessmentForm(forms.Form):
    score = forms.IntegerField(
        label=_("Score (0-100)"), validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    comment = forms.CharField(
        label=_("Comment"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class OrganisationAssessmentForm(forms.Form):
    """One row per member: score-<id> and comment-<id>; a blank score leaves the member out."""

    def __init__(self, *args, members, current, **kwargs):
        super().__init__(*args, **kwargs)
        self.members = list(members)
        for member in self.members:
            existing = current.get(member.pk)
            self.fields[f"score-{member.pk}"] = forms.IntegerField(
                label=member.name,
                required=False,
                validators=[MinValueValidator(0), MaxValueValidator(100)],
                initial=existing.score if existing else None,
            )
            self.fields[f"comment-{member.pk}"] = forms.CharField(
                label=_("Comment"),
                max_length=500,
                required=False,
                initial=existing.comment if existing else "",
            )

    def rows(self):
        for member in self.members:
            yield member, self[f"score-{member.pk}"], self[f"comment-{member.pk}"]

    def scores(self) -> dict:
        result = {}
        for member in self.members:
            score = self.cleaned_data.get(f"score-{member.pk}")
            if score is not None:
                result[member] = (score, self.cleaned_data.get(f"comment-{member.pk}", ""))
        return result


class ReviewWeightsForm(forms.ModelForm):
    class Meta:
        model = ReviewWeights
        fields = [*ReviewWeights.COMPONENTS, "target_hours", "no_evidence_grade"]
        widgets = {"no_evidence_grade": forms.RadioSelect}

    def clean(self):
        cleaned = super().clean()
        values = [cleaned.get(k) for k in ReviewWeights.COMPONENTS]
        if all(v is not None for v in values) and sum(values) != 100:
            # The same rule is a database constraint; say it once, with the total.
            self._validate_constraints = False
            raise forms.ValidationError(
                _("The weights add up to %(total)s; they must add up to 100.")
                % {"total": sum(values)}
            )
        return cleaned
