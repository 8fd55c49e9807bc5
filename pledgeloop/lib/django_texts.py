"""Django's own texts that its zh_Hans catalogue does not translate yet.

Named here so that makemessages copies them into our catalogue, whose translations come
first (LOCALE_PATHS before Django's own): Django 6.1's blank choice of model fields with
choices, "- Select an option -", would otherwise show in English on Chinese pages
(/pledges/new/). And the label suffix of a form drawn whole ({{ form.as_div }}): Django's
catalogue gives ":" for ":", so Chinese labels read "用途:" where Chinese writes "用途：".
"""

from django.utils.translation import gettext_noop

DJANGO_TEXTS = [
    gettext_noop("- Select an option -"),
    gettext_noop(":"),
]
