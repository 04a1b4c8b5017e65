#!/usr/bin/env bash
# Smoke test of the one-folder bundle, as a user would run it (no Python, a private X server).
#
#   bash packaging/smoke.sh            # build the bundle (packaging/build_bundle.sh), then test it
#   bash packaging/smoke.sh --reuse    # test packaging/dist/desktop-gan as it is (build only if missing)
#   bash packaging/smoke.sh --runs 5   # launches to time (default 3; the median is reported)
#   bash packaging/smoke.sh --no-pulse # no private PulseAudio server (the app then has no devices)
#
# Launches the bundle under Xvfb with temporary XDG folders (your settings are untouched), times
# launch -> main window mapped, screenshots the window, checks PortAudio came from the bundle and
# reached a private PulseAudio server (null sink, through the host's ALSA pulse plugin), then
# runs the CLI: --help, enhance, generate, oneshots, and a 2-step training through `-m
# desktop_gan.train` (how the app starts training in a frozen bundle). Prints the bundle size and
# times, and a last line `SMOKE_JSON {...}`. Files go to packaging/build/smoke/ (screenshot.png).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
reuse=0
runs=3
use_pulse=1
while [ $# -gt 0 ]; do
  case "$1" in
    --reuse) reuse=1 ;;
    --runs) runs="$2"; shift ;;
    --no-pulse) use_pulse=0 ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "smoke.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

bundle="$here/dist/desktop-gan"
exe="$bundle/desktop-gan"
if [ "$reuse" = 0 ] || [ ! -x "$exe" ]; then
  bash "$here/build_bundle.sh"
fi
[ -x "$exe" ] || { echo "smoke.sh: no bundle at $exe" >&2; exit 1; }

# Tools: Xvfb, xdotool, xwininfo (x11-utils), import (imagemagick).
need=""
command -v Xvfb >/dev/null || need="$need xvfb"
command -v xdotool >/dev/null || need="$need xdotool"
command -v xwininfo >/dev/null || need="$need x11-utils"
command -v import >/dev/null || need="$need imagemagick"
if [ "$use_pulse" = 1 ]; then
  command -v pulseaudio >/dev/null || need="$need pulseaudio"
  command -v pactl >/dev/null || need="$need pulseaudio-utils"
  dpkg-query -W -f='${Status}' libasound2-plugins 2>/dev/null | grep -q "ok installed" || need="$need libasound2-plugins"
fi
if [ -n "$need" ]; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $need >/dev/null
fi

out="$here/build/smoke"
rm -rf "$out"
mkdir -p "$out"
tmp="$(mktemp -d)"
xvfb_pid=""
app_pid=""
pulse_pid=""
parec_pid=""
cleanup() {
  [ -n "$app_pid" ] && kill "$app_pid" 2>/dev/null && wait "$app_pid" 2>/dev/null || true
  [ -n "$parec_pid" ] && kill "$parec_pid" 2>/dev/null && wait "$parec_pid" 2>/dev/null || true
  [ -n "$pulse_pid" ] && kill "$pulse_pid" 2>/dev/null && wait "$pulse_pid" 2>/dev/null || true
  [ -n "$xvfb_pid" ] && kill "$xvfb_pid" 2>/dev/null && wait "$xvfb_pid" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "SMOKE FAIL: $*" >&2; exit 1; }

# A user's fresh environment: empty settings/data/cache, no Python on the path it could lean on.
export XDG_CONFIG_HOME="$tmp/config" XDG_DATA_HOME="$tmp/data" XDG_CACHE_HOME="$tmp/cache"
export XDG_RUNTIME_DIR="$tmp/runtime"
mkdir -p "$XDG_CONFIG_HOME" "$XDG_DATA_HOME" "$XDG_CACHE_HOME" "$XDG_RUNTIME_DIR"
chmod 700 "$XDG_RUNTIME_DIR"
unset PYTHONPATH PYTHONHOME VIRTUAL_ENV WAYLAND_DISPLAY
export PATH="/usr/local/bin:/usr/bin:/bin"

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

# --- X server on a free display (-displayfd picks one and tells us which)
Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp 3>"$tmp/display" 2>"$out/xvfb.log" &
xvfb_pid=$!
for _ in $(seq 100); do [ -s "$tmp/display" ] && break; sleep 0.1; done
[ -s "$tmp/display" ] || fail "Xvfb did not start (see $out/xvfb.log)"
export DISPLAY=":$(head -n1 "$tmp/display")"
export QT_QPA_PLATFORM=xcb
xdpyinfo >/dev/null 2>&1 || xwininfo -root >/dev/null || fail "X server $DISPLAY does not answer"
echo "== Xvfb on $DISPLAY"

# --- a private PulseAudio with a null sink 'virt' (its monitor is the default source), as tests/pulse.py
audio="none"
if [ "$use_pulse" = 1 ]; then
  pdir="$tmp/pulse"
  mkdir -p "$pdir"
  chmod 700 "$pdir"
  cat >"$pdir/default.pa" <<EOF
