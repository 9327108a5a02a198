#!/usr/bin/env bash
# Make sure the headless browser of `make test-site` is there: Debian's chromium, at
# $CHROMIUM (default /usr/bin/chromium, where tests/test_site.py looks for it).
# If it is missing, install it with apt-get when running as root (containers, CI); otherwise
# stop with the command to run.
set -euo pipefail

chromium=${CHROMIUM:-/usr/bin/chromium}
if [[ -x $chromium ]]; then
    echo "==> chromium: $chromium"
    exit 0
fi
if [[ $(id -u) != 0 ]]; then
    echo "*** make test-site needs Debian's chromium at $chromium:" \
        "sudo apt-get install chromium" >&2
    echo "*** (or point CHROMIUM=/path/to/chromium at another build)" >&2
    exit 1
fi
echo "==> installing Debian's chromium (apt-get)"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium
[[ -x $chromium ]] || { echo "*** apt-get installed chromium, but not at $chromium" >&2; exit 1; }
