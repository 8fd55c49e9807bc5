#!/bin/sh
# Refresh the message catalogues from the code, fill in Chinese translations, compile.
#   scripts/update-translations.sh [translations.json ...]
# Each JSON file maps an English msgid to its Chinese text; entries already translated in
# the .po file are kept. Serialised with flock so that parallel runs do not clobber each other.
set -e
cd "$(dirname "$0")/.."
exec 9>/tmp/pledgeloop-i18n.lock
flock 9
# manage.py loads the settings, which with DEBUG off need a private key: the demo's, as make.
.venv/bin/python scripts/make-secret-key.py var/secret_key >/dev/null
cd pledgeloop
../.venv/bin/python ../manage.py makemessages -l zh_Hans -l en --no-location --no-obsolete \
    --ignore 'tests/*' --ignore '*/tests/*' -v0
cd ..
.venv/bin/python scripts/fill-translations.py pledgeloop/locale/zh_Hans/LC_MESSAGES/django.po "$@"
.venv/bin/python manage.py compilemessages -v0 --ignore=.venv --ignore=node_modules
