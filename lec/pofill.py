"""Developer tool: fill empty Thai msgstrs in a catalogue from a JSON file {msgid: msgstr or [singular, plural]}.

python -m lec.pofill schools/locale/th/LC_MESSAGES/django.po translations.json  (then python -m lec.compilemo)
"""

import json
import sys

import polib


def fill(po_path: str, mapping: dict) -> list[str]:
    po = polib.pofile(po_path)
    missing = []
    for entry in po:
        if entry.obsolete:
            continue
        value = mapping.get(entry.msgid)
        if value is None:
            if not entry.translated():
                missing.append(entry.msgid)
            continue
        if entry.msgid_plural:
            forms = value if isinstance(value, list) else [value, value]
            entry.msgstr_plural = {0: forms[0]}
        else:
            entry.msgstr = value
        if "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
    po.metadata["Plural-Forms"] = "nplurals=1; plural=0;"
    po.metadata["Language"] = "th"
    po.metadata["Content-Type"] = "text/plain; charset=UTF-8"
    po.save()
    return missing


if __name__ == "__main__":
    with open(sys.argv[2], encoding="utf-8") as fh:
        left = fill(sys.argv[1], json.load(fh))
    for msgid in left:
        print("untranslated:", msgid)
