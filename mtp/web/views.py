"""Server-rendered pages, and the health check."""

from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.cache import never_cache

from mtp.sequences.models import Sequence


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database answers, 503 when it does not (for load balancers)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        response = JsonResponse({"status": "error", "database": "unavailable"}, status=503)
        response["Retry-After"] = "5"
        return response
    return JsonResponse({"status": "ok", "database": "ok"})


def home(request: HttpRequest) -> HttpResponse:
    sequences = (
        Sequence.objects.filter(status=Sequence.Status.PUBLISHED)
        .select_related("owner", "transport_type")
        .order_by("-published_at", "-id")[:50]
    )
    return render(request, "web/home.html", {"sequences": sequences})


def sequence_detail(request: HttpRequest, unique_id) -> HttpResponse:
    sequence = get_object_or_404(
        Sequence.objects.select_related("owner", "transport_type", "camera_make", "camera_model"),
        unique_id=unique_id,
    )
    if not sequence.is_public and sequence.owner_id != request.user.pk:
        # Drafts are invisible to everyone but their owner: the same 404 as a missing one.
        return render(request, "404.html", status=404)
    return render(
        request,
        "web/sequence.html",
        {"sequence": sequence, "tags": list(sequence.tags.all())},
    )
