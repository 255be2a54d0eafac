#!/bin/sh
# Installs the dependencies, builds Chorus and runs it.
#
# With no overlay configured, the first run creates a home overlay (its root
# CA and a signed configuration document) and this machine's first peer in
# ${XDG_DATA_HOME:-~/.local/share}/chorus/home; every run then starts that
# peer (chorus-peer) in the foreground until Ctrl+C, when it leaves the
# overlay gracefully, and the overlay's enrollment server (chorus-enroll
# serve, on ${CHORUS_ENROLL_LISTEN:-127.0.0.1:6085}) beside it: other
# devices join with a link from `chorus-enroll invite`.  On a desktop (a
# display, and the GTK app built), the softphone `chorus` runs that same
# profile instead: the peer in its window, the enrollment server built in,
# invitations from its Overlay page.
#
#   tools/run-chorus.sh            the softphone, or the home peer without a display
#   tools/run-chorus.sh --headless the home peer (chorus-peer) even on a desktop
#   tools/run-chorus.sh --demo     the wire codec against Wireshark, and a
#                                  200-peer overlay in the simulator
set -eu
cd "$(dirname "$0")/.."
sh tools/install-deps.sh
[ -f build/build.ninja ] || meson setup build
meson compile -C build
tools=build/overlay/tools

if [ "${1:-}" = "--demo" ]; then
  out=${TMPDIR:-/tmp}/chorus-samples.pcap
  "$tools/chorus-wire" samples --pcap "$out"
  echo "wrote $out; Wireshark reads it as:"
  tshark -r "$out" -d udp.port==6084,reload-framing
  echo
  echo "a 200-peer overlay in virtual time:"
  build/overlay/sim/chorus-sim --peers 200 --seed 1 --lookups 1000 --stores 100 --duration 5
  exit 0
fi

home=${XDG_DATA_HOME:-$HOME/.local/share}/chorus/home
listen=${CHORUS_LISTEN:-127.0.0.1:6084}
enroll_listen=${CHORUS_ENROLL_LISTEN:-127.0.0.1:6085}
user=$(id -un)@home.chorus
if [ ! -f "$home/ca/ca-key.pem" ]; then
  echo "no overlay configured: creating the home overlay home.chorus in $home"
  "$tools/chorus-enroll" init --overlay home.chorus --dir "$home/ca" \
    --bootstrap "$listen" --kind 4000:NOTES:array:USER-MATCH:100:1024 \
    --enrollment-url "https://$enroll_listen/enroll"
fi
if [ ! -f "$home/peer/cert.pem" ]; then
  "$tools/chorus-enroll" issue --dir "$home/ca" --user "$user" --out "$home/peer"
fi
if [ "${1:-}" != "--headless" ] && [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] \
   && [ -x build/app/chorus ]; then
  echo "starting the softphone as sip:$user (the peer and the enrollment server run inside it)"
  exec build/app/chorus --profile "$home" --listen "$listen" --enroll-listen "$enroll_listen"
fi
echo "starting the peer of $user on $listen, registered as sip:$user"
echo "(Ctrl+C leaves the overlay); in another terminal:"
echo "  $tools/chorus-peer ctl --profile $home/peer status"
echo "  $tools/chorus-peer ctl --profile $home/peer call sip:NAME@home.chorus --duration 10"
echo "  $tools/chorus-peer ctl --profile $home/peer calls"
echo "  $tools/chorus-peer ctl --profile $home/peer store NOTES $user hello"
echo "  $tools/chorus-peer ctl --profile $home/peer fetch NOTES $user"
if grep -q "<enrollment-server>" "$home/ca/config.xml"; then
  "$tools/chorus-enroll" serve --dir "$home/ca" --listen "$enroll_listen" &
  serve_pid=$!
  trap 'kill "$serve_pid" 2>/dev/null || true' EXIT
  echo "invite another device (prints a link; --qr FILE.png also writes it as a QR code):"
  echo "  $tools/chorus-enroll invite --dir $home/ca --user NAME"
  echo "and on that device:"
  echo "  chorus-peer join LINK --profile DIR && chorus-peer run --profile DIR --aor sip:NAME@home.chorus"
fi
# a phone (RFC 7904): its AOR registered, calls answered by `ctl answer`,
# the default sound devices
"$tools/chorus-peer" run --profile "$home/peer" --listen "$listen" --aor "sip:$user"
