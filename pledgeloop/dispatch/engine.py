"""The dispatch engine (派单引擎, DESIGN.md §6): who should take which open order.

A pure module: plain dataclasses or numpy arrays in, plain data out; no Django, no ORM.
docs/dispatch-engine.md describes the model; in short:

* Hard rules. The member has the order's category among their skills; the walk from the
  member's point to the order's point is within the service circle (haversine distance ×
  detour factor at walking speed, 15 minutes by default); the member's weekly availability
  meets the order's wanted window; the member has room (capacity − current load > 0).
* Cost, in minutes: walking minutes + a convex load term (the k-th new order given to a
  member costs ``load_weight × (load + k)``) − a continuity bonus (the member who last
  served the order's beneficiary) + a penalty for each order left unassigned.
* Solved exactly as a min-cost flow (OR-Tools) over a sparse candidate graph built with a
  k-d tree on unit-sphere coordinates. OR-Tools needs integer costs, so every term is
  rounded to hundredths of a minute (``COST_SCALE``) *before* it is summed: that integer
  objective is the one the engine minimises and the one every comparison uses.

Entry points: ``suggest`` and ``greedy`` (dataclasses, for the console), ``candidates_for``
(one order's ranked candidates), and ``solve_arrays`` / ``greedy_arrays`` / ``objective``
(arrays, for batches at city scale and for the benchmark).
"""

from __future__ import annotations

import enum
import math
import time
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
from ortools.graph.python import min_cost_flow

EARTH_RADIUS_KM = 6371.0088  # the mean radius, as in pledgeloop.lib.geo
COST_SCALE = 100  # integer cost unit: 1/100 minute
HOURS_PER_WEEK = 168
ALL_HOURS = (1 << HOURS_PER_WEEK) - 1
_WORD = (1 << 64) - 1
NO_MEMBER = -1


def gettext_noop(text: str) -> str:
    """Marks text for translation without importing Django; the console translates it."""
    return text


class Reason(enum.StrEnum):
    """Why an order was left unassigned, in the order the engine checks them."""

    NO_SKILLED_MEMBER_IN_RANGE = "no_skilled_member_in_range"
    NONE_AVAILABLE_IN_WINDOW = "none_available_in_window"
    ALL_AT_CAPACITY = "all_at_capacity"
    TAKEN_BY_OTHER_ORDERS = "taken_by_other_orders"
    COSTLIER_THAN_UNASSIGNED = "costlier_than_unassigned"

    @property
    def text(self) -> str:
        return REASON_TEXT[self]


REASON_TEXT = {
    Reason.NO_SKILLED_MEMBER_IN_RANGE: gettext_noop(
        "No member with this skill lives within the service circle."
    ),
    Reason.NONE_AVAILABLE_IN_WINDOW: gettext_noop(
        "Members with this skill are in range, but none is available in the wanted time."
    ),
    Reason.ALL_AT_CAPACITY: gettext_noop(
        "Every skilled member in range who is available already has a full load."
    ),
    Reason.TAKEN_BY_OTHER_ORDERS: gettext_noop(
        "All feasible members were taken by other orders in this batch."
    ),
    Reason.COSTLIER_THAN_UNASSIGNED: gettext_noop(
        "Every feasible member with room would cost more than leaving the order open."
    ),
}
_REASONS = list(Reason)  # code i + 1 in arrays; 0 means assigned


class Rule(enum.StrEnum):
    """A hard rule a candidate member breaks for one order."""

    NO_SKILL = "no_skill"
    OUT_OF_RANGE = "out_of_range"
    NOT_AVAILABLE = "not_available"
    AT_CAPACITY = "at_capacity"


@dataclass(frozen=True, slots=True)
class DispatchConfig:
    """Tunables. Costs are in minutes; ``candidate_limit`` caps each order's candidates at its
    k nearest feasible members (None: every feasible member; continuity members always stay);
    ``alternatives`` is how many runners-up each result lists; ``workers`` the threads for
    big k-d tree queries."""

    max_walk_minutes: float = 15.0
    detour_factor: float = 1.3
    walking_kmh: float = 5.0
    load_weight: float = 1.0
    continuity_bonus: float = 5.0
    unassigned_penalty: float = 60.0
    candidate_limit: int | None = None
    alternatives: int = 2
    workers: int = 2

    def __post_init__(self):
        if self.max_walk_minutes <= 0 or self.detour_factor <= 0 or self.walking_kmh <= 0:
            raise ValueError("Walking limit, detour factor and speed must be positive.")
        if self.load_weight < 0 or self.continuity_bonus < 0 or self.unassigned_penalty < 0:
            raise ValueError("Load weight, continuity bonus and penalty cannot be negative.")
        if self.candidate_limit is not None and self.candidate_limit < 1:
            raise ValueError("candidate_limit must be at least 1 (or None for no cap).")
        if self.alternatives < 0 or self.workers < 1:
            raise ValueError("alternatives cannot be negative and workers must be at least 1.")

    @property
    def max_walk_km(self) -> float:
        return self.max_walk_minutes / 60 * self.walking_kmh / self.detour_factor

    def scaled(self, minutes: float) -> int:
        return int(round(minutes * COST_SCALE))


# --- plain data in ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Order:
    """An open order. The window is local wall-clock time (None, None = any time)."""

    id: Hashable
    category: Hashable
    lat: float
    lng: float
    window_start: datetime | None = None
    window_end: datetime | None = None
    deadline: datetime | None = None
    beneficiary_id: Hashable | None = None


@dataclass(frozen=True, slots=True)
class Member:
    """A member who may take orders.

    ``availability`` maps weekday (0 = Monday, int or str) to ``[start_hour, end_hour)`` ranges,
    as ``people.Member.availability`` stores it; None means any time, {} means never.
    ``last_served`` holds the beneficiaries whose most recent service was by this member.
    """

    id: Hashable
    skills: frozenset
    lat: float
    lng: float
    availability: Mapping | None = None
    capacity: int = 3
    load: int = 0
    last_served: frozenset = frozenset()


