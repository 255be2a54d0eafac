#!/usr/bin/env python3
# Runs msgfmt --check (format strings, header, domain) on every po/*.po
# and checks that po/LINGUAS and the po/*.po files agree (test
# i18n-msgfmt-check).
#
# Usage: check-po.py MSGFMT SOURCE_ROOT
# Python 3 standard library only.
import glob
import os
import subprocess
import sys


def main():
    if len(sys.argv) != 3:
        print('usage: check-po.py MSGFMT SOURCE_ROOT', file=sys.stderr)
        return 2
    msgfmt, root = sys.argv[1], os.path.abspath(sys.argv[2])
    podir = os.path.join(root, 'po')
    errors = []

    linguas = []
    with open(os.path.join(podir, 'LINGUAS'), encoding='utf-8') as f:
        for line in f:
            line = line.split('#', 1)[0]
            linguas.extend(line.split())
    pos = sorted(glob.glob(os.path.join(podir, '*.po')))
    langs = [os.path.basename(p)[:-3] for p in pos]
    for lang in linguas:
        if lang not in langs:
            errors.append('po/LINGUAS names %s but po/%s.po does not exist' % (lang, lang))
    for lang in langs:
        if lang not in linguas:
            errors.append('po/%s.po exists but %s is not in po/LINGUAS' % (lang, lang))

    for po in pos:
        r = subprocess.run([msgfmt, '--check', '--statistics', '--output-file=' + os.devnull, po],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        out = r.stdout.strip()
        print('%s: %s' % (os.path.relpath(po, root), out))
        if r.returncode != 0:
            errors.append('msgfmt --check failed on %s' % os.path.relpath(po, root))

    for e in errors:
        print('check-po: ' + e)
    if not pos:
        print('check-po: no po/*.po file')
        return 1
    return 1 if errors else 0


if __name__ == '__main__':
    sys.exit(main())
