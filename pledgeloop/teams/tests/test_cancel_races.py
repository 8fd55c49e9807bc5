"""A registration, a shift's sign-up or a booth number asked while an admin cancels the event
(PostgreSQL, real row locks): whoever waits for the lock the cancel holds is refused once it
commits, and whoever took the lock first is on record and told. Nobody ends up registered for
a cancelled event without being told."""

import datetime as dt
import threading
import time

import pytest
from django.db import connection, transaction
from django.utils import timezone

from pledgeloop.notify.models import Notification
from pledgeloop.orders.tests.loop import new_member
from pledgeloop.teams import event_changes, events, services
from pledgeloop.teams.models import QueueTicket, Registration, SignUp

from .helpers import booth_with_shift, course_in

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def while_cancelling(event, act):
    """Run `act` in a thread of its own while the cancel of `event` holds its locks, then let
    the cancel commit; `act`'s outcome ("done" or "refused", and what), once it is over."""
    locked, outcome = threading.Event(), {}

    def attempt():
        locked.wait(timeout=30)
        try:
            outcome["done"] = act()
        except services.TeamError as error:
            outcome["refused"] = str(error)
        finally:
            connection.close()

    thread = threading.Thread(target=attempt)
    thread.start()
    with transaction.atomic():
        event_changes.event_cancel(event=event, reason="因降雨取消")
        locked.set()
        time.sleep(0.5)  # the other one now waits for a lock the cancel holds
    thread.join(timeout=30)
    assert not thread.is_alive(), "the other request hung"
    return outcome


def test_a_registration_waiting_for_the_cancel_is_refused(world):
    start = timezone.now() + dt.timedelta(days=2)
    session = course_in(world, "智能手机使用课", start).sessions.get()
    outcome = while_cancelling(
        session.event,
        lambda: events.registration_submit(
            session=session, name="李明", phone="13611112222", consent=True
        ),
    )
    assert "因降雨取消" in outcome.get("refused", ""), outcome
    assert not Registration.objects.exists()


def test_a_sign_up_and_a_number_waiting_for_the_cancel_are_refused(world):
    start = timezone.now() + dt.timedelta(hours=1)
    event = course_in(world, "红色便民集市", start)
    booth, shift = booth_with_shift(world, event, "家电维修", "repairs")
    member = new_member(world, "13700001111", "张伟")
    outcome = while_cancelling(event, lambda: events.shift_signup(shift=shift, member=member))
    assert "因降雨取消" in outcome.get("refused", ""), outcome
    assert not SignUp.objects.exists()
    assert not Notification.objects.filter(kind="event_cancelled").exists()  # nobody to tell
    with pytest.raises(services.TeamError, match="因降雨取消"):
        services.queue_ticket_take(booth=booth, client_key="phone-key")
    assert not QueueTicket.objects.exists()
