"""reverse() for the links of intake's every order, its work done once a process (issue 17).

Filing an order reverses three paths (the resident's "sent" page, their tracking page, the
order's page for its admins), each taking one value; reverse() finds the pattern, quotes the
value and checks the result against the pattern's expression every time, a fortieth of the
order's CPU. `reverse_one` reverses each page once, for a stand-in value, and writes the
real value where the stand-in stands.

That gives reverse()'s own answer where the value is one that reverse() writes as it is and
that every converter taking the stand-in takes too: a number (digits, the int converter's)
for the number's stand-in, letters, digits, "-" and "_" (a token) for the other, which the
str, slug and path converters take alike. Any other value, and a page whose converter refuses
the stand-in (a uuid's, a quarter's) or writes it otherwise than as it is, goes to reverse()
itself. A converter of our own that took the token's stand-in but refused some token would
need reverse() here: there is none (reviews/urls.py's quarter refuses the stand-in).
"""

import functools
import re

from django.urls import NoReverseMatch, get_resolver, get_script_prefix, get_urlconf, reverse

_NUMBER = re.compile(r"[0-9]+")
_TOKEN = re.compile(r"[A-Za-z0-9_-]+")
# Neither occurs in a path of ours but as the value.
_STAND_IN = {True: "987654321987654321", False: "sTaNdInToKeN"}


def reverse_one(viewname: str, value) -> str:
    """reverse(viewname, args=[value]) for a page of one value (see the module's docstring).
    A number known only as its row is written (lib/inserts.Taken) stands in the path as its
    mark, which that write replaces with the number."""
    mark = getattr(value, "mark", None)
    if mark is not None:
        urlconf = get_urlconf()
        path = _reversed(viewname, True, get_script_prefix(), get_resolver(urlconf), urlconf)
        if path is None:
            raise NoReverseMatch(f"{viewname}: no path for a number written later")
        return path.replace(_STAND_IN[True], mark)
    text = str(value)
    number = _NUMBER.fullmatch(text) is not None
    if number or _TOKEN.fullmatch(text) is not None:
        urlconf = get_urlconf()
        path = _reversed(viewname, number, get_script_prefix(), get_resolver(urlconf), urlconf)
        if path is not None:
            return path.replace(_STAND_IN[number], text)
    return reverse(viewname, args=[value])


@functools.lru_cache(maxsize=256)
def _reversed(viewname: str, number: bool, prefix: str, resolver, urlconf) -> str | None:
    """The page's path for the stand-in, under this script prefix and URL configuration
    (`resolver`: a configuration changed, as tests do, is a new one); None where its
    converter refuses the stand-in."""
    stand_in = _STAND_IN[number]
    try:
        path = reverse(viewname, args=[stand_in], urlconf=urlconf)
    except NoReverseMatch:
        return None
    # A converter that writes the stand-in otherwise than as it is (its to_url) is left to
    # reverse().
    return path if path.count(stand_in) == 1 else None
