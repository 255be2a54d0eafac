#!/usr/bin/env python3
"""check-complete.py SRCDIR: po/fr.po translates every string of today's
sources (the project's one full translation): a template made now with
xgettext from po/POTFILES.in (the keywords of meson's glib preset), merged
with po/fr.po without fuzzy matching, must leave nothing untranslated or
fuzzy.  Prints the strings that are missing.
"""

import os
import subprocess
import sys
import tempfile

src = sys.argv[1]
language = sys.argv[2] if len(sys.argv) > 2 else "fr"
with open(os.path.join(src, "po", "POTFILES.in")) as f:
    files = [line.strip() for line in f if line.strip() and not line.startswith("#")]

with tempfile.TemporaryDirectory() as tmp:
    pot = os.path.join(tmp, "chorus.pot")
    # the glib preset of meson's i18n module
    keywords = ["--keyword=_", "--keyword=N_", "--keyword=C_:1c,2", "--keyword=NC_:1c,2",
                "--keyword=g_dcgettext:2", "--keyword=g_dngettext:2,3",
                "--keyword=g_dpgettext2:2c,3", "--flag=N_:1:pass-c-format",
                "--flag=C_:2:pass-c-format", "--flag=NC_:2:pass-c-format",
                "--flag=g_dngettext:2:pass-c-format", "--flag=g_strdup_printf:1:c-format",
                "--flag=g_string_printf:2:c-format", "--flag=g_string_append_printf:2:c-format",
                "--flag=g_error_new:3:c-format", "--flag=g_set_error:4:c-format"]
    subprocess.run(["xgettext", "--from-code=UTF-8", "--output", pot, "--directory", src]
                   + keywords + files, check=True)
    merged = os.path.join(tmp, "merged.po")
    subprocess.run(["msgmerge", "--quiet", "--no-fuzzy-matching", "--output-file", merged,
                    os.path.join(src, "po", f"{language}.po"), pot], check=True)
    missing = subprocess.run(["msgattrib", "--untranslated", "--no-obsolete", merged],
                             capture_output=True, text=True, check=True).stdout
    fuzzy = subprocess.run(["msgattrib", "--only-fuzzy", "--no-obsolete", merged],
                           capture_output=True, text=True, check=True).stdout
    ids = [line for line in (missing + fuzzy).splitlines()
           if line.startswith("msgid ") and line != 'msgid ""']
    if ids:
        print(f"po/{language}.po lacks {len(ids)} strings of today's sources "
              f"(meson compile -C build chorus-pot chorus-update-po, then translate):")
        for line in ids:
            print("  " + line)
        sys.exit(1)
    print(f"po/{language}.po translates every string of today's sources")
