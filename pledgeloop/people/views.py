from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import PasswordChangeView
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from pledgeloop.lib.params import query_id, query_text
from pledgeloop.lib.pinyin import pinyin_search_q
from pledgeloop.lib.spreadsheets import xlsx_response

from . import access
from .forms import LoginForm, PasswordConfirmForm, SpreadsheetUploadForm
from .models import Role
from .reauth import password_confirm_redirect, password_confirmed_now, password_recently_confirmed
from .services import phone_view_record
from .spreadsheets import (
    ImportRejected,
    members_export,
    members_import,
    residents_export,
    residents_import,
)

HOME_BY_ROLE = {
    Role.STREET_ADMIN: "console:street_home",
    Role.COMMUNITY_ADMIN: "console:home",
    Role.MEMBER: "people:member_home",
    Role.RESIDENT: "privacy:my",
}


def login_view(request):
    if request.user.is_authenticated:
        return redirect("people:home")
    form = LoginForm(request, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        login(request, form.user)
        password_confirmed_now(request)  # the password was just typed
        target = request.POST.get("next") or request.GET.get("next")
        if target and url_has_allowed_host_and_scheme(target, {request.get_host()}):
            return redirect(target)
        return redirect("people:home")
    return render(request, "people/login.html", {"form": form, "next": request.GET.get("next", "")})


@require_POST
def logout_view(request):
    logout(request)
    messages.info(request, _("You have signed out."))
    return redirect("people:login")


class PasswordChange(PasswordChangeView):
    """Django's password change (old password, new one twice, the password validators), in
    the site's layout. Other sessions of the user end (Django keys them to the password)."""

    template_name = "people/password_change.html"
    success_url = reverse_lazy("people:home")

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, _("Your password is changed."))
        return response


password_change = PasswordChange.as_view()


