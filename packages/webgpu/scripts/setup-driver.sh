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
#
# It also installs Debian's `chromium` (when missing) for the browser test (test/browser.test.ts:
# headless Chromium gets WebGPU from its built-in SwiftShader). TENSILE_SKIP_CHROMIUM=1 skips that.
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

# Root, or passwordless sudo (sets SUDO).
SUDO=""
sudo_ok() {
  [ "$(id -u)" = 0 ] && return 0
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo -n"; return 0; fi
  return 1
}
updated=0 # apt-get update done

install_driver() {
  if [ -n "${TENSILE_VK_ICD:-}" ] && [ -f "$TENSILE_VK_ICD" ]; then
    say "TENSILE_VK_ICD=$TENSILE_VK_ICD is set and exists; nothing to install"
    return 0
  fi
  if lavapipe_ok; then
    say "lavapipe (Mesa $(dpkg-query -W -f='${Version}' mesa-vulkan-drivers)) already installed: $(lvp_icd)"
    return 0
  fi
  if [ "$(uname -s)" != Linux ] || ! command -v apt-get >/dev/null 2>&1; then
    say "not a Debian-like Linux (no apt-get): install a Vulkan driver yourself; the WebGPU tests will skip if no adapter is found"
    return 0
  fi
  if ! sudo_ok; then
    say "not root and no passwordless sudo: cannot install a driver; the WebGPU tests will skip if no adapter is found"
    return 0
  fi

  export DEBIAN_FRONTEND=noninteractive
  codename=$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}")
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
      return 0
    fi
    say "lavapipe from bookworm-backports failed; trying SwiftShader"
  fi
  if [ -f "$SWS_ICD" ]; then
    say "SwiftShader already installed: $SWS_ICD"
    return 0
  fi
  if [ "$updated" = 0 ]; then $SUDO apt-get update -qq && updated=1; fi
  if $SUDO apt-get install -y -qq chromium libvulkan1 >/dev/null && [ -f "$SWS_ICD" ]; then
    say "installed SwiftShader (chromium): $SWS_ICD"
    return 0
  fi
  say "could not install a software Vulkan driver; the WebGPU tests will skip with the reason"
}

install_chromium() {
  if [ "${TENSILE_SKIP_CHROMIUM:-}" = 1 ]; then say "TENSILE_SKIP_CHROMIUM=1: not installing chromium"; return 0; fi
  if [ -x /usr/bin/chromium ]; then
    say "chromium already installed: $(/usr/bin/chromium --version 2>/dev/null | head -n 1)"
    return 0
  fi
  if [ "$(uname -s)" != Linux ] || ! command -v apt-get >/dev/null 2>&1 || ! sudo_ok; then
    say "cannot install chromium here (needs apt-get and root); the browser test will skip"
    return 0
  fi
  if [ "$updated" = 0 ]; then $SUDO apt-get update -qq && updated=1; fi
  if DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null && [ -x /usr/bin/chromium ]; then
    say "installed chromium: $(/usr/bin/chromium --version 2>/dev/null | head -n 1)"
  else
    say "could not install chromium; the browser test will skip"
  fi
}

install_driver
install_chromium
exit 0