# --- plain data out -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CostTerms:
    """The terms that decided a pairing, in minutes: total = walk + load − continuity."""

    walk: float
    load: float
    continuity: float

    @property
    def total(self) -> float:
        return round(self.walk + self.load - self.continuity, 2)

    @classmethod
    def of(cls, scaled) -> CostTerms:
        """From scaled (walk, load, continuity)."""
        walk, load, continuity = (int(x) / COST_SCALE for x in scaled)
        return cls(walk, load, continuity)


@dataclass(frozen=True, slots=True)
class Alternative:
    """Another member for an order, costed against the suggestion's loads."""

    member_id: Hashable
    walk_minutes: float
    terms: CostTerms
    has_room: bool  # False: taking this member means displacing one of their suggestions


@dataclass(frozen=True, slots=True)
class OrderResult:
    order_id: Hashable
    member_id: Hashable | None
    walk_minutes: float | None
    terms: CostTerms | None
    reason: Reason | None
    alternatives: tuple[Alternative, ...] = ()

    @property
    def reason_text(self) -> str | None:
        return self.reason.text if self.reason else None


@dataclass(frozen=True, slots=True)
class Totals:
    total_cost: float  # minutes, the objective including penalties
    assigned: int
    orders: int
    mean_walk_minutes: float
    max_load: int  # the highest load after the suggestion among members who were given orders
    max_new_orders: int


@dataclass(frozen=True, slots=True)
class Assignment:
    results: tuple[OrderResult, ...]  # in the order the orders were given
    totals: Totals
    method: str  # "flow", or "greedy" when the baseline was asked for or the flow failed

    def result_for(self, order_id: Hashable) -> OrderResult:
        return next(r for r in self.results if r.order_id == order_id)


@dataclass(frozen=True, slots=True)
class Candidate:
    member_id: Hashable
    walk_minutes: float
    terms: CostTerms  # as if this order were the member's next one
    feasible: bool
    broken: tuple[Rule, ...]  # hard rules broken, empty when feasible


# --- arrays -------------------------------------------------------------------------------


@dataclass(slots=True)
class Problem:
    """A batch as arrays. Slots are 168-bit weekly hour masks in three uint64 words
    (bit = weekday × 24 + hour); skills are uint64 bitmasks over category numbers 0-63."""

    order_lat: np.ndarray  # float64 (n,)
    order_lng: np.ndarray
    order_category: np.ndarray  # int (n,), 0-63
    order_slots: np.ndarray  # uint64 (n, 3)
    order_rank: np.ndarray  # float64 (n,): greedy order (deadline), smaller first
    member_lat: np.ndarray  # float64 (m,)
    member_lng: np.ndarray
    member_skills: np.ndarray  # uint64 (m,)
    member_slots: np.ndarray  # uint64 (m, 3)
    member_capacity: np.ndarray  # int64 (m,)
    member_load: np.ndarray  # int64 (m,)
    bonus_pairs: np.ndarray = field(default_factory=lambda: np.zeros((0, 2), np.int64))

    @property
    def n_orders(self) -> int:
        return len(self.order_lat)

    @property
    def n_members(self) -> int:
        return len(self.member_lat)


@dataclass(slots=True)
class Edges:
    """Candidate order→member pairs sorted by (order, walk, member); walk and bonus scaled."""

    order: np.ndarray
    member: np.ndarray
    walk: np.ndarray
    bonus: np.ndarray

    def __len__(self) -> int:
        return len(self.order)


@dataclass(slots=True)
class Certificate:
    """Proof that a solution on the capped candidate graph is optimal on the full one.

    After solving on the capped graph, node potentials are read off the residual network
    (shortest distances, so every residual arc has a non-negative reduced cost), and every
    feasible pair left out of the graph is priced with them: reduced cost = walk − continuity
    + π(order) − π(member). A pair with a negative reduced cost could improve the solution,
    so those pairs join the graph and it is solved again, until none is left. ``gap_bound``
    (scaled) bounds how far the final cost can be above the optimum over every feasible pair:
    minus the sum of the negative reduced costs still left, so 0 means proven optimal."""

    rounds: int  # solves after the first
    priced: int  # missing pairs priced over all rounds (those within reach; see _price)
    added: int  # pairs added to the graph over all rounds
    gap_bound: int  # scaled; 0 = optimal over all feasible pairs

    @property
    def optimal(self) -> bool:
        return self.gap_bound == 0


@dataclass(slots=True)
class Solution:
    """Per order: member index (−1 none), scaled terms (walk, load, continuity), a reason code
    (0 = assigned, else ``_REASONS[code - 1]``) and alternatives (−1 padded) with their terms
    and whether the member still has room. Per member: the new orders given."""

    member: np.ndarray  # (n,)
    terms: np.ndarray  # (n, 3)
    reason: np.ndarray  # (n,)
    alt_member: np.ndarray  # (n, alternatives)
    alt_terms: np.ndarray  # (n, alternatives, 3)
    alt_room: np.ndarray  # (n, alternatives)
    new_load: np.ndarray  # (m,)
    total_cost: int  # scaled
    edges: int
    arcs: int
    method: str
    timings: dict[str, float]
    certificate: Certificate | None = None

    @property
    def assigned(self) -> int:
        return int((self.member >= 0).sum())

    def reason_at(self, i: int) -> Reason | None:
        code = int(self.reason[i])
        return _REASONS[code - 1] if code else None


# --- geometry and weekly slots -------------------------------------------------------------


