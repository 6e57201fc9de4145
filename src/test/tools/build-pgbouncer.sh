#!/usr/bin/env bash
# Builds PgBouncer 1.24.1 from Debian 13 (trixie)'s source package into a versioned folder (default
# /usr/local/lib/pgbouncer-1.24.1; bin/pgbouncer there). Idempotent: does nothing when the binary is there with the
# right version. Debian 12 ships only 1.18, which cannot carry protocol-level prepared statements; ContextForge's
# docker-compose.yml runs a 1.2x PgBouncer (edoburu/pgbouncer). The -Ddeployment=contextforge-compose run needs it
# (-Dpgbouncer.bin= picks another binary).
#   usage: build-pgbouncer.sh [PREFIX]
set -euo pipefail
VERSION=1.24.1
PREFIX="${1:-/usr/local/lib/pgbouncer-$VERSION}"
say() { echo "build-pgbouncer: $*"; }

if [ -x "$PREFIX/bin/pgbouncer" ] && "$PREFIX/bin/pgbouncer" --version 2>/dev/null | head -1 | grep -qx "PgBouncer $VERSION"; then
  say "PgBouncer $VERSION is already built in $PREFIX"; exit 0
fi

export DEBIAN_FRONTEND=noninteractive
missing=()
for pkg in libevent-dev libssl-dev libc-ares-dev pkg-config build-essential dpkg-dev; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  say "installing ${missing[*]}"; apt-get update -qq; apt-get install -y -qq "${missing[@]}" >/dev/null
fi

work="$(mktemp -d /tmp/build-pgbouncer.XXXXXX)"
trap 'rm -rf "$work"' EXIT
# A private apt configuration that knows only trixie's deb-src line (the machine's own sources stay as they are).
mkdir -p "$work/apt/sources.list.d" "$work/apt/lists/partial" "$work/apt/cache/archives/partial"
echo "deb-src http://deb.debian.org/debian trixie main" > "$work/apt/sources.list"
apt_opts=(-o "Dir::Etc::sourcelist=$work/apt/sources.list" -o "Dir::Etc::sourceparts=$work/apt/sources.list.d"
          -o "Dir::State::lists=$work/apt/lists" -o "Dir::Cache=$work/apt/cache" -o "APT::Get::List-Cleanup=0" -o "APT::Sandbox::User=root")
say "fetching Debian 13's source package of pgbouncer"
apt-get "${apt_opts[@]}" update -qq
(cd "$work" && apt-get "${apt_opts[@]}" source -qq --download-only "pgbouncer=$VERSION-*" >/dev/null 2>&1 \
   || apt-get "${apt_opts[@]}" source -qq --download-only pgbouncer >/dev/null)
tarball="$(ls "$work"/pgbouncer_"$VERSION".orig.tar.* 2>/dev/null | head -1)"
[ -n "$tarball" ] || { say "Debian 13's source package is not PgBouncer $VERSION: $(ls "$work" | tr '\n' ' ')"; exit 1; }
tar -xf "$tarball" -C "$work"
src="$work/pgbouncer-$VERSION"
say "building in $src (prefix $PREFIX)"
(cd "$src" && ./configure -q --prefix="$PREFIX" --with-cares --without-systemd >/dev/null && make -s -j"$(nproc)" >/dev/null && make -s install >/dev/null)
got="$("$PREFIX/bin/pgbouncer" --version | head -1)"
[ "$got" = "PgBouncer $VERSION" ] || { say "built binary says '$got', not PgBouncer $VERSION"; exit 1; }
say "built $got in $PREFIX/bin/pgbouncer"
