#!/bin/sh
# run.sh WORKDIR [PORTBASE]: the whole recipe of README.txt, once: an
# overlay of three Chorus peers (boot; alice: auto-answer, 440 Hz, records;
# adapter: SIP adapter with user bob), baresip registered as bob (sends
# 1000 Hz, records), a call alice -> bob and a call bob -> alice, each 5 s,
# and the tone fractions of both sides' recordings.
# Environment: B (default /work/main/build/overlay/tools), PEER and ENROLL
# (default $B/chorus-peer, $B/chorus-enroll), BARESIP
# (default baresip), DUR (call seconds, default 5), CODECS (the account's
# audio_codecs, default opus/48000/2,pcmu,pcma), TRANSPORT (udp or tcp: how
# baresip reaches the adapter, default udp).
set -eu
W=$1; P=${2:-27100}
HERE=$(cd "$(dirname "$0")" && pwd)
B=${B:-/work/main/build/overlay/tools}
PEER=${PEER:-$B/chorus-peer}; ENROLL=${ENROLL:-$B/chorus-enroll}
BARESIP=${BARESIP:-baresip}
DUR=${DUR:-5}
CODECS=${CODECS:-opus/48000/2,pcmu,pcma}
TRANSPORT=${TRANSPORT:-udp}
TONE=$HERE/../wav_tone.py
BOOT=127.0.0.1:$((P+1)) ALICE=127.0.0.1:$((P+2)) ADAPTER=127.0.0.1:$((P+3))
SIP=127.0.0.1:$((P+60)) PHONE=127.0.0.1:$((P+70)) CTRL=$((P+80))
mkdir -p "$W" && cd "$W" && W=$(pwd)
PIDS=
cleanup() {
  [ -n "${BSPID:-}" ] && kill "$BSPID" 2>/dev/null || true
  [ -n "${BSPID:-}" ] && { i=0; while kill -0 "$BSPID" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done; }
  for p in $PIDS; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

# the overlay, its users, the adapter's certificate for bob
$ENROLL init --overlay test.chorus --dir ca >/dev/null
for u in boot alice adapter; do $ENROLL issue --dir ca --user $u@test.chorus --out $u >/dev/null; done
$ENROLL issue --dir ca --user bob@test.chorus --node-id-of adapter --out adapter/sip-adapter/bob >/dev/null
printf 'bob:secret\n' > users; chmod 600 users

$PEER run --profile boot --listen $BOOT > boot.log 2>&1 & PIDS="$PIDS $!"
sleep 1
$PEER run --profile alice --listen $ALICE --bootstrap $BOOT --verbose \
  --auto-answer --play tone:440 --record alice.wav > alice.log 2>&1 & PIDS="$PIDS $!"
$PEER run --profile adapter --listen $ADAPTER --bootstrap $BOOT --verbose \
  --sip-adapter $SIP --sip-adapter-users users > adapter.log 2>&1 & PIDS="$PIDS $!"
for i in $(seq 50); do
  grep -q "registered sip:alice" alice.log && grep -q "joined the overlay" adapter.log && break; sleep 0.2
done

# baresip as bob
mkdir -p bs rec
sed -e "s|@SIP_LISTEN@|$PHONE|; s|@LOCAL_ADDR@|127.0.0.1|; s|@CTRL_LISTEN@|127.0.0.1:$CTRL|" \
    -e "s|@TONE_HZ@|1000|; s|@SND_PATH@|$W/rec|" "$HERE/config.in" > bs/config
OUTBOUND=$SIP; [ "$TRANSPORT" = udp ] || OUTBOUND="$SIP;transport=$TRANSPORT"
sed -e "s|@USER@|bob|; s|@OVERLAY@|test.chorus|; s|@PASSWORD@|secret|; s|@ADAPTER@|$OUTBOUND|" \
    -e "s|audio_codecs=[^;]*|audio_codecs=$CODECS|" "$HERE/accounts.in" > bs/accounts
: > bs/contacts
$BARESIP -f "$W/bs" -v -s < /dev/null > baresip.log 2>&1 & BSPID=$!
for i in $(seq 50); do
  $PEER ctl --profile adapter adapter 2>/dev/null | grep -q '"registered" : true' && break; sleep 0.2
done
echo "== adapter after REGISTER"; $PEER ctl --profile adapter adapter

echo "== alice calls bob (baresip answers)"
$PEER ctl --profile alice call sip:bob@test.chorus --duration $DUR > call1.json
grep -E '"(state|codec|status|reason|packets_received)"' call1.json
sleep 1
cp alice.wav alice-call1.wav
echo "alice hears: $(python3 $TONE alice-call1.wav 1000 440)"
echo "baresip hears: $(python3 $TONE "$(ls rec/*-dec.wav | tail -1)" 440 1000)"
mkdir -p rec1 && mv rec/*.wav rec1/
sleep 1

echo "== bob (baresip) calls alice (auto-answer)"
python3 "$HERE/ctrl_tcp.py" $CTRL dial sip:alice@test.chorus
sleep $DUR
$PEER ctl --profile alice calls | sed -n '1,20p' | grep -E '"(state|codec|packets_received)"'
python3 "$HERE/ctrl_tcp.py" $CTRL hangup
sleep 1
cp alice.wav alice-call2.wav
echo "alice hears: $(python3 $TONE alice-call2.wav 1000 440)"
echo "baresip hears: $(python3 $TONE "$(ls rec/*-dec.wav | tail -1)" 440 1000)"
echo "== adapter at the end"; $PEER ctl --profile adapter adapter | grep -A8 '"calls"'