load-module module-null-sink sink_name=virt rate=48000 channels=2
load-module module-native-protocol-unix auth-anonymous=1 socket=$pdir/native
set-default-sink virt
set-default-source virt.monitor
EOF
  HOME="$pdir" XDG_RUNTIME_DIR="$pdir" pulseaudio -n -F "$pdir/default.pa" --daemonize=no \
    --exit-idle-time=-1 --use-pid-file=no --disallow-exit --log-target=stderr >"$out/pulse.log" 2>&1 &
  pulse_pid=$!
  export PULSE_SERVER="unix:$pdir/native"
  for _ in $(seq 200); do pactl info >/dev/null 2>&1 && break; sleep 0.1; done
  pactl info >/dev/null 2>&1 || fail "PulseAudio did not start (see $out/pulse.log)"
  # one reader on the monitor keeps the null sink from sleeping (new streams would stall 2 s)
  parec -d virt.monitor --latency-msec=10 --raw >/dev/null 2>&1 &
  parec_pid=$!
  echo "== PulseAudio on $PULSE_SERVER"
fi

# A 3 s 48 kHz mono 16-bit test take: a vowel-like tone with noise (stdlib only: python3 is only
# the test's tool here, the bundle itself never uses it).
python3 - "$tmp/in.wav" <<'EOF'
import math, random, struct, sys, wave
sr, n = 48000, 3 * 48000
rng = random.Random(1)
frames = bytearray()
for i in range(n):
    t = i / sr
    voice = 0.3 * math.sin(2 * math.pi * 180 * t) * (0.6 + 0.4 * math.sin(2 * math.pi * 3 * t))
    voice += 0.1 * math.sin(2 * math.pi * 720 * t)
    s = voice + 0.08 * rng.uniform(-1, 1)
    frames += struct.pack("<h", int(max(-1, min(1, s)) * 32000))
with wave.open(sys.argv[1], "wb") as w:
    w.setnchannels(1); w.setsampwidth(2); w.setframerate(sr); w.writeframes(bytes(frames))
EOF
# --- GUI: launch -> main window mapped, $runs times; then once with the take open, for the checks.
start_times=()
portaudio="not loaded"
# launch NAME [ARGS]: start the bundle, wait for a visible window titled '... desktop_gan'; sets wid, t_map
launch() {
  local name="$1"; shift
  local t0
  t0=$(now)
  "$exe" "$@" >"$out/$name.log" 2>&1 &
  app_pid=$!
  wid=""
  while [ -z "$wid" ]; do
    kill -0 "$app_pid" 2>/dev/null || fail "the app exited during start-up (see $out/$name.log)"
    [ "$(secs "$t0" "$(now)" | cut -d. -f1)" -lt 120 ] || fail "no window after 120 s"
    wid=$(xdotool search --onlyvisible --name 'desktop_gan$' 2>/dev/null | head -n1 || true)
    [ -n "$wid" ] || sleep 0.05
  done
  t_map=$(secs "$t0" "$(now)")
}
quit_app() {
  kill "$app_pid"
  wait "$app_pid" 2>/dev/null || true
  app_pid=""
}
for i in $(seq "$runs"); do
  launch "app_$i"
  start_times+=("$t_map")
  echo "   launch $i: window mapped after $t_map s"
  sleep 1
  quit_app
done
# one more with the test take open, for the screenshot and the checks
launch app_file "$tmp/in.wav"
sleep 5   # first paint, the file's waveform and spectrogram, the audio device probe
kill -0 "$app_pid" 2>/dev/null || fail "the app died after showing its window (see $out/app_file.log)"
import -window root "$out/screenshot.png"
title=$(xdotool getwindowname "$wid")
geometry=$(xwininfo -id "$wid" | awk '/Width:/ {w=$2} /Height:/ {h=$2} END {print w "x" h}')
wmclass=$(xprop -id "$wid" WM_CLASS 2>/dev/null | sed 's/.*= //' || true)
# PortAudio: loaded from the bundle (not the system) once the audio engine has started
if grep -q "$bundle/_internal/libportaudio.so.2" "/proc/$app_pid/maps"; then
  portaudio="bundled"
elif grep -q "libportaudio" "/proc/$app_pid/maps"; then
  portaudio="system"
fi
if [ "$use_pulse" = 1 ]; then
  # PortAudio -> host ALSA -> its pulse plugin -> our server: the app is one of the server's clients
  grep -q "libasound_module_pcm_pulse.so" "/proc/$app_pid/maps" || fail "the app did not load ALSA's pulse plugin"
  pactl list clients 2>/dev/null | grep -qi "desktop-gan\\|desktop_gan\\|ALSA plug-in" \
    || fail "the app is not a client of the PulseAudio server"
  audio="pulse"
