"""The world is built once per worker and shared (conftest.py, SharedWorld): each test still
starts from the same rows and objects, and a test that does not ask for it sees none of it;
a module's data built on the world (@shared_fixture) likewise.

The tests run in this order when the module runs alone (`-p no:xdist`); under xdist each
still checks its own part."""

from django.db import connection

from pledgeloop.conftest import SharedWorld, shared_fixture
from pledgeloop.orders.models import Order
from pledgeloop.orgs.models import Street
from pledgeloop.orgs.services import street_create
from pledgeloop.people.models import User


def test_a_test_writes_and_changes_the_worlds_objects(world):
    assert connection.atomic_blocks[0] is SharedWorld.atomic  # the test runs inside the world
    assert world.member is not SharedWorld.built["world"].member  # a copy of the objects
    world.member.name = "改过的名字"
    world.member.save(update_fields=["name"])
    world.street.name = "改过的街道"  # changed in memory only
    Street.objects.create(name="多出来的街道", slug="extra")


def test_the_next_test_starts_from_the_same_world(world):
    assert world.street.name == "江海街道"
    assert User.objects.get(pk=world.member.pk).name == world.member.name == "张三"
    assert not Street.objects.filter(slug="extra").exists()
    assert set(Street.objects.values_list("slug", flat=True)) == {"jianghai", "heping"}
    assert not Order.objects.exists()


@shared_fixture
def extra_street(world):
    return {
        "street": street_create(name="多出来的街道", slug="shared-extra"),
        "member": world.member,
    }


def test_module_data_is_built_on_the_same_world(world, extra_street):
    assert SharedWorld.built.keys() == {"world", "extra_street"}
    assert extra_street["member"] is world.member  # one copy of both
    assert Street.objects.filter(slug="shared-extra").exists()


def test_a_test_asking_for_the_world_alone_does_not_see_module_data(world):
    assert SharedWorld.built.keys() == {"world"}
    assert not Street.objects.filter(slug="shared-extra").exists()


def test_a_test_without_the_world_sees_an_empty_database(db):
    assert SharedWorld.atomic is None
    assert not Street.objects.exists()
    assert not User.objects.exists()
