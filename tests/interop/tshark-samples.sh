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
bad=$("$TSHARK" -r "$tmp/samples.pcap" $decode -Y '_ws.malformed || _ws.expert.severity >= 6291456' -T fields -e frame.number)
if [ -n "$bad" ]; then
  echo "tshark finds problems in frames: $bad"
  for f in $bad; do
    "$TSHARK" -r "$tmp/samples.pcap" $decode -Y "frame.number == $f" -V | grep -iE 'expert|malformed|\[' | head -20
  done
  exit 1
fi

frames=$("$TSHARK" -r "$tmp/samples.pcap" $decode -T fields -e frame.number | wc -l)
codes=$("$TSHARK" -r "$tmp/samples.pcap" $decode -T fields -e reload.message.code | tr ',' '\n' | sed '/^$/d' | sort -u)
echo "tshark dissected $frames frames; message codes seen:" $codes

missing=""
# RFC 6940 §14.8 (probe 1 .. config_update 34, error 0xffff) and RFC 7851's
# path_track; tshark prints codes in hex.
for code in 0x0001 0x0002 0x0003 0x0004 0x0007 0x0008 0x0009 0x000a 0x000d 0x000e \
            0x000f 0x0010 0x0011 0x0012 0x0013 0x0014 0x0015 0x0016 0x0017 0x0018 \
            0x0019 0x001a 0x001d 0x001e 0x0021 0x0022 0xffff; do
  if ! echo "$codes" | grep -qix "$code"; then
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
