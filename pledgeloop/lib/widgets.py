"""Form widgets every app's forms share."""

from django import forms


class DayInput(forms.DateInput):
    """A browser's date picker (<input type="date">). Its value must be ISO 8601 whatever the
    language: with the locale's format ("2026/11/30" in Chinese) the browser rejects the value
    and shows an empty field (mm/dd/yyyy) although one was given."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")
