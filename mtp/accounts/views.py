"""Sign-up, log-in with throttling, log-out, settings and public profiles."""

from django.contrib import messages
from django.contrib.auth import login, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.db.models import Count, Q, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from mtp.accounts import throttle
from mtp.accounts.forms import ProfileForm, SignUpForm
from mtp.accounts.models import User
from mtp.lib.http import client_ip
from mtp.lib.ratelimit import apply_headers
from mtp.sequences.models import Sequence


class LoginView(auth_views.LoginView):
    """Django's log-in view, refusing further attempts after repeated failures."""

    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        ip = client_ip(request)
        username = request.POST.get("username", "")[:150]
        usage = throttle.blocked(ip, username)
        if usage is not None:
            response = render(
                request,
                "accounts/login_throttled.html",
                {"minutes": max(1, -(-usage.reset // 60))},
                status=429,
            )
            return apply_headers(response, usage)
        response = super().post(request, *args, **kwargs)
        if request.user.is_authenticated:
            throttle.clear_account(username)
        else:
            throttle.record_failure(ip, username)
        return response


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
            response = render(
                request,
                "accounts/signup_throttled.html",
                {"minutes": max(1, -(-usage.reset // 60))},
                status=429,
            )
            return apply_headers(response, usage)
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, f"Welcome, {user.username}! Your account is ready.")
        return redirect(next_url or "web:home")
    return render(request, "accounts/signup.html", {"form": form, "next": next_url})


@login_required
@require_http_methods(["GET", "POST"])
def settings_page(request: HttpRequest) -> HttpResponse:
    profile_form = ProfileForm(instance=request.user, prefix="profile")
    password_form = PasswordChangeForm(request.user, prefix="password")
    if request.method == "POST":
        if "save_profile" in request.POST:
            profile_form = ProfileForm(request.POST, instance=request.user, prefix="profile")
            if profile_form.is_valid():
                profile_form.save()
                messages.success(request, "Your profile is saved.")
                return redirect("accounts:settings")
        elif "change_password" in request.POST:
            password_form = PasswordChangeForm(request.user, request.POST, prefix="password")
            if password_form.is_valid():
                user = password_form.save()
                update_session_auth_hash(request, user)
                messages.success(request, "Your password is changed.")
                return redirect("accounts:settings")
    return render(
        request,
        "accounts/settings.html",
        {"profile_form": profile_form, "password_form": password_form},
    )


def profile(request: HttpRequest, username: str) -> HttpResponse:
    person = get_object_or_404(User, username=username, is_active=True)
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
    return render(
        request,
        "accounts/profile.html",
        {"person": person, "sequences": sequences, "totals": totals},
    )
