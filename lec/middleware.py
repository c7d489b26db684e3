"""The one place where domain errors raised under a page become responses (the API has its own in lec/api.py)."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme

from lec.errors import DomainError, Forbidden, NotFound


class DomainErrorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exc):
        if request.path.startswith("/api/") or not isinstance(exc, DomainError):
            return None
        if isinstance(exc, NotFound):
            return render(request, "404.html", {"message": exc.message}, status=404)
        if isinstance(exc, Forbidden):
            return render(request, "403.html", {"message": exc.message}, status=403)
        if getattr(request, "htmx", False):
            response = render(request, "partials/error_message.html", {"exc": exc}, status=200)
            response["HX-Retarget"] = "#action-messages"
            response["HX-Reswap"] = "innerHTML"
            return response
        messages.error(request, str(exc.message))
        back = request.META.get("HTTP_REFERER", "")
        if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
            return redirect(back)
        return HttpResponse(str(exc.message), status=exc.status, content_type="text/plain; charset=utf-8")
