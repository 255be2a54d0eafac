#!/usr/bin/env python3
# Checks po/POTFILES.in against the source tree (test i18n-potfiles).
#
# Fails when
#   - a source file with translatable strings is not listed: app/ (any
#     depth: *.c *.h *.ui *.blp) using _( N_( C_( NC_( g_dgettext(
#     g_dngettext( g_dpgettext( g_dpgettext2( or translatable="yes", and
#     data/ (*.in *.xml *.desktop*) with the same marks, or which is a
#     desktop entry with Name/GenericName/Comment/Keywords, an AppStream
#     metainfo with name/summary/description, or a GSettings schema with
#     a gettext-domain and summaries or descriptions;
#   - a line of POTFILES.in names a file that does not exist, or is
#     listed twice.
# A file whose marks are deliberately not translated can be listed in
# po/POTFILES.skip (same format).
#
# Usage: check-potfiles.py SOURCE_ROOT
# Python 3 standard library only.
import os
import re
import sys

# _( N_( C_( NC_( with no identifier character before (so that foo_( or
# g_strdup_( are not marks), and the GLib gettext functions.
CODE_MARK = re.compile(
    r'(?<![A-Za-z0-9_])(?:_|N_|C_|NC_|Q_|g_dgettext|g_dngettext|g_dpgettext2?|g_dcgettext)\s*\(')
# The definitions of the macros themselves are no marks.
MACRO_DEF = re.compile(r'^\s*#\s*(?:define|undef)\s+(?:_|N_|C_|NC_|Q_)\b')
UI_MARK = re.compile(r'translatable\s*=\s*"(?:yes|true|1)"', re.IGNORECASE)
DESKTOP_KEY = re.compile(r'^(?:Name|GenericName|Comment|Keywords|X-GNOME-FullName)\s*=', re.MULTILINE)
DESKTOP_GROUP = re.compile(r'^\[Desktop (?:Entry|Action [^\]]+)\]', re.MULTILINE)
METAINFO = re.compile(r'<component[\s>]')
METAINFO_TEXT = re.compile(r'<(?:name|summary|description|caption|keyword)[\s>]')
SCHEMA_DOMAIN = re.compile(r'<schemalist[^>]*\bgettext-domain\s*=', re.DOTALL)
SCHEMA_TEXT = re.compile(r'<(?:summary|description)[\s>]')

APP_SUFFIXES = ('.c', '.h', '.ui', '.blp')


def read(path):
    with open(path, encoding='utf-8', errors='replace') as f:
        return f.read()


def strip_c_comments(text):
    # comments may mention _() without marking anything; strings are kept
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == '"' or c == "'":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == '\\' else 1
            out.append(text[i:j + 1])
            i = j + 1
        elif text.startswith('/*', i):
            j = text.find('*/', i + 2)
            i = n if j < 0 else j + 2
            out.append(' ')
        elif text.startswith('//', i):
            j = text.find('\n', i)
            i = n if j < 0 else j
        else:
            out.append(c)
            i += 1
    return ''.join(out)


def has_code_marks(text, c_like):
    if c_like:
        text = strip_c_comments(text)
    for line in text.splitlines():
        if MACRO_DEF.match(line):
            continue
        if CODE_MARK.search(line):
            return True
    return False


def app_translatable(path):
    text = read(path)
    if path.endswith('.ui'):
        return bool(UI_MARK.search(text))
    if path.endswith('.blp'):
        return has_code_marks(text, c_like=True)
    return has_code_marks(text, c_like=True)


def data_translatable(path):
    name = os.path.basename(path)
    text = read(path)
    if '.desktop' in name:
        if DESKTOP_GROUP.search(text) and DESKTOP_KEY.search(text):
            return True
    if name.endswith(('.xml', '.xml.in')):
        if UI_MARK.search(text):
            return True
        if METAINFO.search(text) and METAINFO_TEXT.search(text):
            return True
        if SCHEMA_DOMAIN.search(text) and SCHEMA_TEXT.search(text):
            return True
        return False
    return has_code_marks(text, c_like=False) or bool(UI_MARK.search(text))


def is_data_candidate(name):
    return name.endswith(('.in', '.xml')) or '.desktop' in name


def scan(root):
    found = set()
    app = os.path.join(root, 'app')
    for dirpath, dirnames, filenames in os.walk(app):
        dirnames.sort()
        for fn in sorted(filenames):
            if fn.endswith(APP_SUFFIXES):
                path = os.path.join(dirpath, fn)
                if app_translatable(path):
                    found.add(os.path.relpath(path, root))
    data = os.path.join(root, 'data')
    for dirpath, dirnames, filenames in os.walk(data):
        dirnames.sort()
        for fn in sorted(filenames):
            if is_data_candidate(fn):
                path = os.path.join(dirpath, fn)
                if data_translatable(path):
                    found.add(os.path.relpath(path, root))
    return found


def read_list(path, errors):
    entries = []
    if not os.path.exists(path):
        return entries
    for lineno, line in enumerate(read(path).splitlines(), 1):
        line = line.strip()
        if not line or line.startswith('#'):
            continue
        if line.startswith('[') and ']' in line:
            # [encoding: UTF-8] and [type: gettext/glade] prefixes
            line = line.split(']', 1)[1].strip()
        entries.append((lineno, line))
    return entries


def main():
    if len(sys.argv) != 2:
        print('usage: check-potfiles.py SOURCE_ROOT', file=sys.stderr)
        return 2
    root = os.path.abspath(sys.argv[1])
    potfiles = os.path.join(root, 'po', 'POTFILES.in')
    skipfile = os.path.join(root, 'po', 'POTFILES.skip')
    errors = []
    if not os.path.exists(potfiles):
        print('check-potfiles: %s does not exist' % potfiles)
        return 1

    listed = {}
    for name, entries in (('POTFILES.in', read_list(potfiles, errors)),
                          ('POTFILES.skip', read_list(skipfile, errors))):
        for lineno, entry in entries:
            norm = os.path.normpath(entry)
            if norm in listed:
                errors.append('po/%s:%d: %s is listed twice' % (name, lineno, entry))
            listed[norm] = (name, lineno)
            if not os.path.isfile(os.path.join(root, norm)):
                errors.append('po/%s:%d: %s does not exist' % (name, lineno, entry))

    found = scan(root)
    for path in sorted(found - set(listed)):
        errors.append('%s has translatable strings but is not in po/POTFILES.in' % path)

    for e in errors:
        print('check-potfiles: ' + e)
    if errors:
        print('check-potfiles: %d problem(s); edit po/POTFILES.in' % len(errors))
        return 1
    print('check-potfiles: %d file(s) with translatable strings, all in po/POTFILES.in'
          % len(found))
    for path in sorted(found):
        print('  ' + path)
    return 0


if __name__ == '__main__':
    sys.exit(main())