fi
quit_app
# an empty screenshot has a handful of colours; a drawn window with a waveform has hundreds
colours=$(convert "$out/screenshot.png" -format "%k" info:)
[ "$colours" -gt 50 ] || fail "screenshot has only $colours colours: the window is blank"
case "$title" in in.wav*) ;; *) fail "window title '$title' does not name the opened file" ;; esac
if grep -l "Traceback\|Error" "$out"/app_*.log; then fail "the app logged an error (above)"; fi
median=$(printf '%s\n' "${start_times[@]}" | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}')
[ "$portaudio" = bundled ] || fail "PortAudio was $portaudio, not the bundled libportaudio.so.2"
echo "   window '$title' ${geometry}, WM_CLASS ${wmclass}, PortAudio: $portaudio, audio server: $audio, screenshot $out/screenshot.png ($colours colours)"

# --- CLI
timed() {  # timed NAME CMD...: runs CMD, keeps its output in $out/NAME.log, sets T_NAME
  local name="$1"; shift
  local t0 t1
  t0=$(now)
  local rc=0
  "$@" >"$out/$name.log" 2>&1 || rc=$?
  [ "$rc" = 0 ] || { cat "$out/$name.log" >&2; fail "$name exited with $rc"; }
  t1=$(now)
  printf -v "T_$name" '%s' "$(secs "$t0" "$t1")"
  echo "   $name: $(secs "$t0" "$t1") s"
}
echo "== CLI"
timed help "$exe" --help
grep -q "enhance" "$out/help.log" || fail "--help does not list the subcommands"
timed enhance "$exe" enhance "$tmp/in.wav" "$out/enhanced.wav"
timed generate "$exe" generate --bpm 120 --bars 2 --seed 1 --out "$out/loop.wav"
timed oneshots "$exe" oneshots --kind kick --count 2 --seed 1 --out "$out/oneshots/kick"
"$exe" oneshots --kind snare --count 2 --seed 1 --out "$out/oneshots/snare" >/dev/null
timed train "$exe" -m desktop_gan.train drums --data "$out/oneshots" --out "$tmp/run" --steps 2 \
  --no-eval --no-export --quiet
[ -f "$tmp/run/status.json" ] || fail "training wrote no status.json"
n_shots=$(find "$out/oneshots/kick" -name '*.wav' | wc -l)
[ "$n_shots" = 2 ] || fail "oneshots wrote $n_shots files, not 2"
# lengths: a WAV header says how many frames; enhance keeps IN's exact length, 2 bars at 120 BPM = 4 s
frames() { python3 - "$1" <<'EOF'
import struct, sys
data = open(sys.argv[1], "rb").read()
assert data[:4] == b"RIFF" and data[8:12] == b"WAVE", "not a WAV file"
pos, fmt = 12, None
while pos + 8 <= len(data):
    cid, size = data[pos:pos + 4], struct.unpack("<I", data[pos + 4:pos + 8])[0]
    if cid == b"fmt ":
        ch, sr, _, align = struct.unpack("<HIIH", data[pos + 10:pos + 22])
        fmt = (ch, sr, align)
    if cid == b"data":
        print(size // fmt[2], fmt[1])
        break
    pos += 8 + size + (size & 1)
EOF
}
read -r in_frames _ < <(frames "$tmp/in.wav")
read -r enh_frames _ < <(frames "$out/enhanced.wav")
read -r loop_frames loop_sr < <(frames "$out/loop.wav")
[ "$in_frames" = "$enh_frames" ] || fail "enhanced file has $enh_frames frames, input $in_frames"
loop_s=$(awk -v n="$loop_frames" -v r="$loop_sr" 'BEGIN { printf "%.3f", n / r }')
[ "$loop_s" = "4.000" ] || fail "2 bars at 120 BPM should be 4.000 s, the loop is $loop_s s"

size_h=$(du -sh "$bundle" | cut -f1)
size_mb=$(du -sm "$bundle" | cut -f1)
echo "== bundle $bundle: $size_h; start to window (median of $runs): $median s [${start_times[*]}]"
echo "   enhance ${T_enhance} s (3 s of audio), generate ${T_generate} s, oneshots ${T_oneshots} s, --help ${T_help} s, train 2 steps ${T_train} s"
printf 'SMOKE_JSON {"bundle_mb": %s, "start_to_window_s": {"median": %s, "runs": [%s]}, "cli_s": {"help": %s, "enhance_3s_audio": %s, "generate_2bars": %s, "oneshots_2": %s, "train_2_steps": %s}, "portaudio": "%s", "audio": "%s", "window": "%s", "screenshot": "%s"}\n' \
  "$size_mb" "$median" "$(IFS=,; echo "${start_times[*]}")" "$T_help" "$T_enhance" "$T_generate" \
  "$T_oneshots" "$T_train" "$portaudio" "$audio" "$geometry" "$out/screenshot.png"
