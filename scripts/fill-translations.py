"""Fill a .po file's empty entries from JSON maps {msgid: msgstr}; list what is still missing.
A message with a context is keyed "context\u0004msgid" (gettext's own key), or else by its msgid.

Used by scripts/update-translations.sh. Plural entries take the same text for every form
(Chinese has one plural form).
"""

import json
import sys

import polib


def main(po_path: str, json_paths: list[str]) -> int:
    po = polib.pofile(po_path)
    table: dict[str, str] = {}
    for path in json_paths:
        with open(path, encoding="utf-8") as handle:
            table.update(json.load(handle))
    missing = []
    for entry in po:
        if "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
            # msgmerge's guess and the message it guessed from ("#| msgid"): both dropped
            entry.previous_msgctxt = entry.previous_msgid = entry.previous_msgid_plural = None
            entry.msgstr = ""
            entry.msgstr_plural = {0: ""} if entry.msgid_plural else entry.msgstr_plural
        # A message with a context (pgettext) is looked up as "context\x04msgid" first, as
        # gettext keys it, so that it can read otherwise than the same words without one.
        key = f"{entry.msgctxt}\x04{entry.msgid}" if entry.msgctxt else entry.msgid
        key = key if key in table else entry.msgid
        if key in table:
            if entry.msgid_plural:
                entry.msgstr_plural = {0: table[key]}
            else:
                entry.msgstr = table[key]
        done = entry.msgstr_plural.get(0) if entry.msgid_plural else entry.msgstr
        if not done:
            missing.append(entry.msgid)
    po.metadata["Language"] = "zh_Hans"
    po.metadata["Plural-Forms"] = "nplurals=1; plural=0;"
    po.metadata["Content-Type"] = "text/plain; charset=UTF-8"
    po.save()
    for msgid in missing:
        print(f"untranslated: {msgid!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2:]))
