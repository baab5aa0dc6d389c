"""Sign-up, log-in with throttling, log-out, password reset by e-mail, settings and public
profiles."""

import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods
from oauth2_provider.models import get_access_token_model

from mtp.accounts import throttle
from mtp.accounts.forms import ChangePasswordForm, DeleteAccountForm, ProfileForm, SignUpForm
from mtp.accounts.models import User
from mtp.accounts.requests import SignedInRequest
from mtp.developers.models import (
    Application,
    authorized_applications,
    revoke_every_application,
)
from mtp.lib.http import client_ip
from mtp.lib.ratelimit import apply_headers
from mtp.sequences.leaderboard import Criteria, standing_of
from mtp.sequences.models import Sequence

logger = logging.getLogger(__name__)


def paused(request: HttpRequest, usage, template: str) -> HttpResponse:
    """The 429 page of a throttled form, saying for how long, with the RateLimit fields."""
    minutes = max(1, -(-usage.reset // 60))
    return apply_headers(render(request, template, {"minutes": minutes}, status=429), usage)


class LoginView(auth_views.LoginView):
    """Django's log-in view, refusing further attempts after repeated failures."""

    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        ip = client_ip(request)
        username = request.POST.get("username", "")[:150]
        usage = throttle.blocked(ip, username)
        if usage is not None:
            return paused(request, usage, "accounts/login_throttled.html")
        response = super().post(request, *args, **kwargs)
        if request.user.is_authenticated:
            throttle.clear_account(username)
        else:
            throttle.record_failure(ip, username)
        return response


def reset_link_lifetime() -> str:
    """How long a reset link works, in words."""
    hours, seconds = divmod(settings.PASSWORD_RESET_TIMEOUT, 3600)
    if hours and not seconds:
        return f"{hours} hour{'s' if hours != 1 else ''}"
    minutes = max(1, settings.PASSWORD_RESET_TIMEOUT // 60)
    return f"{minutes} minutes"


class PasswordResetView(auth_views.PasswordResetView):
    """Django's: a link by e-mail to an active account with that address, if there is one.

    The answer is the same whether an account has the address or not. The link is built on
    SITE_URL, never on the request's Host header. Requests are limited per client address and
    per e-mail address.
    """

    template_name = "accounts/password_reset.html"
    email_template_name = "accounts/password_reset_email.txt"
    subject_template_name = "accounts/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_sent")

    @property
    def extra_email_context(self) -> dict:  # type: ignore[override]
        return {
            "site_url": settings.SITE_URL,
            "site_name": settings.SITE_NAME,
            "valid_for": reset_link_lifetime(),
        }

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        email = request.POST.get("email", "")[:254].strip()
        usage = throttle.password_reset_usage(client_ip(request), email)
        if usage is not None:
            return paused(request, usage, "accounts/password_reset_throttled.html")
        return super().post(request, *args, **kwargs)


def password_reset_sent(request: HttpRequest) -> HttpResponse:
    return render(
        request, "accounts/password_reset_sent.html", {"valid_for": reset_link_lifetime()}
    )


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Django's; a new password also ends every app's tokens (the e-mail says so): whoever
    knew the old one may hold some."""

    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")

    def form_valid(self, form) -> HttpResponse:
        response = super().form_valid(form)
        revoke_every_application(form.user)
        return response


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        next_url = ""
    if request.user.is_authenticated:
        return redirect(next_url or "web:home")
    if request.method == "POST":
        usage = throttle.signup_usage(client_ip(request))
        if usage.exceeded:
            return paused(request, usage, "accounts/signup_throttled.html")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, f"Welcome, {user.username}! Your account is ready.")
        return redirect(next_url or "web:home")
    return render(request, "accounts/signup.html", {"form": form, "next": next_url})


def tell_old_address(user: User, old_email: str) -> None:
    """Tell the previous address that the account's email changed (someone may have taken
    the account over); a mail server that fails does not undo the change."""
    body = (
        f"Hello {user.username},\n\n"
        f"The email address of your {settings.SITE_NAME} account is now {user.email}; "
        "password reset links go there from now on.\n\n"
        "If you did not change it, reset your password at once "
        f"({settings.SITE_URL}{reverse('accounts:password_reset')}) from the new address, "
        "or ask the instance's operators for help.\n\n"
        f"{settings.SITE_NAME}\n{settings.SITE_URL}/\n"
    )
    try:
        send_mail(f"{settings.SITE_NAME}: your email address changed", body, None, [old_email])
    except Exception:  # noqa: BLE001
        logger.exception("could not tell %s's previous address of the change", user.pk)


@login_required
@require_http_methods(["GET", "POST"])
def settings_page(request: SignedInRequest) -> HttpResponse:
    profile_form = ProfileForm(instance=request.user, prefix="profile")
    password_form = ChangePasswordForm(request.user, prefix="password")
    if request.method == "POST":
        if "save_profile" in request.POST:
            ip = client_ip(request)
            usage = throttle.blocked(ip, request.user.username)
            if usage is not None:
                return paused(request, usage, "accounts/login_throttled.html")
            profile_form = ProfileForm(request.POST, instance=request.user, prefix="profile")
            if not profile_form.is_valid() and "current_password" in profile_form.errors:
                # A wrong password here counts as a failed log-in.
                throttle.record_failure(ip, request.user.username)
            elif profile_form.is_valid():
                profile_form.save()
                if profile_form.email_changed:
                    tell_old_address(request.user, profile_form.previous_email)
                messages.success(request, "Your profile is saved.")
                return redirect("accounts:settings")
        elif "change_password" in request.POST:
            password_form = ChangePasswordForm(request.user, request.POST, prefix="password")
            if password_form.is_valid():
                user = password_form.save()
                update_session_auth_hash(request, user)
                if password_form.cleaned_data["revoke_apps"]:
                    revoke_every_application(user)
                    messages.success(
                        request,
                        "Your password is changed, and every app you authorized is signed out.",
                    )
                else:
                    messages.success(request, "Your password is changed.")
                return redirect("accounts:settings")
    return render(
        request,
        "accounts/settings.html",
        {"profile_form": profile_form, "password_form": password_form},
    )


def what_goes_with(user: User) -> dict:
    """What deleting ``user`` deletes with it, in figures for the confirmation page."""
    sequences = user.sequences.aggregate(
        published=Count("id", filter=Q(status=Sequence.Status.PUBLISHED)),
        others=Count("id", filter=~Q(status=Sequence.Status.PUBLISHED)),
        images=Sum("image_count", default=0),
    )
    applications = Application.objects.filter(user=user)
    users_of_applications = (
        get_access_token_model()
        .objects.filter(application__in=applications, user__isnull=False)
        .exclude(user=user)
        .values("user")
        .distinct()
        .count()
    )
    return {
        **sequences,
        "applications": applications.count(),
        "users_of_applications": users_of_applications,
        "authorized": len(authorized_applications(user)),
    }


@login_required
@require_http_methods(["GET", "POST"])
def delete_account(request: SignedInRequest) -> HttpResponse:
    """Delete your account with everything in it, once you give your password again."""
    user = request.user
    ip = client_ip(request)
    form = DeleteAccountForm(user, request.POST or None)
    if request.method == "POST":
        # Wrong passwords count as failed log-ins: an open session is no way to guess one.
        usage = throttle.blocked(ip, user.username)
        if usage is not None:
            return paused(request, usage, "accounts/login_throttled.html")
        if form.is_valid():
            username = user.username
            logout(request)
            with transaction.atomic():
                User.objects.get(pk=user.pk).delete()
            messages.success(request, f"The account {username} and everything in it is deleted.")
            return redirect("web:home")
        throttle.record_failure(ip, user.username)
    return render(request, "accounts/delete.html", {"form": form, "goes": what_goes_with(user)})


def profile(request: HttpRequest, username: str) -> HttpResponse:
    # Usernames are unique whatever their case, so /users/Olivia/ is olivia's page.
    person = get_object_or_404(User, username__iexact=username, is_active=True)
    published = Q(status=Sequence.Status.PUBLISHED)
    sequences = (
        person.sequences.filter(published)
        .select_related("transport_type")
        .order_by("-published_at", "-id")[:100]
    )
    totals = person.sequences.aggregate(
        count=Count("id", filter=published),
        distance_m=Sum("distance_m", filter=published, default=0),
        images=Sum("image_count", filter=published, default=0),
    )
    # Places on the leaderboard of all time, by each measure.
    ranks = [
        (label, metric, standing_of(person, Criteria(metric=metric)))
        for metric, label in (
            ("images", "photos"),
            ("distance", "distance"),
            ("sequences", "sequences"),
        )
    ]
    return render(
        request,
        "accounts/profile.html",
        {"person": person, "sequences": sequences, "totals": totals, "ranks": ranks},
    )
