#!/usr/bin/env bash
# Rendering check: every answer kind, in English and French, through Element
# Web's own sanitizer settings and styles, in headless Chromium. Fails when
# Element would drop or change our HTML, collapse a line break, show a big
# heading, or cut off or scroll a too-wide answer. Screenshots go to
# $GUIDEBOT_RENDER_OUT (default: a new directory under $TMPDIR), never the repo.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x /usr/bin/chromium ]; then
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
# npm ci only when the lock file changed since the last install.
stamp=.ci/render/node_modules/.guidebot-lock
if [ ! -f "$stamp" ] || ! cmp -s .ci/render/package-lock.json "$stamp"; then
	(cd .ci/render && npm ci --no-audit --no-fund --loglevel=error)
	cp .ci/render/package-lock.json "$stamp"
fi

out="${GUIDEBOT_RENDER_OUT:-$(mktemp -d "${TMPDIR:-/tmp}/guidebot-render.XXXXXX")}"
go run -tags goolm ./cmd/guidebot-render -out "$out"
node .ci/render/check.js "$out/answers.json" "$out"