def unit_sphere(lat: np.ndarray, lng: np.ndarray) -> np.ndarray:
    la, ln = np.radians(lat), np.radians(lng)
    return np.column_stack([np.cos(la) * np.cos(ln), np.cos(la) * np.sin(ln), np.sin(la)])


def walk_minutes(lat1, lng1, lat2, lng2, config: DispatchConfig) -> np.ndarray:
    """Haversine distance × detour factor at walking speed, in minutes (vectorised)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(np.asarray(lng2) - np.asarray(lng1))
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    km = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
    return km * config.detour_factor / config.walking_kmh * 60


def window_hours(start: datetime | None, end: datetime | None) -> int:
    """The weekly hours an order's window touches, as a 168-bit mask.

    Both None: any time. Only one given: the hour at that end. The datetimes' own wall-clock
    fields are read, so pass local time (``timezone.localtime``).
    """
    if start is None and end is None:
        return ALL_HOURS
    if start is None:
        start = end - timedelta(hours=1)
    if end is None or end <= start:
        end = start + timedelta(microseconds=1)
    hour = start.replace(minute=0, second=0, microsecond=0)
    mask = 0
    for _ in range(HOURS_PER_WEEK):
        if hour >= end:
            break
        mask |= 1 << (hour.weekday() * 24 + hour.hour)
        hour += timedelta(hours=1)
    return mask


def availability_hours(availability: Mapping | None) -> int:
    """{weekday: [[start_hour, end_hour), ...]} as a 168-bit mask; None means any time."""
    if availability is None:
        return ALL_HOURS
    mask = 0
    for day, ranges in availability.items():
        if not 0 <= int(day) <= 6:
            raise ValueError(f"Weekday {day!r} is not 0 (Monday) to 6 (Sunday).")
        for start, end in ranges:
            for hour in range(max(0, int(start)), min(24, int(end))):
                mask |= 1 << (int(day) * 24 + hour)
    return mask


def hour_words(masks: Iterable[int]) -> np.ndarray:
    return np.array([[m & _WORD, (m >> 64) & _WORD, m >> 128] for m in masks], np.uint64).reshape(
        -1, 3
    )


def _meets(order_slots: np.ndarray, member_slots: np.ndarray) -> np.ndarray:
    """Whether each order window shares an hour with each member's week (row by row)."""
    a, b = order_slots, member_slots
    return ((a[:, 0] & b[:, 0]) | (a[:, 1] & b[:, 1]) | (a[:, 2] & b[:, 2])) != 0


def _share(windows: np.ndarray, slots: np.ndarray) -> np.ndarray:
    """For each window, the share of the given weeks that meet it (every pair)."""
    share = np.zeros(len(windows))
    step = max(1, 2**22 // max(len(slots), 1))
    for at in range(0, len(windows), step):
        w = windows[at : at + step]
        hit = np.zeros((len(w), len(slots)), bool)
        for word in range(3):
            hit |= (w[:, word, None] & slots[None, :, word]) != 0
        share[at : at + step] = hit.mean(axis=1)
    return share


def _walk_of(problem: Problem, order: np.ndarray, member: np.ndarray, config) -> np.ndarray:
    """Walking minutes (float) for pairs of order and member indices."""
    return walk_minutes(
        problem.order_lat[order],
        problem.order_lng[order],
        problem.member_lat[member],
        problem.member_lng[member],
        config,
    )


def _scaled(minutes: np.ndarray) -> np.ndarray:
    return np.rint(minutes * COST_SCALE).astype(np.int64)


def _has_skill(skills: np.ndarray, category: np.ndarray) -> np.ndarray:
    return ((skills >> category.astype(np.uint64)) & np.uint64(1)) == 1


def _slot_cost(load_after: np.ndarray, config: DispatchConfig) -> np.ndarray:
    """Scaled cost of the order that brings a member's load to ``load_after``."""
    return np.rint(load_after * (config.load_weight * COST_SCALE)).astype(np.int64)


def _bonus_of(order: np.ndarray, member: np.ndarray, problem: Problem, config: DispatchConfig):
    pairs = problem.bonus_pairs
    if not len(pairs) or not config.continuity_bonus:
        return np.zeros(len(order), np.int64)
    m = np.int64(max(problem.n_members, 1))
    keys = np.unique(pairs[:, 0] * m + pairs[:, 1])
    wanted = order.astype(np.int64) * m + member
    pos = np.minimum(np.searchsorted(keys, wanted), len(keys) - 1)
    return np.where(keys[pos] == wanted, config.scaled(config.continuity_bonus), 0)


# --- candidate graph ----------------------------------------------------------------------


def candidate_edges(problem: Problem, config: DispatchConfig, limit: int | None = None) -> Edges:
    """Every feasible (order, member) pair, or each order's ``limit`` nearest feasible ones
    plus its continuity members. One k-d tree per category over the members with that skill
    and room; distances are chords on the unit sphere, checked again with haversine."""
    usable = (problem.member_capacity > problem.member_load) & problem.member_slots.any(axis=1)
    chord = _chord(config)
    o_xyz = unit_sphere(problem.order_lat, problem.order_lng)
    m_xyz = unit_sphere(problem.member_lat, problem.member_lng)
    parts_o, parts_m = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)]
    for category in np.unique(problem.order_category):
        orders = np.flatnonzero(problem.order_category == category)
        members = np.flatnonzero(usable & _has_skill(problem.member_skills, np.int64(category)))
        if not len(members):
            continue
        tree = _kd_tree(m_xyz[members])
        if limit is None:
            hits = _kd_tree(o_xyz[orders]).sparse_distance_matrix(
                tree, chord, output_type="ndarray"
            )
            o, m = orders[hits["i"]], members[hits["j"]]
            meets = _meets(problem.order_slots[o], problem.member_slots[m])
            o, m = o[meets], m[meets]
        else:
            o, m = _nearest_in_tree(tree, members, orders, o_xyz, chord, limit, problem, config)
        parts_o.append(o)
        parts_m.append(m)
    order, member = np.concatenate(parts_o), np.concatenate(parts_m)
    pairs = problem.bonus_pairs
    if limit is not None and len(pairs):
        o, m = pairs[:, 0], pairs[:, 1]
        keep = usable[m] & _has_skill(problem.member_skills[m], problem.order_category[o])
        keep &= _meets(problem.order_slots[o], problem.member_slots[m])
        order = np.concatenate([order, o[keep]])
        member = np.concatenate([member, m[keep]])
        # a continuity member may also be a tree hit: keep each pair once
        _, first = np.unique(order * np.int64(problem.n_members) + member, return_index=True)
        order, member = order[first], member[first]
    return _finish_edges(order, member, problem, config, limit)


