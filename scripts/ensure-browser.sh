#!/bin/sh
# Browser tests drive Debian's Chromium (its headless build, chromium-headless-shell, or else the
# full browser); Chinese text needs a CJK font or it renders as boxes.
# As root with apt-get available, install what is missing; otherwise say so and let the
# browser tests skip (or fail, with REQUIRE_BROWSER=1), or run in the full browser.
need=""
if [ ! -x /usr/bin/chromium-headless-shell ]; then
    if [ "$(id -u)" = 0 ] || [ ! -x /usr/bin/chromium ]; then
        need="$need chromium-headless-shell"
    else
        echo "NOTICE: browser tests run in the full chromium (chromium-headless-shell is faster)"
    fi
fi
if command -v fc-list >/dev/null 2>&1; then
    fc-list :lang=zh 2>/dev/null | grep -q . || need="$need fonts-noto-cjk"
elif [ ! -d /usr/share/fonts/opentype/noto ]; then
    need="$need fonts-noto-cjk"
fi
[ -z "$need" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing$need for the browser tests (Debian packages)"
    export DEBIAN_FRONTEND=noninteractive
    (apt-get update -qq && apt-get install -y -qq --no-install-recommends $need) >/dev/null 2>&1 \
        || echo "NOTICE: could not install$need; browser tests will be skipped unless REQUIRE_BROWSER=1"
else
    echo "NOTICE: missing$need (install them with apt-get as root); browser tests will be skipped unless REQUIRE_BROWSER=1"
fi
exit 0