def _safe_next(request, target: str) -> str:
    if target and url_has_allowed_host_and_scheme(
        target, {request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("people:home")


@login_required
def password_confirm(request):
    """The password again before whole numbers (people/reauth.py); back to `next` after."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    back = request.POST.get("back") or request.GET.get("back") or ""
    back = back if back and back == _safe_next(request, back) else ""
    form = PasswordConfirmForm(request, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        password_confirmed_now(request)
        if back and target:
            # A download: the file starts from this page, which says so and leads back.
            return render(
                request,
                "people/password_confirmed.html",
                {"download": _safe_next(request, target), "back": back},
            )
        return redirect(_safe_next(request, target))
    context = {
        "form": form,
        "next": target if target == _safe_next(request, target) else "",
        "back": back,
        "minutes": settings.PASSWORD_CONFIRM_MINUTES,
    }
    status = 400 if form.errors else 200
    return render(request, "people/password_confirm.html", context, status=status)


@login_required
def home(request):
    """Each role lands on its own home page."""
    role = request.user.primary_role
    if role is None:
        if request.user.is_superuser:
            return redirect("admin:index")
        return render(request, "people/no_role.html")
    return redirect(HOME_BY_ROLE[role])


@login_required
def member_home(request, agenda: dict | None = None):
    """The member's home: facts and tools, led by the `agenda` (what needs an answer now)
    that pledges.home, which serves /me/, reads from the apps above this one."""
    member = getattr(request.user, "member", None)
    if member is None:
        raise PermissionDenied
    today = timezone.localdate()
    quarter = f"{today.year}q{(today.month - 1) // 3 + 1}"
    context = {
        "member": member,
        "quarter": quarter,
        "agenda": agenda,
        "is_admin": access.is_admin(request.user),  # the resident directory is theirs only
    }
    return render(request, "people/member_home.html", context)


def _people_filters(request, qs, *, prefix=""):
    """The list's search and community filter; a malformed community is no filter at all."""
    query = query_text(request.GET, "q")
    community = query_id(request.GET, "community")
    if query:
        qs = qs.filter(pinyin_search_q(query, prefix=prefix))
    if community is not None:
        qs = qs.filter(community_id=community)
    return qs, query, "" if community is None else str(community)


@login_required
def resident_list(request):
    if not access.is_admin(request.user):
        raise Http404  # no resident directory for members (need to know)
    qs = access.residents_visible_to(request.user).select_related("community")
    qs, query, community = _people_filters(request, qs)
    page = Paginator(qs.order_by("name_sort"), 50).get_page(request.GET.get("page"))
    communities = access.communities_administered(request.user)
    return render(
        request,
        "people/resident_list.html",
        {
            "page": page,
            "q": query,
            "community": community,
            "communities": communities,
            "is_admin": access.is_admin(request.user),
        },
    )


@login_required
def resident_detail(request, pk: int):
    resident = access.get_resident_for_user(request.user, pk)
    return render(
        request,
        "people/resident_detail.html",
        {"resident": resident, "may_reveal": access.can_see_full_phone(request.user, resident)},
    )


@login_required
@require_POST
def resident_reveal_phone(request, pk: int):
    """POST "show full number": the audited act. Shows the whole number once, to an admin of
    the community; phone_view_record logs that it was seen."""
    resident = access.get_resident_for_user(request.user, pk)
    if not access.can_see_full_phone(request.user, resident):
        raise PermissionDenied
    phone_view_record(
        viewer=request.user,
        street_id=resident.street_id,
        community_id=resident.community_id,
        resident=resident,
        name=resident.name,
        phone=resident.phone,
        context="resident detail",
        page=reverse("people:resident_detail", args=[resident.pk]),
    )
    return render(
        request,
        "people/resident_detail.html",
        {"resident": resident, "may_reveal": True, "full_phone": resident.phone},
    )


@login_required
def member_list(request):
    if not (request.user.admin_community_ids() or request.user.member_community_ids()):
        raise Http404  # a resident has no community's members to list (it showed none)
    qs = access.members_visible_to(request.user).select_related("user", "community")
    qs, query, community = _people_filters(request, qs, prefix="user__")
    page = Paginator(qs.order_by("user__name_sort"), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "people/member_list.html",
        {
            "page": page,
            "q": query,
            "community": community,
            "communities": access.communities_administered(request.user),
            "is_admin": access.is_admin(request.user),
        },
    )


@login_required
def member_detail(request, pk: int, record=None):
    """A member's facts; with `record(member)`, what the member's community admins see of
    their orders, pledges and service (pledges.members, which serves this page, reads those
    from the apps above this one)."""
    member = access.get_member_for_user(request.user, pk)
    admin = member.community_id in request.user.admin_community_ids()
    context = {"member": member, "record": record(member) if record and admin else None}
    return render(request, "people/member_detail.html", context)


@login_required
def people_export(request, community_id: int, kind: str):
    """Excel export. A file of whole numbers (residents with ?full=1; members always) asks
    for the password again first (people/reauth.py) and logs each number in it."""
    community = access.get_community_for_admin(request.user, community_id)
    full = kind == "members" or request.GET.get("full") == "1"
    if full and not password_recently_confirmed(request):
        back = reverse("people:residents" if kind == "residents" else "people:members")
        return password_confirm_redirect(request, back=back)
    if kind == "residents":
        content, filename = residents_export(
            community=community, by=request.user, full_phones=full, page=request.path
        )
    else:
        content, filename = members_export(community=community, by=request.user, page=request.path)
    return xlsx_response(content, filename)


@login_required
def people_import(request, community_id: int, kind: str):
    community = access.get_community_for_admin(request.user, community_id)
    form = SpreadsheetUploadForm(request.POST or None, request.FILES or None)
    errors = []
    if request.method == "POST" and form.is_valid():
        run = residents_import if kind == "residents" else members_import
        try:
            result = run(community=community, file=form.cleaned_data["file"], by=request.user)
        except ImportRejected as rejected:
            errors = rejected.errors
        else:
            messages.success(request, result.message(community))
            target = "people:residents" if kind == "residents" else "people:members"
            return redirect(f"{reverse(target)}?community={community.pk}")
    status = 400 if errors or form.errors else 200
    return render(
        request,
        "people/import.html",
        {"form": form, "errors": errors, "community": community, "kind": kind},
        status=status,
    )
