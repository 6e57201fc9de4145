#!/usr/bin/env bash
# podman-service.sh - start/stop podman's Docker-compatible API socket for Testcontainers.
#
# Usage: podman-service.sh start|stop|status|env|cleanup
#   start   start `podman system service --time=0` on a unix socket (no-op if running),
#           then print the environment to use (same as `env`)
#   stop    stop the service started by `start` (containers keep running: they belong to conmon)
#   status  exit 0 if the service answers on its socket
#   env     print `export ...` lines: eval "$(podman-service.sh env)"
#   cleanup remove what Testcontainers leaves behind without Ryuk: containers and networks
#           labelled org.testcontainers=true, and throw-away ImageFromDockerfile images
#           (label org.testcontainers.sessionId). Images built by build-images.sh are kept.
#           Only when no test run is active: it removes running containers too. (The suite
#           itself removes what a killed run left, by its io.pgresilience.* labels.)
# The suite does not need this script: without DOCKER_HOST it starts and stops its own service.
# It is for running the lab against a long-lived socket, and for debugging with `docker`/`podman`.
# Env: PGR_PODMAN_RUN_DIR  directory for socket, pid file and log (default /run/pg-resilience)
#      CONTAINERS_CONF     podman config (default: containers.conf next to this script)
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
RUN_DIR="${PGR_PODMAN_RUN_DIR:-/run/pg-resilience}"
SOCK="$RUN_DIR/podman.sock"
PID_FILE="$RUN_DIR/podman-service.pid"
LOG_FILE="$RUN_DIR/podman-service.log"
export CONTAINERS_CONF="${CONTAINERS_CONF:-$SCRIPT_DIR/containers.conf}"

die() { echo "podman-service: error: $*" >&2; exit 1; }
log() { echo "podman-service: $*" >&2; }

ping_socket() { [ -S "$SOCK" ] && curl -fsS --max-time 2 --unix-socket "$SOCK" http://d/_ping >/dev/null 2>&1; }

running_pid() {
	local pid
	[ -f "$PID_FILE" ] || return 1
	pid="$(cat "$PID_FILE")"
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
	# make sure the pid still is our podman service and not a recycled pid
	tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -q "podman system service" || return 1
	echo "$pid"
}

print_env() {
	cat <<-EOF
		export DOCKER_HOST=unix://$SOCK
		export TESTCONTAINERS_RYUK_DISABLED=true
		export TESTCONTAINERS_CHECKS_DISABLE=true
		export TESTCONTAINERS_HOST_OVERRIDE=127.0.0.1
		export CONTAINERS_CONF=$CONTAINERS_CONF
	EOF
}

cmd_start() {
	command -v podman >/dev/null || die "podman not installed (apt-get install podman runc)"
	command -v curl >/dev/null || die "curl not installed"
	[ -f "$CONTAINERS_CONF" ] || die "CONTAINERS_CONF=$CONTAINERS_CONF does not exist"
	[ "$(id -u)" = 0 ] || die "must run as root (rootful podman)"
	local pid
	if pid="$(running_pid)"; then
		ping_socket || die "service pid $pid is running but $SOCK does not answer; try stop, then start"
		log "already running (pid $pid)"
		print_env
		return
	fi
	mkdir -p "$RUN_DIR" || die "cannot create $RUN_DIR"
	rm -f "$SOCK" "$PID_FILE"
	# setsid: own session, so the service outlives the calling shell and ignores its SIGINT/SIGHUP
	setsid podman system service --time=0 "unix://$SOCK" >"$LOG_FILE" 2>&1 < /dev/null &
	pid=$!
	echo "$pid" > "$PID_FILE"
	local i
	for i in $(seq 1 100); do
		if ping_socket; then
			log "started (pid $pid, log $LOG_FILE)"
			print_env
			return
		fi
		kill -0 "$pid" 2>/dev/null || { rm -f "$PID_FILE"; die "podman system service exited, see $LOG_FILE: $(tail -1 "$LOG_FILE")"; }
		sleep 0.1
	done
	die "socket $SOCK did not answer within 10s, see $LOG_FILE"
}

cmd_stop() {
	local pid i
	if ! pid="$(running_pid)"; then
		rm -f "$PID_FILE"
		log "not running"
		return
	fi
	kill -TERM "$pid"
	for i in $(seq 1 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		log "pid $pid ignored SIGTERM for 5s, sending SIGKILL"
		kill -KILL "$pid" 2>/dev/null || :
	fi
	rm -f "$PID_FILE" "$SOCK"
	log "stopped (pid $pid)"
}

cmd_cleanup() {
	local ids
	ids="$(podman ps -aq --filter label=org.testcontainers=true)"
	if [ -n "$ids" ]; then
		# shellcheck disable=SC2086
		podman rm -f -t 0 -v $ids >/dev/null && log "removed containers: $(echo $ids | wc -w)"
	fi
	ids="$(podman network ls -q --filter label=org.testcontainers=true)"
	if [ -n "$ids" ]; then
		# shellcheck disable=SC2086
		podman network rm -f $ids >/dev/null && log "removed networks: $(echo $ids | wc -w)"
	fi
	ids="$(podman images -q --filter label=org.testcontainers.sessionId | sort -u)"
	if [ -n "$ids" ]; then
		# shellcheck disable=SC2086
		podman rmi -f $ids >/dev/null && log "removed images: $(echo $ids | wc -w)"
	fi
	log "cleanup done"
}

case "${1:-}" in
	start) cmd_start ;;
	stop) cmd_stop ;;
	status) if pid="$(running_pid)" && ping_socket; then log "running (pid $pid, socket $SOCK)"; else log "not running"; exit 1; fi ;;
	env) print_env ;;
	cleanup) cmd_cleanup ;;
	*) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2; exit 2 ;;
esac
