#!/usr/bin/env bash
# Install a software Vulkan driver so the WebGPU tests can get an adapter on a machine without a
# GPU (CI). Idempotent: installs only what is missing. Never fails the caller: on any problem it
# prints why and exits 0, and the WebGPU tests then skip with a printed reason.
#
#   1. lavapipe from Mesa >= 25 (bookworm-backports): /usr/share/vulkan/icd.d/lvp_icd*.json
#      (Debian 12's own Mesa 22.3 lavapipe is refused by Dawn).
#   2. else SwiftShader from Debian's chromium package: /usr/lib/chromium/vk_swiftshader_icd.json.
#
# TENSILE_VK_ICD=<icd json> in the environment overrides the choice at test time.
set -uo pipefail

# Mesa 25 names it lvp_icd.json; older packages lvp_icd.<arch>.json.
lvp_icd() { ls /usr/share/vulkan/icd.d/lvp_icd*.json 2>/dev/null | head -n 1; }
SWS_ICD=/usr/lib/chromium/vk_swiftshader_icd.json

say() { echo "[webgpu setup-driver] $*"; }

lavapipe_ok() {
  [ -n "$(lvp_icd)" ] || return 1
  local v
  v=$(dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null) || return 1
  dpkg --compare-versions "$v" ge 25 && [ -e /usr/lib/x86_64-linux-gnu/libvulkan.so.1 ]
}

if [ -n "${TENSILE_VK_ICD:-}" ] && [ -f "$TENSILE_VK_ICD" ]; then
  say "TENSILE_VK_ICD=$TENSILE_VK_ICD is set and exists; nothing to install"
  exit 0
fi
if lavapipe_ok; then
  say "lavapipe (Mesa $(dpkg-query -W -f='${Version}' mesa-vulkan-drivers)) already installed: $(lvp_icd)"
  exit 0
fi
if [ "$(uname -s)" != Linux ] || ! command -v apt-get >/dev/null 2>&1; then
  say "not a Debian-like Linux (no apt-get): install a Vulkan driver yourself; the WebGPU tests will skip if no adapter is found"
  exit 0
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo -n"; else
    say "not root and no passwordless sudo: cannot install a driver; the WebGPU tests will skip if no adapter is found"
    exit 0
  fi
fi

export DEBIAN_FRONTEND=noninteractive
codename=$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}")
updated=0
if [ "$codename" = bookworm ]; then
  list=/etc/apt/sources.list.d/bookworm-backports.list
  if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
    echo 'deb http://deb.debian.org/debian bookworm-backports main' | $SUDO tee "$list" >/dev/null
  fi
  say "apt-get update"
  if $SUDO apt-get update -qq; then updated=1; fi
  say "installing Mesa lavapipe from bookworm-backports"
  if $SUDO apt-get install -y -qq -t bookworm-backports mesa-vulkan-drivers libvulkan1 >/dev/null && lavapipe_ok; then
    say "installed lavapipe: $(lvp_icd)"
    exit 0
  fi
  say "lavapipe from bookworm-backports failed; trying SwiftShader"
fi
if [ -f "$SWS_ICD" ]; then
  say "SwiftShader already installed: $SWS_ICD"
  exit 0
fi
if [ "$updated" = 0 ]; then $SUDO apt-get update -qq || true; fi
if $SUDO apt-get install -y -qq chromium libvulkan1 >/dev/null && [ -f "$SWS_ICD" ]; then
  say "installed SwiftShader (chromium): $SWS_ICD"
  exit 0
fi
say "could not install a software Vulkan driver; the WebGPU tests will skip with the reason"
exit 0
