"""State changes with a recorded history (orders, pledges): the one way they are made.

A model with a life of states keeps its allowed moves in a table (``{state: {states it may
move to}}``) and writes one event row per change (from → to, who, when, and the app's own
fields: an order's action and source, a pledge's comment). Each app binds its model once
(``Transitions(...)`` in its services module); its services lock the row, set whatever else
changes with the move, and call ``move``, which

- refuses a move the table does not allow, raising the app's error (``OrderError``,
  ``PledgeError``) with a message for the person who tried;
- saves the state and the other changed fields with ``save(update_fields=...)``;
- writes the event row.

Nothing is saved and no event is written when the move is refused. The caller holds the row
lock and the transaction (services are atomic); this module only does the move.
"""

import datetime as dt
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass

from django.db import models
from django.utils import timezone


@dataclass(frozen=True)
class Transitions:
    """How rows of one model change state: allowed moves, the event model, the refusal."""

    moves: Mapping[str, Collection[str]]
    # The event model and the name of its foreign key to the row ("order", "pledge").
    event_model: type[models.Model]
    subject: str
    # The app's refusal: its exception class and the message for a move the table forbids
    # (given the row, still in its old state, and the target state).
    error: type[Exception]
    refusal: Callable[[models.Model, str], str]
    # Fields saved with every move (an ``auto_now`` timestamp, which update_fields must name).
    always_saved: tuple[str, ...] = ()

    def allows(self, row: models.Model, to: str) -> bool:
        return to in self.moves[row.state]

    def check(self, row: models.Model, to: str) -> None:
        """Raise the app's error unless the table allows ``row`` to move to ``to``."""
        if not self.allows(row, to):
            raise self.error(self.refusal(row, to))

    def move(
        self,
        row: models.Model,
        to: str,
        *,
        by,
        at: dt.datetime | None = None,
        fields: Iterable[str] = (),
        **event_fields,
    ) -> models.Model:
        """Move the (locked) row to ``to``, save it and record the event; return the event.

        ``fields`` names the row's other fields the caller changed along with the move
        (``triaged_at``, ``assigned_member``...): they are saved in the same UPDATE.
        ``event_fields`` are the event model's own columns (``action``, ``reason``,
        ``comment``...). The event carries the row's street, like every tenant row.
        """
        self.check(row, to)
        from_state = row.state
        row.state = to
        row.save(update_fields=["state", *self.always_saved, *fields])
        return self.event_model.objects.create(
            street_id=row.street_id,
            **{self.subject: row},
            from_state=from_state,
            to_state=to,
            by=by,
            at=at or timezone.now(),
            **event_fields,
        )
