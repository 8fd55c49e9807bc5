"""Code that Django has deprecated fails the test that reaches it (pyproject.toml's
filterwarnings), while the old way still works: the failure names what to change before the
release that removes it. Checked with one deprecation Django 6.1 has (unpacking an admin
action as a tuple); when an upgrade removes it, take one of the new release's."""

import pytest
from django.contrib.admin.options import Action
from django.utils.deprecation import RemovedInDjango2028Warning


def test_a_deprecated_django_api_fails_the_test_that_uses_it():
    action = Action(func=print, name="print", description="", plural_description="", locations=[])
    with pytest.raises(RemovedInDjango2028Warning, match="Unpacking an action tuple"):
        _func, _name, _description = action