def _chord(config: DispatchConfig) -> float:
    """The service circle as a chord of the unit sphere, a hair wide (haversine decides)."""
    theta = min(config.max_walk_km / EARTH_RADIUS_KM, math.pi)
    return 2 * math.sin(theta / 2) * (1 + 1e-9) + 1e-12


def _kd_tree(points: np.ndarray):
    """scipy's k-d tree of `points`. scipy.spatial is imported here, on the first dispatch,
    not as every process starts: it is a fifth of a second of CPU that the worker, manage.py
    commands and the pages that never dispatch would pay for nothing. A third-party library,
    not one of our layers: this late import dodges no layer rule."""
    from scipy.spatial import cKDTree  # noqa: PLC0415

    return cKDTree(points)


def _nearest_in_tree(tree, members, orders, o_xyz, chord, limit, problem, config):
    """The ``limit`` nearest members in ``tree`` that meet each order's window.

    The tree knows distance, not time, so each order asks for as many neighbours as should
    hold ``limit`` who meet its window, judged by the share of (about 512 of) the members
    who meet it, at most 8 × ``limit``; an order that comes up short asks again, for more,
    until it has enough or has seen every member in range. Asks are rounded up to multiples
    of 16 and grouped.
    """
    n = len(members)
    windows, which = np.unique(problem.order_slots[orders], axis=0, return_inverse=True)
    share = _share(windows, problem.member_slots[members[:: max(1, n // 512)]])
    rare = np.flatnonzero(share == 0)  # hours few members give: count them all
    share[rare] = _share(windows[rare], problem.member_slots[members])
    share = share[which.ravel()]
    orders, share = orders[share > 0], share[share > 0]  # nobody meets the rest
    want = np.minimum(limit * 1.25 / share, 8 * limit)
    found_o, found_m = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)]
    while len(orders):
        ask = np.minimum(n, 16 * np.ceil(want / 16)).astype(np.int64)
        again_o, again_want = [], []
        for k in np.unique(ask):
            these = orders[ask == k]
            # scipy starts fresh threads for each parallel query: worth it only for big ones
            workers = config.workers if len(these) * k > 50_000 else 1
            _, j = tree.query(o_xyz[these], k=int(k), distance_upper_bound=chord, workers=workers)
            j = j.reshape(len(these), -1)
            hit = np.flatnonzero(j < n)  # row-major: by order, nearest first
            row, mem = hit // k, members[j.ravel()[hit]]
            ok = _meets(problem.order_slots[these[row]], problem.member_slots[mem])
            row, mem = row[ok], mem[ok]
            got = np.bincount(row, minlength=len(these))
            done = (j[:, -1] >= n) | (k >= n) | (got >= limit)
            rank = np.arange(len(row)) - np.searchsorted(row, row)
            keep = done[row] & (rank < limit)
            found_o.append(these[row[keep]])
            found_m.append(mem[keep])
            again_o.append(these[~done])
            again_want.append(np.clip(2.0 * k * limit / np.maximum(got[~done], 1), 2 * k, 8 * k))
        orders, want = np.concatenate(again_o), np.concatenate(again_want)
    return np.concatenate(found_o), np.concatenate(found_m)


def _finish_edges(order, member, problem, config, limit) -> Edges:
    walk = _walk_of(problem, order, member, config)
    inside = walk <= config.max_walk_minutes
    order, member, walk_c = order[inside], member[inside], _scaled(walk[inside])
    order, walk_c, member = _sorted_by(order, walk_c, member, problem.n_members)
    bonus = _bonus_of(order, member, problem, config)
    if limit is not None and len(order):
        rank = np.arange(len(order)) - np.searchsorted(order, order)
        keep = (rank < limit) | (bonus > 0)
        order, member, walk_c, bonus = order[keep], member[keep], walk_c[keep], bonus[keep]
    return Edges(order, member, walk_c, bonus)


def _sorted_by(first, second, third, third_span):
    """Sort three non-negative int64 arrays together, lexicographically, by one packed key
    when it fits in 63 bits (much faster than lexsort)."""
    if not len(first):
        return first, second, third
    second_span = int(second.max()) + 1
    if int(first.max() + 1) * second_span * third_span < 2**63:
        key = np.sort((first * second_span + second) * third_span + third)
        rest, third = np.divmod(key, third_span)
        first, second = np.divmod(rest, second_span)
        return first, second, third
    by = np.lexsort((third, second, first))
    return first[by], second[by], third[by]


# --- solving ------------------------------------------------------------------------------


@dataclass(slots=True)
class FlowGraph:
    """The min-cost-flow network: arcs (all capacity 1) and node supplies. The first
    ``len(edges)`` arcs are the order→member edges, in the edges' order."""

    tails: np.ndarray  # int32
    heads: np.ndarray  # int32
    costs: np.ndarray  # int64, scaled
    supplies: np.ndarray  # int64 per node


def flow_graph(problem: Problem, config: DispatchConfig, edges: Edges) -> FlowGraph:
    """Nodes: each order with candidates (supply 1), each member with candidates, one sink.
    Arcs: order→member (cost walk − continuity); member→sink, one arc per unit of room up to
    the member's number of candidates, the k-th costing load_weight × (load + k) (increasing,
    so the flow fills them in order: the convex load term); order→sink (the unassigned
    penalty), so a feasible flow always exists."""
    active, o_node = np.unique(edges.order, return_inverse=True)
    used, m_node = np.unique(edges.member, return_inverse=True)
    n_active, n_used = len(active), len(used)
    sink = n_active + n_used
    degree = np.bincount(m_node, minlength=n_used)
    slots = np.minimum(problem.member_capacity[used] - problem.member_load[used], degree)
    slot_tail = np.repeat(np.arange(n_used), slots)
    slot_k = np.arange(len(slot_tail)) - np.repeat(np.cumsum(slots) - slots, slots) + 1
    slot_cost = _slot_cost(problem.member_load[used][slot_tail] + slot_k, config)
    tails = np.concatenate([o_node, n_active + slot_tail, np.arange(n_active)])
    heads = np.concatenate(
        [n_active + m_node, np.full(len(slot_tail) + n_active, sink, dtype=np.int64)]
    )
    penalty = np.full(n_active, config.scaled(config.unassigned_penalty), np.int64)
    supplies = np.zeros(sink + 1, np.int64)
    supplies[:n_active] = 1
    supplies[sink] = -n_active
    return FlowGraph(
        tails=tails.astype(np.int32),
        heads=heads.astype(np.int32),
        costs=np.concatenate([edges.walk - edges.bonus, slot_cost, penalty]).astype(np.int64),
        supplies=supplies,
    )


def solve_arrays(problem: Problem, config: DispatchConfig = DispatchConfig()) -> Solution:
    """The optimal suggestion for a batch: a min-cost flow over ``flow_graph``. With a
    candidate cap, the capped graph's solution is then priced against every feasible pair
    and re-solved until it is optimal over all of them (``Certificate``)."""
    clock = time.perf_counter()
    edges = candidate_edges(problem, config, config.candidate_limit)
    timings = {"candidates": time.perf_counter() - clock, "build": 0.0, "solve": 0.0}
    flow = _min_cost_flow(problem, config, edges, timings)
    if flow is None:  # cannot happen with finite costs; fall back rather than fail
        return greedy_arrays(problem, config, edges=edges)
    certificate = None
    if config.candidate_limit is not None:
        rounds = added = priced_total = 0
        timings["pricing"] = 0.0
        while True:
            clock = time.perf_counter()
            priced, more = _price(problem, config, edges, *flow)
            timings["pricing"] += time.perf_counter() - clock
            priced_total += priced
            gap_bound = -int(more.walk.sum() - more.bonus.sum())  # their reduced costs, < 0
            if not gap_bound or rounds == MAX_PRICING_ROUNDS:
                break
            added += len(more)
            rounds += 1
            edges = _finish_edges(
                np.concatenate([edges.order, more.order]),
                np.concatenate([edges.member, more.member]),
                problem,
                config,
                None,
            )
            flow = _min_cost_flow(problem, config, edges, timings)
            if flow is None:
                return greedy_arrays(problem, config, edges=edges)
        certificate = Certificate(rounds, priced_total, added, gap_bound)
    graph, flows = flow
    chosen = flows[: len(edges)]
    member = np.full(problem.n_orders, NO_MEMBER, np.int64)
    member[edges.order[chosen]] = edges.member[chosen]
    solution = _explain(problem, config, edges, member, "flow", timings, arcs=len(graph.tails))
    solution.certificate = certificate
    return solution


MAX_PRICING_ROUNDS = 20


def _min_cost_flow(problem, config, edges, timings):
    """Solve ``flow_graph`` with OR-Tools: (graph, mask of arcs carrying flow), or None."""
    clock = time.perf_counter()
    graph = flow_graph(problem, config, edges)
    flow = min_cost_flow.SimpleMinCostFlow()
    flow.add_arcs_with_capacity_and_unit_cost(
        graph.tails, graph.heads, np.ones(len(graph.tails), np.int64), graph.costs
    )
    flow.set_nodes_supplies(np.arange(len(graph.supplies), dtype=np.int32), graph.supplies)
    timings["build"] += time.perf_counter() - clock
    clock = time.perf_counter()
    status = flow.solve()
    if status != flow.OPTIMAL:
        return None
    used = flow.flows(np.arange(len(graph.tails), dtype=np.int32)) > 0
    timings["solve"] += time.perf_counter() - clock
    return graph, used


def _price(problem, config, edges, graph, flows) -> tuple[int, Edges]:
    """Price the feasible pairs missing from ``edges`` under potentials of the current flow.

    Returns how many pairs were priced and those with a negative reduced cost, as Edges whose
    ``walk`` holds the reduced cost and ``bonus`` 0. A missing pair never has a continuity
    bonus (those pairs are always candidates), so its reduced cost is walk + π(o) − π(m):
    negative only if the walk is shorter than π(m) − π(o) ≤ (the highest potential of a
    member with the skill) − π(o). Each order is priced against the members within that walk
    only; pairs beyond it are non-negative by that bound, without being listed."""
    active, o_node = np.unique(edges.order, return_inverse=True)
    used_members = np.unique(edges.member)
    n_active, n_used = len(active), len(used_members)
    sink = n_active + n_used
    # Residual network: an arc with flow becomes its reverse at minus its cost.
    tails = np.where(flows, graph.heads, graph.tails).astype(np.int64)
    heads = np.where(flows, graph.tails, graph.heads).astype(np.int64)
    costs = np.where(flows, -graph.costs, graph.costs)
    # A member's next unit of room beyond its candidates (the flow graph stops at as many
    # slots as it has candidates): its cheapest missing slot arc, so the potentials hold for
    # a graph with every unit of room.
    degree = np.bincount(np.searchsorted(used_members, edges.member), minlength=n_used)
    room = problem.member_capacity[used_members] - problem.member_load[used_members]
    more = np.flatnonzero(room > degree)
    tails = np.concatenate([tails, n_active + more])
    heads = np.concatenate([heads, np.full(len(more), sink)])
    costs = np.concatenate(
        [costs, _slot_cost(problem.member_load[used_members[more]] + degree[more] + 1, config)]
    )
    potential = _shortest_from_everywhere(sink + 1, tails, heads, costs)

    # Potentials of every order and member; members outside the graph only have unused arcs
    # to the sink, so the lowest potential that keeps their first slot arc non-negative.
    p_order = np.zeros(problem.n_orders, np.int64)
    p_order[active] = potential[:n_active]
    p_member = potential[sink] - _slot_cost(problem.member_load + 1, config)
    p_member[used_members] = potential[n_active : n_active + n_used]

    usable = (problem.member_capacity > problem.member_load) & problem.member_slots.any(axis=1)
    m_xyz = unit_sphere(problem.member_lat, problem.member_lng)
    parts_o, parts_m = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)]
    for category in np.unique(problem.order_category[active]):
        orders = active[problem.order_category[active] == category]
        members = np.flatnonzero(usable & _has_skill(problem.member_skills, np.int64(category)))
        if not len(members):
            continue
        reach = (p_member[members].max() - p_order[orders]) / COST_SCALE  # minutes
        orders, reach = orders[reach > 0], np.minimum(reach[reach > 0], config.max_walk_minutes)
        if not len(orders):
            continue
        km = reach / 60 * config.walking_kmh / config.detour_factor
        chord = 2 * np.sin(np.minimum(km / EARTH_RADIUS_KM, math.pi) / 2) * (1 + 1e-9) + 1e-12
        tree = _kd_tree(m_xyz[members])
        hits = tree.query_ball_point(
            unit_sphere(problem.order_lat[orders], problem.order_lng[orders]),
            chord,
            return_sorted=False,
        )
        counts = np.fromiter((len(h) for h in hits), np.int64, len(hits))
        if not counts.sum():
            continue
        o = np.repeat(orders, counts)
        m = members[np.fromiter((j for h in hits for j in h), np.int64, int(counts.sum()))]
        meets = _meets(problem.order_slots[o], problem.member_slots[m])
        parts_o.append(o[meets])
        parts_m.append(m[meets])
    near = _finish_edges(np.concatenate(parts_o), np.concatenate(parts_m), problem, config, None)

    span = np.int64(max(problem.n_members, 1))
    known = np.sort(edges.order * span + edges.member)
    key = near.order * span + near.member
    pos = np.minimum(np.searchsorted(known, key), len(known) - 1)
    missing = np.flatnonzero(known[pos] != key)
    reduced = (
        near.walk[missing]
        - near.bonus[missing]
        + p_order[near.order[missing]]
        - p_member[near.member[missing]]
    )
    pick = missing[reduced < 0]
    found = Edges(near.order[pick], near.member[pick], reduced[reduced < 0], near.bonus[pick] * 0)
    return len(missing), found


