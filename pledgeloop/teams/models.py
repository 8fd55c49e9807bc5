"""服务队: teams of party members and other volunteers (DESIGN.md C7).

A team belongs to a community or to the whole street, has one or more leaders (members with
an account: they accept the orders dispatched to the team) and a roster of members and
volunteers. A volunteer (志愿者) here is a person with a phone number and their consent, who
is not a party member and need not have an account (a delivery rider, a pupil's parent, a
property company's staff); their hours count toward service, never toward the party-member
indicators of DESIGN.md §5.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pledgeloop.lib.masking import mask_phone
from pledgeloop.lib.moments import format_moment
from pledgeloop.orders.models import Order
from pledgeloop.orgs.models import Category, Community, Site, Street
from pledgeloop.people.models import Member, validate_mobile
from pledgeloop.service.models import ServiceRecord


def member_or_volunteer_once(prefix: str, *, within: str) -> list[models.BaseConstraint]:
    """A row of a roster, a shift's sign-ups or a session's attendance names a member or a
    volunteer (never both, never neither), and each person once `within` its team, shift or
    session (street first, as every unique key: tests/test_shard_ready.py)."""
    return [
        models.CheckConstraint(
            condition=models.Q(member__isnull=False, volunteer__isnull=True)
            | models.Q(member__isnull=True, volunteer__isnull=False),
            name=f"{prefix}_member_or_volunteer",
        ),
        models.UniqueConstraint(
            fields=["street", within, "member"],
            condition=models.Q(member__isnull=False),
            name=f"{prefix}_member_once",
        ),
        models.UniqueConstraint(
            fields=["street", within, "volunteer"],
            condition=models.Q(volunteer__isnull=False),
            name=f"{prefix}_volunteer_once",
        ),
    ]


class Team(models.Model):
    class Scope(models.TextChoices):
        COMMUNITY = "community", _("Community team")
        STREET = "street", _("Street team")

    street = models.ForeignKey(
        Street, on_delete=models.PROTECT, related_name="teams", verbose_name=_("street")
    )
    community = models.ForeignKey(
        Community,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="teams",
        verbose_name=_("community"),
    )
    scope = models.CharField(_("scope"), max_length=10, choices=Scope.choices)
    name = models.CharField(_("name"), max_length=40)
    slug = models.SlugField(_("web address name"), max_length=40, db_index=False)
    description = models.CharField(_("what the team does"), max_length=300, blank=True)
    skills = models.ManyToManyField(
        Category, blank=True, related_name="teams", verbose_name=_("skills")
    )
    service_area = models.CharField(
        _("service area"),
        max_length=200,
        blank=True,
        help_text=_("Where the team serves, e.g. “the malls and back lanes of the street”."),
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["street", "scope", "name"]
        constraints = [
            models.UniqueConstraint(fields=["street", "slug"], name="team_slug_unique"),
            models.UniqueConstraint(fields=["street", "name"], name="team_name_unique"),
            models.CheckConstraint(
                condition=models.Q(scope="community", community__isnull=False)
                | models.Q(scope="street", community__isnull=True),
                name="team_scope_matches_community",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Volunteer(models.Model):
    """志愿者 who is not a party member: a name, a phone number and consent; no account."""

    street = models.ForeignKey(Street, on_delete=models.PROTECT, verbose_name=_("street"))
    community = models.ForeignKey(
        Community,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="volunteers",
        verbose_name=_("community"),
    )
    name = models.CharField(_("name"), max_length=40)
    phone = models.CharField(_("mobile number"), max_length=11, validators=[validate_mobile])
    skills = models.ManyToManyField(
        Category, blank=True, related_name="volunteers", verbose_name=_("skills")
    )
    consent_at = models.DateTimeField(_("agreed to the use of their data at"))
    consent_source = models.CharField(_("agreed through"), max_length=40)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("volunteer")
        verbose_name_plural = _("volunteers")
        ordering = ["street", "name"]
        constraints = [
            models.UniqueConstraint(fields=["street", "phone"], name="volunteer_phone_unique"),
        ]
        # /my/: a person's rows found by their number alone, in every street (privacy/).
        indexes = [models.Index(fields=["phone"], name="volunteer_phone")]

    def __str__(self) -> str:
        return self.name

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)


class TeamMembership(models.Model):
    """One line of a team's roster: a member (who may lead) or a volunteer."""

    street = models.ForeignKey(Street, on_delete=models.PROTECT, verbose_name=_("street"))
    team = models.ForeignKey(
        Team, on_delete=models.CASCADE, related_name="roster", verbose_name=_("team")
    )
    member = models.ForeignKey(
        Member,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="team_memberships",
        verbose_name=_("member"),
    )
    volunteer = models.ForeignKey(
        Volunteer,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="team_memberships",
        verbose_name=_("volunteer"),
    )
    is_leader = models.BooleanField(_("leader"), default=False)
    joined_at = models.DateTimeField(_("joined at"), default=timezone.now)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("added by"),
    )

    class Meta:
        verbose_name = _("team roster entry")
        verbose_name_plural = _("team roster")
        ordering = ["team", "-is_leader", "joined_at", "pk"]
        constraints = [
            *member_or_volunteer_once("team_roster", within="team"),
            models.CheckConstraint(
                condition=models.Q(is_leader=False) | models.Q(member__isnull=False),
                name="team_leader_is_member",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.team}: {self.person_name}"

    @property
    def person_name(self) -> str:
        return self.member.name if self.member_id else self.volunteer.name


class Position(models.Model):
    """阵地: a site of the street's 15-minute service circle where service is offered (a party
    and public service centre, a compound's or building's service point, an enterprise, a
    school, a mall), with its opening hours and the services offered there."""

    street = models.ForeignKey(Street, on_delete=models.PROTECT, verbose_name=_("street"))
    site = models.OneToOneField(
        Site, on_delete=models.CASCADE, related_name="position", verbose_name=_("site")
    )
    opening_hours = models.CharField(
        _("opening hours"),
        max_length=120,
        blank=True,
        help_text=_("In words, e.g. “Mon–Fri 9:00–17:00, Sat 9:00–12:00”."),
    )
    services = models.ManyToManyField(
        Category, blank=True, related_name="positions", verbose_name=_("services offered")
    )
    services_note = models.CharField(_("other services"), max_length=200, blank=True)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("position")
        verbose_name_plural = _("positions")
        ordering = ["street", "site__community", "site__name"]

    def __str__(self) -> str:
        return str(self.site)


class Event(models.Model):
    """活动: a fair with booths, a session at a place, an activity or a multi-day course."""

    class Kind(models.TextChoices):
        FAIR = "fair", _("Service fair")
        SESSION = "session", _("Session at a place")
        ACTIVITY = "activity", _("Community activity")
        COURSE = "course", _("Course")

    street = models.ForeignKey(Street, on_delete=models.PROTECT, verbose_name=_("street"))
    community = models.ForeignKey(
        Community,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="events",
        verbose_name=_("community"),
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=80)
    slug = models.SlugField(_("web address name"), max_length=60, db_index=False)
    team = models.ForeignKey(
        Team,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="events",
        verbose_name=_("organising team"),
    )
    partner = models.CharField(_("partner organisation"), max_length=80, blank=True)
    place = models.ForeignKey(
        Position,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="events",
        verbose_name=_("place"),
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    capacity = models.PositiveIntegerField(_("capacity"), null=True, blank=True)
    audience = models.CharField(_("audience"), max_length=80, blank=True)
    description = models.TextField(_("description"), blank=True)
    # Residents register on their phone (name, number, consent) up to the capacity.
    registration = models.BooleanField(_("residents register"), default=False)
    # An on-order session (订单式服务): the order a place filed, dispatched to a team; the
    # session is its service, so it counts once among on-order services (stats.definitions).
    order = models.OneToOneField(
        Order,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="session_event",
        verbose_name=_("order of the place"),
    )
    write_up = models.TextField(_("write-up"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    # 取消: called off before it began (rain, the place unavailable), with the reason its
    # page and the people told are given (teams.event_changes.event_cancel). It stays listed,
    # marked, and nobody registers, signs up, checks in or takes a number any more.
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["-starts_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["street", "slug"], name="event_slug_unique"),
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="event_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Booth(models.Model):
    """摊位 of a fair: a category of service, the team on shift, and a queue of numbers."""

    street = models.ForeignKey(Street, on_delete=models.PROTECT, verbose_name=_("street"))
    event = models.ForeignKey(
        Event, on_delete=models.CASCADE, related_name="booths", verbose_name=_("event")
    )
    name = models.CharField(_("name"), max_length=40)
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="+", verbose_name=_("category")
    )
    team = models.ForeignKey(
        Team,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="booths",
        verbose_name=_("team on shift"),
    )
    # The last number handed out; the next ticket takes it + 1 under the booth's row lock.
    last_number = models.PositiveIntegerField(_("last number given"), default=0)

    class Meta:
        verbose_name = _("booth")
        verbose_name_plural = _("booths")
        ordering = ["event", "pk"]

    def __str__(self) -> str:
        return f"{self.event} · {self.name}"


class QueueTicket(models.Model):
    """A resident's number at a booth, taken by scanning its code, with no account. The
    browser's key (a random cookie) makes a double tap give the same number."""

    class State(models.TextChoices):
        WAITING = "waiting", _("Waiting")
        SERVED = "served", _("Served")
        LEFT = "left", _("Left the queue")

    street = models.ForeignKey(Street, on_delete=models.PROTECT, verbose_name=_("street"))
    booth = models.ForeignKey(
        Booth, on_delete=models.CASCADE, related_name="tickets", verbose_name=_("booth")
    )
    number = models.PositiveIntegerField(_("number"))
    client_key = models.CharField(max_length=43)
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.WAITING
    )
    taken_at = models.DateTimeField(_("taken at"), default=timezone.now)
    served_at = models.DateTimeField(_("served at"), null=True, blank=True)
    served_by = models.ForeignKey(
        Member,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("served by"),
    )
    # The service the number received: counted and reviewed like any other (its hours are
    # the booth shift's, counted by the worker's attendance).
    record = models.OneToOneField(
        ServiceRecord,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="queue_ticket",
        verbose_name=_("service record"),
    )

    class Meta:
        verbose_name = _("queue number")
        verbose_name_plural = _("queue numbers")
        ordering = ["booth", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["street", "booth", "number"], name="ticket_number_unique"
            ),
            models.UniqueConstraint(
                fields=["street", "booth", "client_key"], name="ticket_one_per_client"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.booth} #{self.number}"


class EventSession(models.Model):
    """One day (or half-day) of an event, with its own capacity and its own check-in code: a
    six-digit code that changes every few minutes (like a site's screen, service.SiteScreen),
    shown by the organiser at the event, so a scan proves the person was there then."""

    street = models.ForeignKey(Street, on_delete=models.PROTECT, verbose_name=_("street"))
    event = models.ForeignKey(
        Event, on_delete=models.CASCADE, related_name="sessions", verbose_name=_("event")
    )
    label = models.CharField(_("name"), max_length=40, blank=True)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    capacity = models.PositiveIntegerField(_("places for residents"), null=True, blank=True)
    secret = models.CharField(_("check-in secret"), max_length=64)

    class Meta:
        verbose_name = _("event session")
        verbose_name_plural = _("event sessions")
        ordering = ["event", "starts_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="event_session_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return self.label or format_moment(self.starts_at)


class Shift(models.Model):
    """A place to serve in a session: at a booth, or in a role (reception, guide, teacher)."""

    street = models.ForeignKey(Street, on_delete=models.PROTECT, verbose_name=_("street"))
    session = models.ForeignKey(
        EventSession, on_delete=models.CASCADE, related_name="shifts", verbose_name=_("session")
    )
    booth = models.ForeignKey(
        Booth,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="shifts",
        verbose_name=_("booth"),
    )
    role = models.CharField(_("role"), max_length=40, blank=True)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    places = models.PositiveSmallIntegerField(_("people needed"), default=2)

    class Meta:
        verbose_name = _("shift")
        verbose_name_plural = _("shifts")
        ordering = ["session", "starts_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="shift_ends_after_start",
            ),
            models.CheckConstraint(
                condition=models.Q(booth__isnull=False) | ~models.Q(role=""),
                name="shift_booth_or_role",
            ),
        ]

    def __str__(self) -> str:
        return self.booth.name if self.booth_id else self.role


class SignUp(models.Model):
    """A member (from their phone) or a volunteer (by an admin) signed up for a shift."""

    street = models.ForeignKey(Street, on_delete=models.PROTECT, verbose_name=_("street"))
    shift = models.ForeignKey(
        Shift, on_delete=models.CASCADE, related_name="signups", verbose_name=_("shift")
    )
    member = models.ForeignKey(
        Member,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="event_signups",
        verbose_name=_("member"),
    )
    volunteer = models.ForeignKey(
        Volunteer,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="event_signups",
        verbose_name=_("volunteer"),
    )
    created_at = models.DateTimeField(_("signed up at"), default=timezone.now)

    class Meta:
        verbose_name = _("sign-up")
        verbose_name_plural = _("sign-ups")
        ordering = ["shift", "created_at", "pk"]
        constraints = [
            *member_or_volunteer_once("signup", within="shift"),
        ]

    def __str__(self) -> str:
        return f"{self.shift}: {self.person_name}"

    @property
    def person_name(self) -> str:
        return self.member.name if self.member_id else self.volunteer.name


class Registration(models.Model):
    """A resident registered for a session on their phone, without an account: a name, a
    number and their consent (people.consents, a Consent row of its own)."""

    street = models.ForeignKey(Street, on_delete=models.PROTECT, verbose_name=_("street"))
    session = models.ForeignKey(
        EventSession,
        on_delete=models.CASCADE,
        related_name="registrations",
        verbose_name=_("session"),
    )
    name = models.CharField(_("name"), max_length=40)
    phone = models.CharField(_("mobile number"), max_length=11, validators=[validate_mobile])
    created_at = models.DateTimeField(_("registered at"), default=timezone.now)

    class Meta:
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")
        ordering = ["session", "created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["street", "session", "phone"], name="registration_once"
            ),
        ]
        # /my/: a person's rows found by their number alone, in every street (privacy/).
        indexes = [models.Index(fields=["phone"], name="registration_phone")]

    def __str__(self) -> str:
        return f"{self.session}: {self.name}"

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)


class Attendance(models.Model):
    """到场: a serving member's scans of the session's code (in, then out), or a volunteer's
    presence marked by an admin. Closing it writes the member's service record of the shift's
    hours (`record`), unless a record of theirs already covers that time (`covered_by`, e.g.
    the order they served there): one person's time is counted once. A volunteer's hours stay
    here (`hours`): they count as service hours, never as a party member's."""

    class Proof(models.TextChoices):
        CODE = "code", _("The session's changing code")
        STAFF = "staff", _("Marked by the organiser")

    street = models.ForeignKey(Street, on_delete=models.PROTECT, verbose_name=_("street"))
    session = models.ForeignKey(
        EventSession,
        on_delete=models.CASCADE,
        related_name="attendances",
        verbose_name=_("session"),
    )
    shift = models.ForeignKey(
        Shift,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="attendances",
        verbose_name=_("shift"),
    )
    member = models.ForeignKey(
        Member,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="event_attendances",
        verbose_name=_("member"),
    )
    volunteer = models.ForeignKey(
        Volunteer,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="event_attendances",
        verbose_name=_("volunteer"),
    )
    checked_in_at = models.DateTimeField(_("checked in at"))
    checked_out_at = models.DateTimeField(_("checked out at"), null=True, blank=True)
    proof = models.CharField(_("checked in with"), max_length=8, choices=Proof.choices)
    hours = models.DecimalField(_("hours"), max_digits=5, decimal_places=2, default=0)
    record = models.OneToOneField(
        ServiceRecord,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="event_attendance",
        verbose_name=_("service record"),
    )
    covered_by = models.ForeignKey(
        ServiceRecord,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("already counted by"),
    )

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        ordering = ["session", "checked_in_at", "pk"]
        constraints = [
            *member_or_volunteer_once("attendance", within="session"),
        ]

    def __str__(self) -> str:
        return f"{self.session}: {self.person_name}"

    @property
    def person_name(self) -> str:
        return self.member.name if self.member_id else self.volunteer.name


class EventPhoto(models.Model):
    """A photo of the write-up, re-encoded on upload (lib.photos). Shown publicly only when
    the organiser confirms everyone recognisable agreed to appear (the consent rules)."""

    street = models.ForeignKey(Street, on_delete=models.PROTECT, verbose_name=_("street"))
    event = models.ForeignKey(
        Event, on_delete=models.CASCADE, related_name="photos", verbose_name=_("event")
    )
    image = models.ImageField(_("photo"), upload_to="events/%Y/%m/")
    caption = models.CharField(_("caption"), max_length=80, blank=True)
    consent_confirmed = models.BooleanField(_("everyone shown agreed to appear"), default=False)
    created_at = models.DateTimeField(_("uploaded at"), default=timezone.now)

    class Meta:
        verbose_name = _("event photo")
        verbose_name_plural = _("event photos")
        ordering = ["event", "pk"]

    def __str__(self) -> str:
        return self.image.name


class Project(models.Model):
    """民生项目: a multi-step community project led by a member, followed by residents."""

    street = models.ForeignKey(Street, on_delete=models.PROTECT, verbose_name=_("street"))
    community = models.ForeignKey(
        Community,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="projects",
        verbose_name=_("community"),
    )
    title = models.CharField(_("title"), max_length=80)
    slug = models.SlugField(_("web address name"), max_length=60, db_index=False)
    lead = models.ForeignKey(
        Member, on_delete=models.PROTECT, related_name="projects_led", verbose_name=_("lead")
    )
    team = models.ForeignKey(
        Team,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="projects",
        verbose_name=_("team"),
    )
    budget = models.DecimalField(
        _("budget (yuan)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    description = models.TextField(_("description"), blank=True)
    # The orders and events that were part of the project (a shed's site survey, its
    # opening day): listed on the project's page.
    # The links are rows of their own with the street (ProjectOrder, ProjectEvent), like
    # every tenant table (docs/ARCHITECTURE.md, "Sharding by street"); teams.projects makes
    # them, after checking that the order or event is of the project's street.
    orders = models.ManyToManyField(
        "orders.Order",
        through="ProjectOrder",
        blank=True,
        related_name="projects",
        verbose_name=_("linked orders"),
    )
    events = models.ManyToManyField(
        Event,
        through="ProjectEvent",
        blank=True,
        related_name="projects",
        verbose_name=_("linked events"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        ordering = ["street", "title"]
        constraints = [
            models.UniqueConstraint(fields=["street", "slug"], name="project_slug_unique"),
        ]

    def __str__(self) -> str:
        return self.title


class Milestone(models.Model):
    """One step of a project with its due date; done with a date and evidence: a note and a
    photo (cleaned by lib.photos). The photo is public only when whoever marked the
    milestone done confirmed it shows no one, or only people who agreed to appear (C12);
    otherwise only the project's admins see it."""

    street = models.ForeignKey(Street, on_delete=models.PROTECT, verbose_name=_("street"))
    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="milestones", verbose_name=_("project")
    )
    title = models.CharField(_("title"), max_length=80)
    due_on = models.DateField(_("due on"))
    done_on = models.DateField(_("done on"), null=True, blank=True)
    evidence = models.CharField(_("evidence"), max_length=300, blank=True)
    photo = models.ImageField(_("photo"), upload_to="projects/%Y/%m/", blank=True)
    photo_public = models.BooleanField(_("photo may be shown publicly"), default=False)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("marked done by"),
    )

    class Meta:
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        ordering = ["project", "due_on", "pk"]

    def __str__(self) -> str:
        return self.title


class ProjectOrder(models.Model):
    """An order linked to a project (Project.orders): both of the link's street."""

    street = models.ForeignKey(Street, on_delete=models.PROTECT, verbose_name=_("street"))
    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="order_links", verbose_name=_("project")
    )
    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="+", verbose_name=_("order")
    )

    class Meta:
        verbose_name = _("project's linked order")
        verbose_name_plural = _("projects' linked orders")
        constraints = [
            models.UniqueConstraint(
                fields=["street", "project", "order"], name="project_order_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project} · {self.order}"


class ProjectEvent(models.Model):
    """An event linked to a project (Project.events): both of the link's street."""

    street = models.ForeignKey(Street, on_delete=models.PROTECT, verbose_name=_("street"))
    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="event_links", verbose_name=_("project")
    )
    event = models.ForeignKey(
        Event, on_delete=models.CASCADE, related_name="+", verbose_name=_("event")
    )

    class Meta:
        verbose_name = _("project's linked event")
        verbose_name_plural = _("projects' linked events")
        constraints = [
            models.UniqueConstraint(
                fields=["street", "project", "event"], name="project_event_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project} · {self.event}"
