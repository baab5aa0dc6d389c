"""The developer pages: register and manage your OAuth applications; revoke an app you
authorized. The OAuth 2.0 endpoints themselves are in oauth_views.py."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST
from oauth2_provider.generators import generate_client_secret
from oauth2_provider.models import get_access_token_model, get_refresh_token_model

from mtp.developers.forms import ApplicationForm
from mtp.developers.models import FLOWS, Application
from mtp.lib.security import sign_in_page

AccessToken = get_access_token_model()
RefreshToken = get_refresh_token_model()


def _own_application(request: HttpRequest, pk: int) -> Application:
    return get_object_or_404(Application, pk=pk, user=request.user)


def _show_secret(request: HttpRequest, application: Application, secret: str) -> HttpResponse:
    """The one page that ever shows a client secret: right after it was made."""
    response = render(
        request,
        "developers/application_secret.html",
        {"application": application, "secret": secret},
    )
    return sign_in_page(response)


@login_required
def application_list(request: HttpRequest) -> HttpResponse:
    applications = Application.objects.filter(user=request.user).order_by("name", "pk")
    return render(request, "developers/application_list.html", {"applications": applications})


@login_required
@require_http_methods(["GET", "POST"])
def application_register(request: HttpRequest) -> HttpResponse:
    form = ApplicationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        form.instance.user = request.user
        application = form.save()
        if form.new_secret:
            return _show_secret(request, application, form.new_secret)
        messages.success(request, f"{application.name} is registered.")
        return redirect("developers:detail", pk=application.pk)
    return render(request, "developers/application_form.html", {"form": form})


@never_cache
@login_required
def application_detail(request: HttpRequest, pk: int) -> HttpResponse:
    application = _own_application(request, pk)
    flows = [label for flow, label in FLOWS if flow in application.grant_types]
    return render(
        request, "developers/application_detail.html", {"application": application, "flows": flows}
    )


@login_required
@require_http_methods(["GET", "POST"])
def application_edit(request: HttpRequest, pk: int) -> HttpResponse:
    application = _own_application(request, pk)
    form = ApplicationForm(request.POST or None, instance=application)
    if request.method == "POST" and form.is_valid():
        application = form.save()
        if form.new_secret:
            return _show_secret(request, application, form.new_secret)
        messages.success(request, f"{application.name} is saved.")
        return redirect("developers:detail", pk=application.pk)
    return render(
        request, "developers/application_form.html", {"form": form, "application": application}
    )


@login_required
@require_http_methods(["GET", "POST"])
def application_delete(request: HttpRequest, pk: int) -> HttpResponse:
    application = _own_application(request, pk)
    if request.method == "POST":
        name = application.name
        application.delete()
        messages.success(request, f"{name} is deleted, and every token it held with it.")
        return redirect("developers:list")
    return render(request, "developers/application_delete.html", {"application": application})


@login_required
@require_POST
def application_new_secret(request: HttpRequest, pk: int) -> HttpResponse:
    application = _own_application(request, pk)
    if application.client_type != Application.CLIENT_CONFIDENTIAL:
        raise Http404("Public clients have no secret.")
    secret = application.client_secret = generate_client_secret()
    application.hash_client_secret = True
    application.save(update_fields=["client_secret", "hash_client_secret", "updated"])
    return _show_secret(request, application, secret)


@never_cache
@login_required
@require_POST
def revoke_authorized_app(request: HttpRequest, pk: int) -> HttpResponse:
    """Settings page, Authorized apps: end every token the user gave this app, at once."""
    application = get_object_or_404(Application, pk=pk)
    granted = (
        AccessToken.objects.filter(user=request.user, application=application).exists()
        or RefreshToken.objects.filter(
            Q(revoked__isnull=True), user=request.user, application=application
        ).exists()
    )
    if not granted:
        raise Http404("You have not authorized this application.")
    application.revoke_for(request.user)
    messages.success(request, f"{application.name} can no longer act for you.")
    return redirect(reverse("accounts:settings") + "#authorized-apps")