def _shortest_from_everywhere(n_nodes, tails, heads, costs) -> np.ndarray:
    """Shortest distances in a network with no negative cycle from a virtual root joined to
    every node at cost 0 (Bellman-Ford, one vectorised relaxation of every arc per round)."""
    distance = np.zeros(n_nodes, np.int64)
    for _ in range(n_nodes + 1):
        relaxed = distance.copy()
        np.minimum.at(relaxed, heads, distance[tails] + costs)
        if np.array_equal(relaxed, distance):
            return distance
        distance = relaxed
    raise ArithmeticError("negative cycle in a residual network: the flow was not optimal")


def greedy_arrays(
    problem: Problem, config: DispatchConfig = DispatchConfig(), edges: Edges | None = None
) -> Solution:
    """The baseline: orders by deadline (then input order), each to the nearest feasible member
    who still has room. It sees every feasible member (no candidate cap)."""
    clock = time.perf_counter()
    if edges is None or config.candidate_limit is not None:
        edges = candidate_edges(problem, config, None)
    timings = {"candidates": time.perf_counter() - clock, "build": 0.0}
    clock = time.perf_counter()
    room = (problem.member_capacity - problem.member_load).astype(np.int64)
    starts = np.searchsorted(edges.order, np.arange(problem.n_orders + 1))
    member = np.full(problem.n_orders, NO_MEMBER, np.int64)
    for i in np.lexsort((np.arange(problem.n_orders), problem.order_rank)):
        mine = edges.member[starts[i] : starts[i + 1]]
        if not len(mine):
            continue
        free = room[mine] > 0
        if free.any():
            j = mine[int(free.argmax())]
            member[i] = j
            room[j] -= 1
    timings["solve"] = time.perf_counter() - clock
    return _explain(problem, config, edges, member, "greedy", timings, arcs=len(edges))


