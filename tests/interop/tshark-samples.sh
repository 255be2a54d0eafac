#!/bin/sh
# Wireshark agrees with us: every sample message that chorus-wire writes is
# dissected by tshark's RELOAD dissector without a malformed packet or an
# expert warning, and every method code appears.
#
# Known tshark 4.0 quirks (see README, "Wireshark"): it labels version 0x0a
# "Unknown" (a label only, no expert info); it raises an expert error for
# SignerIdentity type none(3), so the samples sign with cert_hash.
set -eu
CHORUS_WIRE=$1
TSHARK=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$CHORUS_WIRE" samples --pcap "$tmp/samples.pcap"

# tshark writes its profile under $HOME; keep it out of the user's.
export HOME="$tmp"
decode="-d udp.port==6084,reload-framing"

# 6291456 = PI_WARN: malformed, or expert info of warning level and above.
problems='(_ws.malformed || _ws.expert.severity >= 6291456)'
# Two places where tshark 4.0 follows an older draft than the RFC (README,
# "Wireshark"), checked exactly below rather than bent in the codec:
#  - path_track_ans (0x66): RFC 7851's DiagnosticsResponse has
#    timestamp_initiated before timestamp_received; tshark reads the
#    draft's layout without it and reports "Truncated Diagnostic Response".
#  - Error_Underlay_Destination_Unreachable (101): tshark reads its
#    error_info without the 16-bit length of RFC 6940's ErrorResponse and
#    reports "Trailing stray characters".
quirk_pt='reload.message.code == 0x0066'
quirk_101='reload.error_response.code == 101'
bad=$("$TSHARK" -r "$tmp/samples.pcap" $decode -Y "$problems && !($quirk_pt) && !($quirk_101)" -T fields -e frame.number)
if [ -n "$bad" ]; then
  echo "tshark finds problems in frames: $bad"
  for f in $bad; do
    "$TSHARK" -r "$tmp/samples.pcap" $decode -Y "frame.number == $f" -V | grep -iE 'expert|malformed|\[' | head -20
  done
  exit 1
fi

# The quirks are exactly these, no more: if tshark changes, this notices.
pt=$("$TSHARK" -r "$tmp/samples.pcap" $decode -Y "$quirk_pt" -T fields -e _ws.expert.message | tr ',' '\n' | sort -u | tr '\n' ';')
e101=$("$TSHARK" -r "$tmp/samples.pcap" $decode -Y "$quirk_101" -T fields -e _ws.expert.message | tr ',' '\n' | sort -u | tr '\n' ';')
echo "known quirks: path_track_ans: $pt error 101: $e101"
case "$pt" in
  *"Truncated Diagnostic Response"*) ;;
  "") echo "tshark no longer complains about path_track_ans: drop the quirk" ;;
  *) echo "unexpected tshark complaint about path_track_ans: $pt"; exit 1 ;;
esac
case "$e101" in
  "Trailing stray characters;"|"") ;;
  *) echo "unexpected tshark complaint about error 101: $e101"; exit 1 ;;
esac

frames=$("$TSHARK" -r "$tmp/samples.pcap" $decode -T fields -e frame.number | wc -l)
codes=$("$TSHARK" -r "$tmp/samples.pcap" $decode -T fields -e reload.message.code | tr ',' '\n' | sed '/^$/d' | sort -u)
echo "tshark dissected $frames frames; message codes seen:" $codes

missing=""
# RFC 6940 §14.8 (probe 1 .. config_update 34, error 65535) and RFC 7851's
# path_track (101, 102); tshark prints the codes in decimal.
for code in 1 2 3 4 7 8 9 10 13 14 15 16 17 18 19 20 21 22 23 24 25 26 29 30 33 34 \
            101 102 65535; do
  if ! echo "$codes" | grep -qx "$code"; then
    missing="$missing $code"
  fi
done
if [ -n "$missing" ]; then
  echo "message codes missing from the dissection:$missing"
  exit 1
fi

# the ack frame and the fragments are there too
acks=$("$TSHARK" -r "$tmp/samples.pcap" $decode -Y 'reload_framing.type == 129' -T fields -e frame.number | wc -l)
frags=$("$TSHARK" -r "$tmp/samples.pcap" $decode -Y 'reload.forwarding.fragment.last == 0 || reload.forwarding.fragment.offset > 0' -T fields -e frame.number | wc -l)
echo "ack frames: $acks, fragment frames: $frags"
[ "$acks" -ge 1 ] || { echo "no ack frame dissected"; exit 1; }
[ "$frags" -ge 2 ] || { echo "no fragments dissected"; exit 1; }
echo "tshark agrees with every sample"
