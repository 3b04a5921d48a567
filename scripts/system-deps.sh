#!/bin/sh
# Debian packages the test suite needs: chromium, for the dashboard's browser tests;
# prometheus (with promtool), for the tests of /metrics in a real Prometheus and of the alert
# rules; redis-server and redis-tools (redis-cli), for the Redis store's tests (standalone,
# Sentinel, Cluster). Installs the missing ones with apt-get when run as root and does nothing
# when they are there; otherwise it says what to install (the tests that need them skip until then).
set -u
PACKAGES="chromium prometheus redis-server redis-tools"

missing=""
for package in $PACKAGES; do
    if command -v "$package" >/dev/null 2>&1; then
        continue
    fi
    if dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
        continue
    fi
    missing="$missing $package"
done
[ -z "$missing" ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
    echo "system-deps: not a Debian system: install$missing yourself (the tests that need them skip without them)" >&2
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "system-deps: missing:$missing. Run: sudo apt-get install -y$missing (the tests that need them skip until then)" >&2
    exit 0
fi
echo "system-deps: installing$missing"
# shellcheck disable=SC2086 # one word per package
if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing; }; then
    echo "system-deps: apt-get could not install$missing (the tests that need them will skip)" >&2
fi
exit 0
