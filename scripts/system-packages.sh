#!/usr/bin/env bash
# Installs the Debian packages the portal needs, when they are missing.
#
#   bash scripts/system-packages.sh run   what the portal runs with (make run): gettext compiles the translations;
#                                         WeasyPrint lays out the customers' invoices with Pango
#                                         (invoicing/document.py), in the Noto CJK fonts, which HarfBuzz-Subset
#                                         cuts down to each document's characters (invoicing/pdf_fonts.py)
#   bash scripts/system-packages.sh       the same and what the tests and tools need (make test): Chromium drives
#                                         the browser tests (Playwright uses /usr/bin/chromium; no browser
#                                         download); a Java runtime runs the Nu HTML Checker (vnu.jar) of
#                                         tests/core/test_valid_html.py, which npm installs (make tools: the
#                                         vnu-jar package, pinned in package-lock.json)
set -euo pipefail
need=()
command -v msgfmt >/dev/null 2>&1 || need+=(gettext)
ldconfig -p 2>/dev/null | grep -q 'libpangoft2-1.0.so.0' || need+=(libpango-1.0-0 libpangoft2-1.0-0)
ldconfig -p 2>/dev/null | grep -q 'libharfbuzz-subset.so.0' || need+=(libharfbuzz-subset0)
command -v fc-list >/dev/null 2>&1 && fc-list 2>/dev/null | grep -qi 'noto.*cjk' || need+=(fonts-noto-cjk)
if [ "${1:-}" != "run" ]; then
  [ -x /usr/bin/chromium ] || need+=(chromium)
  command -v java >/dev/null 2>&1 || need+=(default-jre-headless)
  command -v npm >/dev/null 2>&1 || need+=(npm)
fi
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
echo "Installing system packages: ${need[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
