#!/usr/bin/env bash
# build-images.sh - build the pg-resilience lab images from Debian packages, without any
# image registry: debootstrap (bookworm, minbase) -> chroot apt-get install -> docker/podman import.
#
#   localhost/pg-resilience/postgres:15        postgresql-15 + an official-image-compatible entrypoint
#   localhost/pg-resilience/jre:17             openjdk-17-jre-headless (for running a gateway jar)
#   localhost/pg-resilience/toxiproxy:2.12.0   the Toxiproxy server built from Go (toxiproxy-server on the
#                                              PATH), laid out like ghcr.io/shopify/toxiproxy (/toxiproxy)
#
# Usage: build-images.sh [options] [postgres|jre|toxiproxy ...]
#        (default: postgres and jre, and toxiproxy when a toxiproxy-server 2.12.0 is found)
#   --engine E        docker or podman (default: docker when a Docker engine answers - DOCKER_HOST or
#                     the default socket, as the suite itself chooses - else podman)
#   --toxiproxy-bin F the Toxiproxy server binary for the toxiproxy image (default: toxiproxy-server on the PATH)
#   --force           rebuild the images even if they exist with the same recipe
#   --refresh-base    re-run debootstrap (otherwise the cached base tarball is reused)
#   --alias-docker    also tag the postgres image as docker.io/library/postgres:15
#   --install-deps    apt-get install the host tools first (podman runc debootstrap)
#   --cache-dir DIR   cache for the base tarball and .deb files (~240 MB)
#                     (default: $PGR_IMAGE_CACHE or ~/.cache/pg-resilience/images)
#   -h, --help
# Env: DEBIAN_MIRROR (default http://deb.debian.org/debian), DEBIAN_SECURITY_MIRROR,
#      CONTAINERS_CONF (default: containers.conf next to this script).
# Idempotent: an image whose label pg-resilience.recipe matches the current recipe hash is
# skipped; a changed recipe (this script, the entrypoint, package lists) triggers a rebuild.
set -Eeuo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SUITE=bookworm
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
SECURITY_MIRROR="${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}"
PG_MAJOR=15
PG_IMAGE="localhost/pg-resilience/postgres:${PG_MAJOR}"
PG_DOCKER_ALIAS="docker.io/library/postgres:${PG_MAJOR}"
JRE_IMAGE="localhost/pg-resilience/jre:17"
TOXIPROXY_VERSION=2.12.0
TOXIPROXY_IMAGE="localhost/pg-resilience/toxiproxy:${TOXIPROXY_VERSION}"
TOXIPROXY_BIN=""
ENGINE=""
PG_PACKAGES="postgresql-${PG_MAJOR} procps"
JRE_PACKAGES="openjdk-17-jre-headless"
ENTRYPOINT_SRC="$SCRIPT_DIR/image-files/docker-entrypoint.sh"

FORCE=0 REFRESH_BASE=0 ALIAS_DOCKER=0 INSTALL_DEPS=0
CACHE_DIR="${PGR_IMAGE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pg-resilience/images}"
TARGETS=()

die() { echo "build-images: error: $*" >&2; exit 1; }
log() { echo "build-images: $*" >&2; }
usage() { sed -n '2,/^set -Eeuo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; }

while [ $# -gt 0 ]; do
	case "$1" in
		--force) FORCE=1 ;;
		--refresh-base) REFRESH_BASE=1 ;;
		--alias-docker) ALIAS_DOCKER=1 ;;
		--install-deps) INSTALL_DEPS=1 ;;
		--cache-dir) [ $# -ge 2 ] || die "--cache-dir needs a directory"; CACHE_DIR="$2"; shift ;;
		--cache-dir=*) CACHE_DIR="${1#*=}" ;;
		--engine) [ $# -ge 2 ] || die "--engine needs docker or podman"; ENGINE="$2"; shift ;;
		--engine=*) ENGINE="${1#*=}" ;;
		--toxiproxy-bin) [ $# -ge 2 ] || die "--toxiproxy-bin needs a file"; TOXIPROXY_BIN="$2"; shift ;;
		--toxiproxy-bin=*) TOXIPROXY_BIN="${1#*=}" ;;
		-h|--help) usage; exit 0 ;;
		postgres|jre|toxiproxy) TARGETS+=("$1") ;;
		*) die "unknown argument '$1' (try --help)" ;;
	esac
	shift
done

