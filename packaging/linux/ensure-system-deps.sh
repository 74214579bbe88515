#!/usr/bin/env bash
# Installs the Debian/Ubuntu libraries Qt's offscreen platform and the tests need, if missing.
# Qt's wheels bring Qt itself; these are the system libraries they link against, plus fonts
# with full Vietnamese coverage. With the argument "gui" and an X11 display, also the xcb
# libraries a real window needs; without an argument (make test) also Xvfb and those libraries,
# for the test that runs a real X window. Runs apt-get only when something is missing.
set -euo pipefail
mode="${1:-headless}"

libs=(libEGL.so.1 libGL.so.1 libOpenGL.so.0 libxkbcommon.so.0 libfontconfig.so.1 libfreetype.so.6
      libdbus-1.so.3 libglib-2.0.so.0 libX11.so.6 libxcb.so.1 libgssapi_krb5.so.2)
packages=(libegl1 libgl1 libopengl0 libxkbcommon0 libfontconfig1 libfreetype6 libdbus-1-3
          libglib2.0-0 libx11-6 libxcb1 libgssapi-krb5-2)
missing=()
# grep reads all of ldconfig's output (no -q): an early exit would SIGPIPE ldconfig, and with
# pipefail a present library would then count as missing and run apt-get on every call
for i in "${!libs[@]}"; do
  if ! ldconfig -p 2>/dev/null | grep -F "${libs[$i]}" >/dev/null; then
    missing+=("${packages[$i]}")
  fi
done
[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing+=(fonts-dejavu-core)
# the reference age tool: the sync tests decrypt bundle bodies with it (interoperability)
command -v age >/dev/null 2>&1 || missing+=(age)
# SQLite's own shell: make bench compares backups with its .backup command
command -v sqlite3 >/dev/null 2>&1 || missing+=(sqlite3)
# a real X server: a test looks at the recovery-code step as a screen shows it (xcb libs below)
[ "$mode" = "headless" ] && { command -v Xvfb >/dev/null 2>&1 || missing+=(xvfb); }

if { [ "$mode" = "gui" ] && [ -n "${DISPLAY:-}" ]; } || [ "$mode" = "headless" ]; then
  xcb_libs=(libxcb-cursor.so.0 libxcb-icccm.so.4 libxcb-keysyms.so.1 libxcb-image.so.0
            libxcb-randr.so.0 libxcb-render-util.so.0 libxcb-shape.so.0 libxcb-xkb.so.1
            libxkbcommon-x11.so.0 libX11-xcb.so.1)
  xcb_packages=(libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-randr0
                libxcb-render-util0 libxcb-shape0 libxcb-xkb1 libxkbcommon-x11-0 libx11-xcb1)
  for i in "${!xcb_libs[@]}"; do
    if ! ldconfig -p 2>/dev/null | grep -F "${xcb_libs[$i]}" >/dev/null; then
      missing+=("${xcb_packages[$i]}")
    fi
  done
fi

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "Missing system libraries for Qt: ${missing[*]} (install them with your package manager)" >&2
  exit 1
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "Installing system packages for Qt: ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
