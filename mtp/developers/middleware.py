"""A Content-Security-Policy that forbids framing, on every response that sets none of its own."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

FRAME_ANCESTORS_NONE = "frame-ancestors 'none'"


class FrameAncestorsMiddleware:
    """Add ``Content-Security-Policy: frame-ancestors 'none'`` (the CSP twin of X-Frame-Options).

    Log-in, consent and device pages must never be framed (clickjacking); a page that needs
    a fuller policy sets its own header and this one leaves it alone.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = FRAME_ANCESTORS_NONE
        return response