# The Toxiproxy binary: the one asked for, else toxiproxy-server on the PATH. A go-installed server says "version
# git"; its module version is read with go when go is here, and must be 2.12.0.
toxiproxy_binary() {
	local bin="${TOXIPROXY_BIN:-$(command -v toxiproxy-server || :)}"
	[ -n "$bin" ] && [ -x "$bin" ] || return 1
	"$bin" -version 2>&1 | grep -qi toxiproxy || return 1
	if command -v go >/dev/null; then
		go version -m "$bin" 2>/dev/null | grep -q "toxiproxy/v2[[:space:]]*v$TOXIPROXY_VERSION" || return 1
	fi
	readlink -f "$bin"
}
if [ ${#TARGETS[@]} -eq 0 ]; then
	TARGETS=(postgres jre)
	if toxiproxy_binary >/dev/null; then TARGETS+=(toxiproxy); else
		log "toxiproxy: no toxiproxy-server $TOXIPROXY_VERSION on the PATH, image skipped (go install github.com/Shopify/toxiproxy/v2/cmd/server@v$TOXIPROXY_VERSION)"
	fi
fi

[ "$(id -u)" = 0 ] || die "must run as root (debootstrap, chroot and rootful podman)"
if [ "$INSTALL_DEPS" = 1 ]; then
	# with Recommends: netavark's aardvark-dns (network-alias DNS), iptables, catatonit are needed
	log "installing host packages: podman runc debootstrap (+ recommends)"
	DEBIAN_FRONTEND=noninteractive apt-get install -y podman runc debootstrap curl >/dev/null \
		|| die "apt-get install failed (run apt-get update first?)"
fi
if [ -z "$ENGINE" ]; then
	if command -v docker >/dev/null && timeout 10 docker info >/dev/null 2>&1; then ENGINE=docker; else ENGINE=podman; fi
fi
case "$ENGINE" in docker|podman) ;; *) die "unknown engine '$ENGINE' (docker or podman)" ;; esac
for tool in "$ENGINE" debootstrap chroot unshare tar sha256sum flock; do
	command -v "$tool" >/dev/null || die "'$tool' not found (use --install-deps or apt-get install podman runc debootstrap)"
done
[ -f "$ENTRYPOINT_SRC" ] || die "missing $ENTRYPOINT_SRC"
if [ "$ENGINE" = podman ]; then
	export CONTAINERS_CONF="${CONTAINERS_CONF:-$SCRIPT_DIR/containers.conf}"
	[ -f "$CONTAINERS_CONF" ] || die "CONTAINERS_CONF=$CONTAINERS_CONF does not exist"
	podman info >/dev/null 2>&1 || die "podman does not work: run 'CONTAINERS_CONF=$CONTAINERS_CONF podman info'"
else
	docker info >/dev/null 2>&1 || die "no Docker engine answers (DOCKER_HOST=${DOCKER_HOST:-unset}): start dockerd, or use --engine podman"
fi
log "engine: $ENGINE"
image_exists() { "$ENGINE" image inspect "$1" >/dev/null 2>&1; }

mkdir -p "$CACHE_DIR" || die "cannot create cache dir $CACHE_DIR"
CACHE_DIR="$(cd "$CACHE_DIR" && pwd)"
mkdir -p "$CACHE_DIR/debootstrap-debs" "$CACHE_DIR/apt-archives/partial" "$CACHE_DIR/work"
exec 9>"$CACHE_DIR/.lock"
flock -n 9 || die "another build-images.sh is running (lock $CACHE_DIR/.lock)"

BASE_TAR="$CACHE_DIR/base-${SUITE}-minbase.tar"
WORK=""
cleanup() { if [ -n "$WORK" ] && [ -d "$WORK" ]; then rm -rf --one-file-system "$WORK"; fi; }
trap cleanup EXIT
trap 'die "failed at line $LINENO: $BASH_COMMAND"' ERR

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN{printf "%.1f", b-a}'; }

# Run a command chrooted into $1 inside a private mount namespace: /proc, /dev, /sys and the
# apt archive cache are mounted only in that namespace and vanish when the command exits,
# so a failure can never leave mounts behind under the work directory.
in_chroot() {
	local root="$1"; shift
	unshare --mount --propagation private -- /bin/bash -euo pipefail -c '
		root="$1" archives="$2"; shift 2
		mount -t proc proc "$root/proc"
		mount -t sysfs sysfs "$root/sys"
		mount --rbind /dev "$root/dev"
		mkdir -p "$root/var/cache/apt/archives"
		mount --bind "$archives" "$root/var/cache/apt/archives"
		exec chroot "$root" /usr/bin/env -i HOME=/root LANG=C.UTF-8 \
			PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
			DEBIAN_FRONTEND=noninteractive "$@"
	' in_chroot "$root" "$CACHE_DIR/apt-archives" "$@"
}

