"""Expected refusals log one line (issue 13).

Django logs a PermissionDenied (403) with its traceback, as if it were a crash; a 400 from a
BadRequest too. These are the site working as meant (someone asked for what is not theirs),
and a full traceback for each buries the real errors. This filter keeps the line
("Forbidden (Permission denied): /people/residents/9/") and drops the traceback for every
django.request record below 500. Server errors keep theirs.
"""

import logging


class ClientErrorsOnOneLine(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if status is not None and status < 500:
            record.exc_info = None
            record.exc_text = None
            record.stack_info = None
        return True