def _explain(problem, config, edges, member, method, timings, arcs) -> Solution:
    """Terms, reasons, alternatives and totals for a chosen assignment."""
    clock = time.perf_counter()
    n, m = problem.n_orders, problem.n_members
    assigned = member >= 0
    idx = np.flatnonzero(assigned)
    new_load = np.bincount(member[idx], minlength=m)
    walk, bonus, load = _order_terms(problem, member, config)

    # alternatives: other candidates, costed as this order's next slot at each member
    after = problem.member_load + new_load
    other = edges.member != member[edges.order]
    eo, em = edges.order[other], edges.member[other]
    alt_load_all = _slot_cost(after[em] + 1, config)
    alt_total = edges.walk[other] - edges.bonus[other] + alt_load_all
    # edges come sorted by (order, walk, member): a stable sort on (order, cost) keeps that
    # order among equal costs
    low = int(alt_total.min(initial=0))
    span = int(alt_total.max(initial=0)) - low + 1
    if problem.n_orders * span < 2**62:
        by = np.argsort(eo * span + (alt_total - low), kind="stable")
    else:
        by = np.lexsort((em, edges.walk[other], alt_total, eo))
    rank = np.arange(len(by)) - np.searchsorted(eo[by], eo[by])
    pick = by[rank < config.alternatives]
    slot = rank[rank < config.alternatives]
    alt_member = np.full((n, config.alternatives), NO_MEMBER, np.int64)
    alt_terms = np.zeros((n, config.alternatives, 3), np.int64)
    alt_room = np.zeros((n, config.alternatives), bool)
    alt_member[eo[pick], slot] = em[pick]
    alt_terms[eo[pick], slot] = np.column_stack(
        [edges.walk[other][pick], alt_load_all[pick], edges.bonus[other][pick]]
    )
    alt_room[eo[pick], slot] = after[em[pick]] < problem.member_capacity[em[pick]]

    reason = np.zeros(n, np.int8)
    open_orders = np.flatnonzero(~assigned)
    if len(open_orders):
        has_edge = np.zeros(n, bool)
        has_edge[edges.order] = True
        full = after >= problem.member_capacity
        room_left = np.bincount(edges.order[~full[edges.member]], minlength=n) > 0
        contested = open_orders[has_edge[open_orders]]
        reason[contested] = np.where(
            room_left[contested],
            _REASONS.index(Reason.COSTLIER_THAN_UNASSIGNED) + 1,
            _REASONS.index(Reason.TAKEN_BY_OTHER_ORDERS) + 1,
        )
        lonely = open_orders[~has_edge[open_orders]]
        if len(lonely):
            reason[lonely] = _rule_out(problem, config, lonely)

    total = _total(walk, bonus, load, n - len(idx), config)
    timings["explain"] = time.perf_counter() - clock
    return Solution(
        member=member,
        terms=np.column_stack([walk, load, bonus]),
        reason=reason,
        alt_member=alt_member,
        alt_terms=alt_terms,
        alt_room=alt_room,
        new_load=new_load,
        total_cost=total,
        edges=len(edges),
        arcs=arcs,
        method=method,
        timings=timings,
    )