# Files shared by all images: slim dpkg excludes, no recommends, no service starts.
write_base_config() {
	local root="$1"
	cat > "$root/etc/apt/sources.list" <<-EOF
		deb $MIRROR $SUITE main
		deb $MIRROR $SUITE-updates main
		deb $SECURITY_MIRROR $SUITE-security main
	EOF
	cat > "$root/etc/dpkg/dpkg.cfg.d/01-pg-resilience-slim" <<-'EOF'
		path-exclude /usr/share/doc/*
		path-include /usr/share/doc/*/copyright
		path-exclude /usr/share/man/*
		path-exclude /usr/share/info/*
		path-exclude /usr/share/groff/*
		path-exclude /usr/share/lintian/*
		path-exclude /usr/share/linda/*
		path-exclude /usr/share/locale/*
		path-include /usr/share/locale/locale.alias
	EOF
	cat > "$root/etc/apt/apt.conf.d/01-pg-resilience" <<-'EOF'
		APT::Install-Recommends "false";
		APT::Install-Suggests "false";
		Acquire::Languages "none";
		Dpkg::Use-Pty "false";
	EOF
	printf '#!/bin/sh\nexit 101\n' > "$root/usr/sbin/policy-rc.d"
	chmod 755 "$root/usr/sbin/policy-rc.d"
}

# Remove what an image does not need at run time.
slim_rootfs() {
	local root="$1"
	rm -f "$root/usr/sbin/policy-rc.d"
	find "$root/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete 2>/dev/null || :
	find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete 2>/dev/null || :
	rm -rf "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/usr/share/groff/* \
		"$root"/usr/share/lintian/* "$root"/usr/share/linda/*
	find "$root/usr/share/locale" -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf {} + 2>/dev/null || :
	rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb "$root"/var/cache/debconf/*-old \
		"$root"/var/lib/dpkg/*-old "$root"/var/log/apt/* "$root"/var/log/*.log \
		"$root"/tmp/* "$root"/var/tmp/* "$root"/root/.bash_history
	: > "$root/etc/resolv.conf"
	: > "$root/etc/hostname"
}

build_base() {
	if [ -s "$BASE_TAR" ] && [ "$REFRESH_BASE" = 0 ]; then
		log "base: using cached $BASE_TAR"
		return
	fi
	local t0; t0="$(now)"
	local root="$WORK/base"
	log "base: debootstrap --variant=minbase $SUITE from $MIRROR (log: $CACHE_DIR/debootstrap.log)"
	debootstrap --variant=minbase --cache-dir="$CACHE_DIR/debootstrap-debs" \
		"$SUITE" "$root" "$MIRROR" > "$CACHE_DIR/debootstrap.log" 2>&1 \
		|| die "debootstrap failed, see $CACHE_DIR/debootstrap.log"
	write_base_config "$root"
	cp /etc/resolv.conf "$root/etc/resolv.conf"
	log "base: apt-get upgrade (bookworm-updates/-security)"
	in_chroot "$root" /bin/sh -c 'apt-get update -qq && apt-get -y -qq upgrade >/dev/null' \
		|| die "apt-get upgrade in the base rootfs failed"
	slim_rootfs "$root"
	tar --numeric-owner --xattrs -C "$root" -cf "$BASE_TAR.tmp" . || die "cannot write $BASE_TAR"
	mv "$BASE_TAR.tmp" "$BASE_TAR"
	rm -rf --one-file-system "$root"
	REFRESH_BASE=0   # once per run
	log "base: done in $(elapsed "$t0")s ($(du -h "$BASE_TAR" | cut -f1))"
}

# Extra dpkg path-excludes per image (dpkg never unpacks these files; its database stays
# consistent, so images derived FROM ours can still apt-get install).
image_excludes() {
	case "$1" in
		# postgresql-15 hard-depends on libllvm14 (+libz3) only for JIT: ~133 MB. Without
		# llvmjit.so PostgreSQL silently disables JIT. locales' /usr/share/i18n (~16 MB) is only
		# needed for locale-gen; the image uses C.UTF-8.
		postgres) cat <<-EOF
			path-exclude /usr/lib/x86_64-linux-gnu/libLLVM-*
			path-exclude /usr/lib/x86_64-linux-gnu/libz3.so*
			path-exclude /usr/lib/postgresql/*/lib/llvmjit*
			path-exclude /usr/lib/postgresql/*/lib/bitcode/*
			path-exclude /usr/share/i18n/*
		EOF
		;;
		jre|toxiproxy) : ;;
	esac
}

# Install script run inside the chroot, per image. The apt archive directory is a bind mount
# of the cache (so no apt-get clean here: it would empty the cache, not the image).
install_script() {
	case "$1" in
		postgres) cat <<-EOF
			set -eu
			# fixed uid/gid 999 like the official image; then keep postgresql-common from creating a cluster
			groupadd -r -g 999 postgres
			useradd -r -g postgres -u 999 --home-dir=/var/lib/postgresql --shell=/bin/bash postgres
			mkdir -p /var/lib/postgresql && chown postgres:postgres /var/lib/postgresql
			apt-get update -qq
			apt-get install -y -qq postgresql-common >/dev/null
			sed -ri 's/#(create_main_cluster) .*\$/\1 = false/' /etc/postgresql-common/createcluster.conf
			apt-get install -y -qq $PG_PACKAGES >/dev/null
			mkdir -p /docker-entrypoint-initdb.d /var/run/postgresql
			chown postgres:postgres /var/run/postgresql && chmod 3777 /var/run/postgresql
			/usr/lib/postgresql/$PG_MAJOR/bin/postgres --version
		EOF
		;;
		jre) cat <<-EOF
			set -eu
			mkdir -p /usr/share/man/man1   # openjdk postinst wants it even with man pages excluded
			apt-get update -qq
			apt-get install -y -qq $JRE_PACKAGES >/dev/null
			mkdir -p /app
			java -version
		EOF
		;;
		toxiproxy) echo 'set -eu; /toxiproxy -version' ;;
	esac
}

import_changes() {
	case "$1" in
		postgres) printf '%s\n' \
			'ENTRYPOINT ["docker-entrypoint.sh"]' \
			'CMD ["postgres"]' \
			"ENV PATH=/usr/lib/postgresql/$PG_MAJOR/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
			'ENV PGDATA=/var/lib/postgresql/data' \
			"ENV PG_MAJOR=$PG_MAJOR" \
			'ENV LANG=C.UTF-8' \
			'EXPOSE 5432' \
			'STOPSIGNAL SIGINT' \
			'USER root' \
			'WORKDIR /' ;;
		jre) printf '%s\n' \
			'CMD ["java", "-version"]' \
			'ENV JAVA_HOME=/usr/lib/jvm/java-17-openjdk-amd64' \
			'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
			'ENV LANG=C.UTF-8' \
			'USER root' \
			'WORKDIR /app' ;;
		# as ghcr.io/shopify/toxiproxy: the server at /toxiproxy, its API on 8474 on every interface
		toxiproxy) printf '%s\n' \
			'ENTRYPOINT ["/toxiproxy"]' \
			'CMD ["-host=0.0.0.0", "-config=/config/toxiproxy.json"]' \
			'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
			'ENV LOG_LEVEL=warn' \
			'EXPOSE 8474' \
			'USER root' \
			'WORKDIR /' ;;
	esac
}

image_ref() { case "$1" in postgres) echo "$PG_IMAGE" ;; jre) echo "$JRE_IMAGE" ;; toxiproxy) echo "$TOXIPROXY_IMAGE" ;; esac; }

recipe_hash() {
	{
		cat "${BASH_SOURCE[0]}"
		[ "$1" = postgres ] && cat "$ENTRYPOINT_SRC"
		[ "$1" = toxiproxy ] && sha256sum < "$(toxiproxy_binary)"
		echo "$1 $MIRROR $SECURITY_MIRROR"
	} | sha256sum | cut -c1-16
}

build_image() {
	local name="$1" ref hash current old_id=""
	ref="$(image_ref "$name")"
	if [ "$name" = toxiproxy ]; then
		toxiproxy_binary >/dev/null || die "toxiproxy: no toxiproxy-server $TOXIPROXY_VERSION (${TOXIPROXY_BIN:-on the PATH}): go install github.com/Shopify/toxiproxy/v2/cmd/server@v$TOXIPROXY_VERSION, then --toxiproxy-bin \$(go env GOPATH)/bin/server"
	fi
	hash="$(recipe_hash "$name")"
	old_id="$("$ENGINE" image inspect --format '{{.Id}}' "$ref" 2>/dev/null || :)"
	if [ "$FORCE" = 0 ] && image_exists "$ref"; then
		current="$("$ENGINE" image inspect --format '{{ index .Labels "pg-resilience.recipe" }}' "$ref" 2>/dev/null || :)"
		if [ "$current" = "$hash" ]; then
			log "$name: $ref exists (recipe $hash), skipping (use --force to rebuild)"
			alias_if_asked "$name"
			return
		fi
		log "$name: $ref exists with recipe '${current:-none}', current recipe is $hash: rebuilding"
	fi
	build_base
	local t0; t0="$(now)"
	local root="$WORK/$name"
	mkdir -p "$root"
	tar --numeric-owner --xattrs -C "$root" -xf "$BASE_TAR" || die "cannot unpack $BASE_TAR"
	write_base_config "$root"
	image_excludes "$name" > "$root/etc/dpkg/dpkg.cfg.d/02-pg-resilience-$name"
	cp /etc/resolv.conf "$root/etc/resolv.conf"
	if [ "$name" = toxiproxy ]; then
		install -m 0755 "$(toxiproxy_binary)" "$root/toxiproxy"
		mkdir -p "$root/config" && echo '[]' > "$root/config/toxiproxy.json"
	fi
	log "$name: installing in the chroot"
	install_script "$name" | in_chroot "$root" /bin/sh -s || die "$name: package installation in the chroot failed"
	if [ "$name" = postgres ]; then
		install -m 0755 "$ENTRYPOINT_SRC" "$root/usr/local/bin/docker-entrypoint.sh"
	fi
	slim_rootfs "$root"
	local args=() line on_top=()
	while IFS= read -r line; do
		# docker import takes no STOPSIGNAL: it is set by a docker build on top of the import
		if [ "$ENGINE" = docker ] && [[ "$line" == STOPSIGNAL* ]]; then on_top+=("$line"); else args+=(--change "$line"); fi
	done < <(import_changes "$name")
	args+=(--change "LABEL pg-resilience.recipe=$hash")
	local description="pg-resilience $name image built from Debian $SUITE packages"
	# Docker reads a LABEL line as key=value pairs (a value with spaces is quoted); podman takes the rest literally
	[ "$ENGINE" = docker ] && description="\"$description\""
	args+=(--change "LABEL org.opencontainers.image.description=$description")
	log "$name: $ENGINE import -> $ref"
	tar --numeric-owner --xattrs -C "$root" -c . | "$ENGINE" import $([ "$ENGINE" = podman ] && echo --quiet) "${args[@]}" - "$ref" >/dev/null \
		|| die "$name: $ENGINE import failed"
	if [ ${#on_top[@]} -gt 0 ]; then
		local imported; imported="$(docker image inspect --format '{{.Id}}' "$ref")"
		{ echo "FROM $imported"; printf '%s\n' "${on_top[@]}"; } | DOCKER_BUILDKIT=0 docker build -q -t "$ref" - >/dev/null 2>"$CACHE_DIR/docker-build.log" \
			|| die "$name: docker build on top of the import failed, see $CACHE_DIR/docker-build.log"
		docker rmi "$imported" >/dev/null 2>&1 || :
	fi
	rm -rf --one-file-system "$root"
	alias_if_asked "$name"
	# drop the previous build if nothing references it any more (ignore failures: in use)
	if [ -n "$old_id" ] && [ -z "$("$ENGINE" image inspect --format '{{.RepoTags}}' "$old_id" 2>/dev/null | tr -d '[]')" ]; then
		"$ENGINE" rmi "$old_id" >/dev/null 2>&1 || log "$name: old image ${old_id:0:12} still in use, left in place"
	fi
	log "$name: built $ref in $(elapsed "$t0")s, size $("$ENGINE" image inspect --format '{{.Size}}' "$ref" | awk '{printf "%.0f MB", $1/1e6}')"
}

alias_if_asked() {
	if [ "$1" = postgres ] && [ "$ALIAS_DOCKER" = 1 ]; then
		"$ENGINE" tag "$PG_IMAGE" "$PG_DOCKER_ALIAS" || die "cannot tag $PG_DOCKER_ALIAS"
		log "postgres: also tagged $PG_DOCKER_ALIAS"
	fi
}

WORK="$(mktemp -d "$CACHE_DIR/work/build.XXXXXX")"
T_ALL="$(now)"
for target in "${TARGETS[@]}"; do build_image "$target"; done
log "all done in $(elapsed "$T_ALL")s"
"$ENGINE" images --filter reference='localhost/pg-resilience/*' --format '{{.Repository}}:{{.Tag}}  {{.ID}}  {{.Size}}'
