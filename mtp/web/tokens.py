"""The page where a signed-in person gives a command-line client's token their account
(``panoramax_cli login``: the client asked ``/api/auth/tokens/generate`` and prints this page's
link). It says which application and which account; once approved the token is theirs, and it
shows on the settings page among the apps they authorized, where they can revoke it."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from mtp.uploads.actions import claim_cli_token, pending_claim


@login_required
def claim_token(request: HttpRequest, unique_id: str) -> HttpResponse:
    claim = pending_claim(unique_id)
    if claim is None:
        return render(request, "web/token_claim.html", {"claim": None}, status=404)
    if request.method == "POST":
        claimed = claim_cli_token(claim, request.user)
        status = 200 if claimed else 409
        return render(
            request, "web/token_claim.html", {"claim": claim, "claimed": claimed}, status=status
        )
    return render(request, "web/token_claim.html", {"claim": claim, "claimed": None})
