#!/bin/sh
# The Debian packages that make test's tests drive, installed when missing (as root, with
# apt-get); otherwise say so and let those tests skip (or fail, with REQUIRE_BROWSER=1 /
# REQUIRE_NGINX=1).
# - Browser tests drive Debian's Chromium (its headless build, chromium-headless-shell, or else
#   the full browser); Chinese text needs a CJK font or it renders as boxes.
# - The production kit's test (pledgeloop/tests/test_deploy_kit.py) runs deploy/'s nginx site
#   with a certificate made by openssl, and checks its systemd units with systemd-analyze.
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
[ -x /usr/sbin/nginx ] || command -v nginx >/dev/null 2>&1 || need="$need nginx-light"
command -v systemd-analyze >/dev/null 2>&1 || need="$need systemd"
command -v openssl >/dev/null 2>&1 || need="$need openssl"
[ -z "$need" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing$need for the tests (Debian packages)"
    export DEBIAN_FRONTEND=noninteractive
    (apt-get update -qq && apt-get install -y -qq --no-install-recommends $need) >/dev/null 2>&1 \
        || echo "NOTICE: could not install$need; the tests that need them will be skipped unless REQUIRE_BROWSER=1 / REQUIRE_NGINX=1"
else
    echo "NOTICE: missing$need (install them with apt-get as root); the tests that need them will be skipped unless REQUIRE_BROWSER=1 / REQUIRE_NGINX=1"
fi
exit 0
