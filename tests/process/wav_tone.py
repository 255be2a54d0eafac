"""wav_tone.py: what a recording of a call holds, measured (Goertzel).

tone_fraction(path, hz) is the fraction of the recording's 20 ms windows
in which the tone at `hz` carries most of the window's energy and the
window is not silence: "the recording contains the other side's tone for
most of the call".  No numpy: the standard library's wave module and a
Goertzel filter per window.

As a program: wav_tone.py FILE.wav HZ [HZ...] prints one JSON object
{"seconds": ..., "HZ": fraction, ...}.
"""

import json
import math
import struct
import sys
import wave

WINDOW_S = 0.020
SILENCE_RMS = 300.0  # of 32768: about -40 dBFS


def read_mono(path):
    """(rate, samples of the first channel) of a 16-bit PCM WAV file."""
    with wave.open(path, "rb") as w:
        if w.getsampwidth() != 2:
            raise ValueError(f"{path}: {8 * w.getsampwidth()}-bit samples, not 16-bit PCM")
        rate, channels, n = w.getframerate(), w.getnchannels(), w.getnframes()
        data = w.readframes(n)
    values = struct.unpack(f"<{len(data) // 2}h", data[: len(data) // 2 * 2])
    return rate, values[::channels]


def tone_share(window, rate, hz):
    """The share (0..1) of the window's energy in the tone at `hz`."""
    n = len(window)
    k = 2.0 * math.cos(2.0 * math.pi * hz / rate)
    s1 = s2 = 0.0
    energy = 0.0
    for x in window:
        s0 = x + k * s1 - s2
        s2, s1 = s1, s0
        energy += x * x
    if energy == 0.0:
        return 0.0, 0.0
    power = s1 * s1 + s2 * s2 - k * s1 * s2
    return min(1.0, 2.0 * power / (n * energy)), math.sqrt(energy / n)


def tone_fraction(path, hz, share=0.5):
    rate, samples = read_mono(path)
    step = int(rate * WINDOW_S)
    total = hits = 0
    for start in range(0, len(samples) - step + 1, step):
        window = samples[start:start + step]
        total += 1
        s, rms = tone_share(window, rate, hz)
        if rms >= SILENCE_RMS and s >= share:
            hits += 1
    return hits / total if total else 0.0


def seconds(path):
    with wave.open(path, "rb") as w:
        return w.getnframes() / w.getframerate()


if __name__ == "__main__":
    path = sys.argv[1]
    result = {"seconds": round(seconds(path), 2)}
    for hz in sys.argv[2:]:
        result[hz] = round(tone_fraction(path, float(hz)), 3)
    print(json.dumps(result))
