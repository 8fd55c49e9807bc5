"""Expected refusals log one line (issue 13); a server error's report carries no form values.

Django logs a PermissionDenied (403) with its traceback, as if it were a crash; a 400 from a
BadRequest too. These are the site working as meant (someone asked for what is not theirs),
and a full traceback for each buries the real errors. This filter keeps the line
("Forbidden (Permission denied): /people/residents/9/") and drops the traceback for every
django.request record below 500. Server errors keep theirs.
"""

import logging

from django.views.debug import SafeExceptionReporterFilter


class ClientErrorsOnOneLine(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if status is not None and status < 500:
            record.exc_info = None
            record.exc_text = None
            record.stack_info = None
        return True


class HealthChecksQuiet(logging.Filter):
    """A health check's 503 (/healthz without its database, /healthz/worker without a
    worker) is the answer monitoring asks for every minute, not an error: no log line, and no
    email to ADMINS at each poll."""

    PATHS = frozenset({"/healthz", "/healthz/worker"})

    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)
        return not (
            getattr(record, "status_code", None) == 503
            and getattr(request, "path", None) in self.PATHS
        )


class FormValuesHidden(SafeExceptionReporterFilter):
    """The report of a server error (the email to ADMINS, the log) shows which fields a form
    sent but none of their values: they are residents' numbers, names, addresses and needs,
    which the operator's mailbox should not collect. Django hides only the fields marked
    sensitive_post_parameters; this hides every one, in the request and in the traceback's
    variables, whenever DEBUG is off."""

    def get_post_parameters(self, request):
        if request is None or not self.is_active(request):
            return super().get_post_parameters(request)
        return self._cleanse_multivaluedict(request.POST, "__ALL__")

    def get_cleansed_multivaluedict(self, request, multivaluedict):
        if not self.is_active(request):
            return multivaluedict
        return self._cleanse_multivaluedict(multivaluedict, "__ALL__")
