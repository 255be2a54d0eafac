#!/bin/sh
# chorus-wire decode | chorus-wire encode gives back the identical bytes,
# for every sample message, framed and not; a broken message exits 1 with
# one line on standard error naming the field and the offset.
set -eu
CHORUS_WIRE=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$CHORUS_WIRE" samples --pcap "$tmp/s.pcap" --json-dir "$tmp/json"
n=0
for bin in "$tmp"/json/*.bin; do
  "$CHORUS_WIRE" decode < "$bin" > "$tmp/m.json"
  "$CHORUS_WIRE" encode < "$tmp/m.json" > "$tmp/m.bin"
  cmp -s "$bin" "$tmp/m.bin" || { echo "decode|encode differs for $bin"; exit 1; }
  # the JSON written by samples --json-dir is what decode prints
  "$CHORUS_WIRE" encode < "${bin%.bin}.json" > "$tmp/m2.bin"
  cmp -s "$bin" "$tmp/m2.bin" || { echo "encode of ${bin%.bin}.json differs"; exit 1; }
  n=$((n + 1))
done
echo "$n messages round-trip through JSON"
[ "$n" -ge 40 ] || { echo "expected at least 40 sample messages, got $n"; exit 1; }

# framed: wrap one message in a data frame by hand (§6.6.2: 0x80, sequence, 24-bit length)
first=$(ls "$tmp"/json/*.bin | head -1)
len=$(stat -c %s "$first")
printf "\\200\\000\\000\\000\\007\\$(printf %03o $((len >> 16 & 255)))\\$(printf %03o $((len >> 8 & 255)))\\$(printf %03o $((len & 255)))" > "$tmp/f.bin"
cat "$first" >> "$tmp/f.bin"
"$CHORUS_WIRE" decode --framed < "$tmp/f.bin" > "$tmp/f.json"
grep -q '"sequence" : 7' "$tmp/f.json" || { echo "framed JSON lacks the sequence"; cat "$tmp/f.json"; exit 1; }
"$CHORUS_WIRE" encode --framed < "$tmp/f.json" > "$tmp/f2.bin"
cmp -s "$tmp/f.bin" "$tmp/f2.bin" || { echo "framed decode|encode differs"; exit 1; }
# an ack frame
printf '\201\000\000\000\011\377\377\377\376' > "$tmp/a.bin"
"$CHORUS_WIRE" decode --framed < "$tmp/a.bin" > "$tmp/a.json"
"$CHORUS_WIRE" encode --framed < "$tmp/a.json" > "$tmp/a2.bin"
cmp -s "$tmp/a.bin" "$tmp/a2.bin" || { echo "ack decode|encode differs"; exit 1; }

# failures: exit 1, one line on stderr naming the field and the offset
head -c 30 "$first" > "$tmp/short.bin"
if "$CHORUS_WIRE" decode < "$tmp/short.bin" > /dev/null 2> "$tmp/err"; then
  echo "a truncated message decoded"; exit 1
fi
[ "$(wc -l < "$tmp/err")" -eq 1 ] || { echo "expected one line on stderr:"; cat "$tmp/err"; exit 1; }
grep -q "forwarding_header.length at offset 16" "$tmp/err" || { echo "unexpected error:"; cat "$tmp/err"; exit 1; }
{ printf '\122\105\114\117'; tail -c +5 "$first"; } > "$tmp/token.bin"
"$CHORUS_WIRE" decode < "$tmp/token.bin" > /dev/null 2> "$tmp/err" && { echo "bad token decoded"; exit 1; }
grep -q "relo_token at offset 0" "$tmp/err" || { echo "unexpected error:"; cat "$tmp/err"; exit 1; }
echo "chorus-wire decode/encode behave"
