from django.urls import path, register_converter

from . import views


class QuarterConverter:
    """2026q3 → (2026, 3), passed to views as `year` and `quarter`."""

    regex = r"[0-9]{4}q[1-4]"

    def to_python(self, value: str) -> tuple[int, int]:
        year, quarter = value.split("q")
        return int(year), int(quarter)

    def to_url(self, value) -> str:
        if isinstance(value, str):
            return value
        return f"{value[0]}q{value[1]}"


register_converter(QuarterConverter, "quarter")


def _split(view):
    """Unpack the quarter converter's (year, quarter) into keyword arguments."""

    def wrapped(request, period, **kwargs):
        return view(request, year=period[0], quarter=period[1], **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


app_name = "reviews"
urlpatterns = [
    path("review/<str:token>/", views.review, name="review"),
    path("me/assessment/<quarter:period>/", _split(views.assessment_self), name="assessment_self"),
    path(
        "assessments/<int:community_id>/<quarter:period>/",
        _split(views.assessment_organisation),
        name="assessment_organisation",
    ),
    path("showcase/<slug:community>/<quarter:period>/", _split(views.showcase), name="showcase"),
    path("annual/<slug:street>/<int:year>/", views.annual, name="annual"),
    path(
        "annual/<slug:street>/<int:year>/member/<int:member_id>/",
        views.annual_member,
        name="annual_member",
    ),
    path(
        "annual/<slug:street>/<int:year>/export.<str:fmt>",
        views.annual_export,
        name="annual_export",
    ),
    path("annual/<slug:street>/weights/", views.weights, name="weights"),
]
