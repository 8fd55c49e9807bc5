"""The signed-in user read with what their pages show of them, in one statement
(notify/viewer.ViewerBackend), equals what `viewer` reads on its own."""

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from pledgeloop.notify.services import notify
from pledgeloop.notify.viewer import ViewerBackend, unread_count, viewer
from pledgeloop.people.models import Role, RoleGrant, User

pytestmark = pytest.mark.django_db


def _fields(instance) -> dict:
    return {f.attname: getattr(instance, f.attname) for f in type(instance)._meta.concrete_fields}


def _viewed(user):
    request = RequestFactory().get("/console/needs/")
    request.user = user
    return viewer(request), getattr(request, "_pledgeloop_unread", None)


def test_the_user_comes_with_the_same_roles_versions_and_unread_count(world):
    admin = world.community_admin
    # a second role in the other street, and two messages of which one is read
    RoleGrant.objects.create(
        user=admin, role=Role.MEMBER, street=world.other_street, community=world.faraway
    )
    notify(user=admin, kind="order_new", title="新需求")
    notify(user=admin, kind="order_new", title="又一个需求")
    admin.notifications.filter(pk=admin.notifications.order_by("pk")[0].pk).update(
        read_at=timezone.now()
    )

    with CaptureQueriesContext(connection) as queries:
        loaded = ViewerBackend().get_user(admin.pk)
        with_user = _viewed(loaded)
    assert len(queries) == 1  # the user and what the page shows of them
    plain = User.objects.get(pk=admin.pk)
    assert not hasattr(plain, "_viewer_rows")
    alone = _viewed(plain)  # viewer's own statement
    assert with_user == alone
    versions, parts = with_user[0]
    assert {street for street, _n in versions} == {world.street.pk, world.other_street.pk}
    assert "unread:1" in parts
    assert with_user[1] == 1
    # the roles, as User.grants reads them: the same rows, streets and communities, in the
    # order of their ids, and asking for them (or their scopes) sends nothing
    orm = list(plain.role_grants.select_related("street", "community").order_by("pk"))
    with CaptureQueriesContext(connection) as asked:
        held = loaded.grants
        scopes = [(g.street.name, g.community and g.community.name) for g in held]
    assert len(asked) == 0
    assert [_fields(g) for g in held] == [_fields(g) for g in orm]
    assert scopes == [(g.street.name, g.community and g.community.name) for g in orm]
    assert [_fields(g.street) for g in held] == [_fields(g.street) for g in orm]
    assert [_fields(g.community) for g in held] == [_fields(g.community) for g in orm]
    assert len(held) == 2 and loaded.admin_community_ids() == plain.admin_community_ids()
    # the inbox badge's count comes with the user too
    request = RequestFactory().get("/me/")
    request.user = loaded
    with CaptureQueriesContext(connection) as asked:
        assert unread_count(request) == 1
    assert len(asked) == 0
    request = RequestFactory().get("/me/")
    request.user = plain  # a user read otherwise: counted by a query of its own
    with CaptureQueriesContext(connection) as asked:
        assert unread_count(request) == 1
    assert len(asked) == 1
    # the instance is the ORM's, field by field
    assert {f.attname: getattr(loaded, f.attname) for f in User._meta.concrete_fields} == {
        f.attname: getattr(plain, f.attname) for f in User._meta.concrete_fields
    }


def test_a_user_without_a_role_has_no_viewer_and_an_inactive_one_no_user(world):
    bare = User.objects.create_user("13900000199", "x-pass-199", name="无角色")
    loaded = ViewerBackend().get_user(bare.pk)
    assert loaded == bare and loaded._viewer_rows == [] and loaded.grants == []
    assert loaded._viewer_unread == 0
    assert _viewed(loaded)[0] is None
    bare.is_active = False
    bare.save(update_fields=["is_active"])
    assert ViewerBackend().get_user(bare.pk) is None
    for wrong in (0, -1, 2**63, "x", None, 987654):
        assert ViewerBackend().get_user(wrong) is None