def _rule_out(problem: Problem, config: DispatchConfig, orders: np.ndarray) -> np.ndarray:
    """Reason codes for orders with no feasible member at all, checking the rules in turn:
    skill and range, then the window, then room."""
    wanted = np.bitwise_or.reduce(np.uint64(1) << problem.order_category[orders].astype(np.uint64))
    some = np.flatnonzero(problem.member_skills & wanted)  # members with any of these skills
    tree = _kd_tree(unit_sphere(problem.member_lat[some], problem.member_lng[some]))
    hits = _kd_tree(unit_sphere(problem.order_lat[orders], problem.order_lng[orders]))
    hits = hits.sparse_distance_matrix(tree, _chord(config), output_type="ndarray")
    row, m = hits["i"].astype(np.int64), some[hits["j"]]
    skill = _has_skill(problem.member_skills[m], problem.order_category[orders[row]])
    row, m = row[skill], m[skill]
    o = orders[row]
    skilled = _walk_of(problem, o, m, config) <= config.max_walk_minutes
    meets = skilled & _meets(problem.order_slots[o], problem.member_slots[m])
    room = meets & (problem.member_capacity[m] > problem.member_load[m])
    codes = np.full(len(orders), _REASONS.index(Reason.NO_SKILLED_MEMBER_IN_RANGE) + 1, np.int8)
    for found, reason in (
        (skilled, Reason.NONE_AVAILABLE_IN_WINDOW),
        (meets, Reason.ALL_AT_CAPACITY),
        (room, Reason.TAKEN_BY_OTHER_ORDERS),  # not expected: such a member is a candidate
    ):
        codes[np.bincount(row[found], minlength=len(orders)) > 0] = _REASONS.index(reason) + 1
    return codes


def _order_terms(problem: Problem, member: np.ndarray, config: DispatchConfig):
    """Scaled walk, continuity bonus and load term per order (0 where unassigned). A member's
    k-th new order, counting its orders in input order, carries the k-th load slot."""
    n = problem.n_orders
    walk, bonus, load = (np.zeros(n, np.int64) for _ in range(3))
    idx = np.flatnonzero(member >= 0)
    if len(idx):
        walk[idx] = _scaled(_walk_of(problem, idx, member[idx], config))
        bonus[idx] = _bonus_of(idx, member[idx], problem, config)
        by = idx[np.lexsort((idx, member[idx]))]
        k = np.arange(len(by)) - np.searchsorted(member[by], member[by]) + 1
        load[by] = _slot_cost(problem.member_load[member[by]] + k, config)
    return walk, bonus, load


def _total(walk, bonus, load, unassigned: int, config: DispatchConfig) -> int:
    penalty = unassigned * config.scaled(config.unassigned_penalty)
    return int(walk.sum() - bonus.sum() + load.sum()) + penalty


def objective(problem: Problem, member: np.ndarray, config: DispatchConfig) -> int:
    """The scaled cost of any assignment (member index per order, −1 = unassigned): the one
    objective both the flow and the greedy baseline are judged by."""
    walk, bonus, load = _order_terms(problem, member, config)
    return _total(walk, bonus, load, int((member < 0).sum()), config)


# --- the dataclass API --------------------------------------------------------------------


