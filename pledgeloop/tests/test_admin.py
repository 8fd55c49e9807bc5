"""The Django admin covers every model, with search and filters, and its pages load."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

from pledgeloop.people.models import User

OUR_APPS = {c.label for c in apps.get_app_configs() if c.name.startswith("pledgeloop.")}
# Join tables and throwaway counters carry no information of their own (the street's data
# version: a counter the database bumps, orgs/versions.py); a session's key is a sign-in,
# shown to nobody (people.Session, as Django's own sessions have no admin).
EXEMPT = {"service.serviceparticipant", "orgs.streetversion", "people.session"}


def our_models():
    return [m for m in apps.get_models() if m._meta.app_label in OUR_APPS]


@pytest.mark.parametrize("model", our_models(), ids=lambda m: m._meta.label_lower)
def test_every_model_has_an_admin_with_search_and_filters(model):
    if model._meta.label_lower in EXEMPT:
        return
    assert model in admin.site._registry, f"{model._meta.label} has no admin"
    model_admin = admin.site._registry[model]
    assert model_admin.search_fields, f"{model._meta.label} admin has no search"
    assert model_admin.list_filter, f"{model._meta.label} admin has no filters"


@pytest.mark.django_db
def test_admin_changelists_load_with_a_search(world, client):
    superuser = User.objects.create_superuser("13900009999", "pw-123456", name="运维")
    client.force_login(superuser)
    for model in admin.site._registry:
        if model._meta.app_label not in OUR_APPS:
            continue
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        response = client.get(url, {"q": "张"})
        assert response.status_code == 200, url


@pytest.mark.django_db
def test_street_admin_in_the_admin_sees_only_their_street(world, client):
    world.street_admin.is_staff = True
    world.street_admin.is_superuser = True  # model permissions aside, rows stay scoped
    world.street_admin.save()
    client.force_login(world.street_admin)
    # A superuser sees everything; scope applies to non-superuser staff.
    world.street_admin.is_superuser = False
    world.street_admin.save()
    from django.contrib.auth.models import Permission

    world.street_admin.user_permissions.add(Permission.objects.get(codename="view_resident"))
    page = client.get(reverse("admin:people_resident_changelist"))
    assert page.status_code == 200
    assert "李四" in page.text
    assert "赵六" not in page.text
