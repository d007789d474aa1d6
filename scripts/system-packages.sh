#!/usr/bin/env bash
# Installs the Debian packages the portal's tests and tools need, when they are missing.
# Chromium drives the browser tests (Playwright uses /usr/bin/chromium; no browser download);
# gettext compiles translations; a Java runtime runs the Nu HTML Checker (vnu.jar) of tests/core/test_valid_html.py,
# which npm installs (make tools: the vnu-jar package, pinned in package-lock.json). WeasyPrint lays out the
# customers' invoices with Pango (invoicing/document.py), in the Noto CJK fonts.
set -euo pipefail
need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v msgfmt >/dev/null 2>&1 || need+=(gettext)
command -v java >/dev/null 2>&1 || need+=(default-jre-headless)
command -v npm >/dev/null 2>&1 || need+=(npm)
ldconfig -p 2>/dev/null | grep -q 'libpangoft2-1.0.so.0' || need+=(libpango-1.0-0 libpangoft2-1.0-0)
# The invoices' fonts are cut down to each document's characters by HarfBuzz-Subset (invoicing/pdf_fonts.py).
ldconfig -p 2>/dev/null | grep -q 'libharfbuzz-subset.so.0' || need+=(libharfbuzz-subset0)
command -v fc-list >/dev/null 2>&1 && fc-list 2>/dev/null | grep -qi 'noto.*cjk' || need+=(fonts-noto-cjk)
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
echo "Installing system packages: ${need[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
