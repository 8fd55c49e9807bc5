"""Fill a .po file's empty entries from JSON maps {msgid: msgstr}; list what is still missing.

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
            entry.msgstr = ""
            entry.msgstr_plural = {0: ""} if entry.msgid_plural else entry.msgstr_plural
        if entry.msgid in table:
            if entry.msgid_plural:
                entry.msgstr_plural = {0: table[entry.msgid]}
            else:
                entry.msgstr = table[entry.msgid]
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