def to_problem(orders: Sequence[Order], members: Sequence[Member]) -> Problem:
    """Dataclasses to arrays. Categories get bit numbers in order of first appearance."""
    bits: dict[Hashable, int] = {}
    for order in orders:
        bits.setdefault(order.category, len(bits))
    if len(bits) > 64:
        raise ValueError("A batch can hold orders of at most 64 categories; split it.")
    for thing in (*orders, *members):
        if thing.lat is None or thing.lng is None:
            kind = type(thing).__name__.lower()
            raise ValueError(f"{kind} {thing.id!r} has no map point; leave it out of the batch.")
    ranked = sorted(
        range(len(orders)),
        key=lambda i: (orders[i].deadline is None, orders[i].deadline or 0, i),
    )
    rank = np.empty(len(orders), np.float64)
    rank[ranked] = np.arange(len(orders))
    served_by: dict[Hashable, list[int]] = {}
    for j, member in enumerate(members):
        for beneficiary in member.last_served:
            served_by.setdefault(beneficiary, []).append(j)
    pairs = [
        (i, j)
        for i, order in enumerate(orders)
        if order.beneficiary_id is not None
        for j in served_by.get(order.beneficiary_id, ())
    ]
    return Problem(
        order_lat=np.array([o.lat for o in orders], np.float64),
        order_lng=np.array([o.lng for o in orders], np.float64),
        order_category=np.array([bits[o.category] for o in orders], np.int64),
        order_slots=hour_words(window_hours(o.window_start, o.window_end) for o in orders),
        order_rank=rank,
        member_lat=np.array([m.lat for m in members], np.float64),
        member_lng=np.array([m.lng for m in members], np.float64),
        member_skills=np.array(
            [sum(1 << bits[s] for s in m.skills if s in bits) for m in members], np.uint64
        ),
        member_slots=hour_words(availability_hours(m.availability) for m in members),
        member_capacity=np.array([m.capacity for m in members], np.int64),
        member_load=np.array([m.load for m in members], np.int64),
        bonus_pairs=np.array(pairs, np.int64).reshape(-1, 2),
    )


def suggest(
    orders: Sequence[Order], members: Sequence[Member], config: DispatchConfig = DispatchConfig()
) -> Assignment:
    """The suggested dispatch for a batch of open orders (the admin reviews and confirms it)."""
    problem = to_problem(orders, members)
    return _to_assignment(orders, members, problem, solve_arrays(problem, config))


def greedy(
    orders: Sequence[Order], members: Sequence[Member], config: DispatchConfig = DispatchConfig()
) -> Assignment:
    """The greedy baseline (and fallback) in the same shape as ``suggest``."""
    problem = to_problem(orders, members)
    return _to_assignment(orders, members, problem, greedy_arrays(problem, config))


def _to_assignment(orders, members, problem: Problem, solution: Solution) -> Assignment:
    results = []
    for i, order in enumerate(orders):
        j = int(solution.member[i])
        terms = CostTerms.of(solution.terms[i]) if j >= 0 else None
        alternatives = tuple(
            Alternative(
                member_id=members[alt].id,
                walk_minutes=CostTerms.of(solution.alt_terms[i, a]).walk,
                terms=CostTerms.of(solution.alt_terms[i, a]),
                has_room=bool(solution.alt_room[i, a]),
            )
            for a, alt in enumerate(solution.alt_member[i])
            if alt >= 0
        )
        results.append(
            OrderResult(
                order_id=order.id,
                member_id=members[j].id if terms else None,
                walk_minutes=terms.walk if terms else None,
                terms=terms,
                reason=solution.reason_at(i),
                alternatives=alternatives,
            )
        )
    given = solution.new_load > 0
    after = problem.member_load + solution.new_load
    walked = int(solution.terms[:, 0].sum()) / COST_SCALE
    totals = Totals(
        total_cost=solution.total_cost / COST_SCALE,
        assigned=solution.assigned,
        orders=len(orders),
        mean_walk_minutes=round(walked / max(solution.assigned, 1), 2),
        max_load=int(after[given].max()) if given.any() else 0,
        max_new_orders=int(solution.new_load.max()) if len(members) else 0,
    )
    return Assignment(results=tuple(results), totals=totals, method=solution.method)


def candidates_for(
    order: Order,
    members: Sequence[Member],
    config: DispatchConfig = DispatchConfig(),
    limit: int = 5,
    pending: Mapping[Hashable, int] | None = None,
) -> list[Candidate]:
    """One order's best ``limit`` members: feasible ones by cost (then walk), then the
    infeasible ones breaking the fewest rules, nearest first, each with the rules broken.

    ``pending`` counts orders already suggested to members in this batch; they add to the
    load term and use up room.
    """
    if not members:
        return []
    problem = to_problem([order], members)
    extra = np.array([(pending or {}).get(m.id, 0) for m in members], np.int64)
    load_now = problem.member_load + extra
    walk = _walk_of(problem, np.zeros(len(members), np.int64), np.arange(len(members)), config)
    walk_c = _scaled(walk)
    category = np.full(len(members), problem.order_category[0])
    broken = np.column_stack(
        [
            ~_has_skill(problem.member_skills, category),
            walk > config.max_walk_minutes,
            ~_meets(problem.order_slots[[0] * len(members)], problem.member_slots),
            load_now >= problem.member_capacity,
        ]
    )
    load_c = _slot_cost(load_now + 1, config)
    bonus_c = _bonus_of(np.zeros(len(members), np.int64), np.arange(len(members)), problem, config)
    total = walk_c + load_c - bonus_c
    count = broken.sum(axis=1)
    top = np.lexsort((np.arange(len(members)), walk_c, np.where(count > 0, 0, total), count))
    rules = list(Rule)
    return [
        Candidate(
            member_id=members[j].id,
            walk_minutes=walk_c[j] / COST_SCALE,
            terms=CostTerms.of((walk_c[j], load_c[j], bonus_c[j])),
            feasible=not count[j],
            broken=tuple(rule for rule, bad in zip(rules, broken[j], strict=True) if bad),
        )
        for j in top[:limit]
    ]
