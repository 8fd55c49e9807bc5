from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pledgeloop.lib.widgets import DayInput

from .models import Article


class DraftForm(forms.Form):
    KINDS = [("week", _("A week")), ("month", _("A month"))]
    kind = forms.ChoiceField(label=_("Write about"), choices=KINDS, initial="month")
    day = forms.DateField(
        label=_("Any day in it"),
        initial=timezone.localdate,
        widget=DayInput(),
    )
    community = forms.ChoiceField(label=_("Street or community"), required=False)

    def __init__(self, *args, communities, whole_streets, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(f"street:{s.pk}", s.name) for s in whole_streets]
        choices += [(str(c.pk), c.name) for c in communities]
        self.fields["community"].choices = choices


class ArticleForm(forms.ModelForm):
    class Meta:
        model = Article
        fields = ["title", "body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 22})}
