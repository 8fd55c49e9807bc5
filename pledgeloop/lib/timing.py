"""Server-Timing for the benchmarks: how long the app took and how many queries it ran.

On only when the SERVER_TIMING setting is (the environment variable of the same name; see
settings.py): bench/pages.py serves the app with it and reads, from each response,

    Server-Timing: app;dur=12.3, db;dur=4.1;desc="6 queries"

app is the time from this middleware (the first) to the response, db the time spent in the
database and the number of queries, both counted by an execute wrapper on the default
connection for this request only. Browsers show the header in their developer tools.
"""

import time

from django.db import connection


class ServerTimingMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        queries = 0
        db_seconds = 0.0

        def count(execute, sql, params, many, context):
            nonlocal queries, db_seconds
            started = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                queries += 1
                db_seconds += time.perf_counter() - started

        started = time.perf_counter()
        with connection.execute_wrapper(count):
            response = self.get_response(request)
        app_ms = (time.perf_counter() - started) * 1000
        response["Server-Timing"] = (
            f'app;dur={app_ms:.1f}, db;dur={db_seconds * 1000:.1f};desc="{queries} queries"'
        )
        return response
