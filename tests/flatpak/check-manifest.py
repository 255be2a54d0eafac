#!/usr/bin/env python3
# Checks the sandbox of the Flatpak manifest (test flatpak-finish-args).
#
# Fails when finish-args
#   - give files: any --filesystem (host, home, or a path: the profile
#     lives in the XDG data directory the sandbox gives every app);
#   - give all devices (--device=all: the camera goes through the Camera
#     portal) or the session/system bus wholesale;
#   - contain anything outside the list below: a new permission must be
#     added here on purpose, with a reason;
# and when the id or the command are not Chorus's.
#
# Usage: check-manifest.py MANIFEST.json
# Python 3 standard library only.
import json
import sys

APP_ID = 'io.github.chorusp2p.Chorus'
COMMAND = 'chorus'

ALLOWED = {
    '--share=network': 'the overlay, the SIP signalling and the media',
    '--share=ipc': 'X11 shared memory for the fallback-x11 socket',
    '--socket=wayland': 'the window',
    '--socket=fallback-x11': 'the window on X11 sessions only',
    '--device=dri': 'GTK 4 GL rendering',
    '--socket=pulseaudio': 'microphone, speaker and ringtone',
}

FORBIDDEN_PREFIXES = (
    '--filesystem',
    '--device=all',
    '--device=shm',
    '--socket=session-bus',
    '--socket=system-bus',
    '--socket=x11',
    '--talk-name=org.freedesktop.Flatpak',
    '--own-name',
    '--persist',
)


def main():
    if len(sys.argv) != 2:
        print('usage: check-manifest.py MANIFEST.json', file=sys.stderr)
        return 2
    with open(sys.argv[1], encoding='utf-8') as f:
        manifest = json.load(f)
    errors = []

    app_id = manifest.get('id', manifest.get('app-id'))
    if app_id != APP_ID:
        errors.append('id is %r, not %r' % (app_id, APP_ID))
    if manifest.get('command') != COMMAND:
        errors.append('command is %r, not %r' % (manifest.get('command'), COMMAND))

    args = manifest.get('finish-args', [])
    if len(args) != len(set(args)):
        errors.append('finish-args has duplicates')
    for arg in args:
        if arg.startswith(FORBIDDEN_PREFIXES):
            errors.append('finish-args: %s is broader than Chorus needs' % arg)
        elif arg not in ALLOWED:
            errors.append('finish-args: %s is not in the allowed list of %s' % (arg, __file__))
    for arg in sorted(ALLOWED):
        if arg not in args:
            errors.append('finish-args: %s is missing (%s)' % (arg, ALLOWED[arg]))

    names = [m.get('name') for m in manifest.get('modules', []) if isinstance(m, dict)]
    if not names or names[-1] != COMMAND:
        errors.append('the last module must be %r (the app itself), not %r'
                      % (COMMAND, names[-1] if names else None))

    for e in errors:
        print('check-manifest: ' + e)
    if errors:
        return 1
    print('check-manifest: %s, command %s, finish-args: %s'
          % (app_id, COMMAND, ' '.join(args)))
    return 0


if __name__ == '__main__':
    sys.exit(main())
