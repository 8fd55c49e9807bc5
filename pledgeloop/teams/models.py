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
from pledgeloop.orgs.models import Category, Community, Site, Street
from pledgeloop.people.models import Member, validate_mobile


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
    slug = models.SlugField(_("web address name"), max_length=40)
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
            models.CheckConstraint(
                condition=models.Q(member__isnull=False, volunteer__isnull=True)
                | models.Q(member__isnull=True, volunteer__isnull=False),
                name="team_roster_member_or_volunteer",
            ),
            models.CheckConstraint(
                condition=models.Q(is_leader=False) | models.Q(member__isnull=False),
                name="team_leader_is_member",
            ),
            models.UniqueConstraint(
                fields=["team", "member"],
                condition=models.Q(member__isnull=False),
                name="team_roster_member_once",
            ),
            models.UniqueConstraint(
                fields=["team", "volunteer"],
                condition=models.Q(volunteer__isnull=False),
                name="team_roster_volunteer_once",
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
