#!/usr/bin/env bash
# Installs what the test suite needs beyond npm, where it is missing (README: `npm ci && npm run test:deps && npm test`;
# .ci/run runs the same line). Each part is checked first, so a second run does nothing.
#  - python3 with moto[server] and boto3: the offline AWS twin (test/twin, docs/twin.md) and the sandbox Python tests;
#  - Debian's chromium: the viewer tests (test/view) drive a real headless Chromium;
#  - Debian's pyflakes3: lints the sandbox Python (test/sandbox-python/python-checks.test.ts).
set -uo pipefail
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null 2>&1; then sudo "$@"; else return 1; fi; }
apt_updated=
apt_install() {
  command -v apt-get >/dev/null 2>&1 || { echo "test-deps: no apt-get here; install $* yourself" >&2; return 1; }
  [ -n "$apt_updated" ] || { as_root apt-get update -q >/dev/null && apt_updated=1; }
  as_root apt-get install -y -q "$@" >/dev/null
}
if ! python3 -c 'import moto, boto3, flask, flask_cors' 2>/dev/null; then
  python3 -m pip install --quiet "moto[server]>=5.2,<6" boto3 \
    || echo "test-deps: could not install moto[server] and boto3 for python3; the twin tests will name what is missing" >&2
fi
if [ ! -x /usr/bin/chromium ]; then
  apt_install chromium || echo "test-deps: could not install chromium; the viewer tests need /usr/bin/chromium" >&2
fi
if ! command -v pyflakes3 >/dev/null 2>&1; then
  apt_install pyflakes3 || echo "test-deps: could not install pyflakes3; the sandbox Python lint needs it" >&2
fi
exit 0
