#!/usr/bin/env bash
# pg-resilience postgres entrypoint: a compact re-implementation of the official
# postgres image's docker-entrypoint.sh for a Debian-package based image.
# Honours POSTGRES_USER, POSTGRES_PASSWORD, POSTGRES_DB, PGDATA, POSTGRES_INITDB_ARGS,
# POSTGRES_HOST_AUTH_METHOD (default scram-sha-256), POSTGRES_*_FILE secrets and
# /docker-entrypoint-initdb.d/{*.sh,*.sql,*.sql.gz}.  Extension: PG_PRIMARY_HOST (+ PG_PRIMARY_PORT,
# PG_REPLICATION_USER/PASSWORD, PG_REPLICATION_SLOT) turns an empty PGDATA into a streaming
# standby via `pg_basebackup -R` instead of initdb.  `docker run IMAGE -c k=v` works
# like the official image (args starting with '-' are appended to `postgres`).
set -Eeo pipefail

file_env() {   # file_env VAR [default]: VAR or VAR_FILE
	local var="$1" fileVar="${1}_FILE" def="${2:-}" val
	if [ "${!var:-}" ] && [ "${!fileVar:-}" ]; then
		echo >&2 "error: both $var and $fileVar are set (but are exclusive)"; exit 1
	fi
	val="$def"
	if [ "${!var:-}" ]; then val="${!var}"; elif [ "${!fileVar:-}" ]; then val="$(< "${!fileVar}")"; fi
	export "$var"="$val"; unset "$fileVar"
}

docker_setup_env() {
	file_env POSTGRES_PASSWORD
	file_env POSTGRES_USER postgres
	file_env POSTGRES_DB "$POSTGRES_USER"
	file_env POSTGRES_INITDB_ARGS
	: "${POSTGRES_HOST_AUTH_METHOD:=scram-sha-256}"
	export POSTGRES_HOST_AUTH_METHOD
	: "${PGDATA:=/var/lib/postgresql/data}"
	export PGDATA
	DATABASE_ALREADY_EXISTS=
	if [ -s "$PGDATA/PG_VERSION" ]; then DATABASE_ALREADY_EXISTS=true; fi
}

docker_create_db_directories() {
	local user; user="$(id -u)"
	mkdir -p "$PGDATA"
	chmod 00700 "$PGDATA" || :
	mkdir -p /var/run/postgresql || :
	chmod 03775 /var/run/postgresql || :
	if [ "$user" = '0' ]; then
		find "$PGDATA" \! -user postgres -exec chown postgres: '{}' +
		find /var/run/postgresql \! -user postgres -exec chown postgres: '{}' +
	fi
}

docker_verify_minimum_env() {
	if [ -z "$POSTGRES_PASSWORD" ] && [ "$POSTGRES_HOST_AUTH_METHOD" != 'trust' ]; then
		cat >&2 <<-'EOE'
			Error: Database is uninitialized and superuser password is not specified.
			       Set POSTGRES_PASSWORD (or POSTGRES_HOST_AUTH_METHOD=trust, not recommended).
		EOE
		exit 1
	fi
}

docker_init_database_dir() {
	# initdb wants the current uid to exist in /etc/passwd (not a problem as root/postgres)
	eval 'initdb --username="$POSTGRES_USER" --pwfile=<(printf "%s\n" "$POSTGRES_PASSWORD") '"$POSTGRES_INITDB_ARGS"' "$@"'
}

pg_setup_conf() {
	# listen on all interfaces (the official image bakes this into postgresql.conf.sample)
	printf "\n# added by docker-entrypoint.sh\nlisten_addresses = '*'\n" >> "$PGDATA/postgresql.conf"
	local auth="$POSTGRES_HOST_AUTH_METHOD"
	if [ "$auth" = 'md5' ]; then echo "password_encryption = md5" >> "$PGDATA/postgresql.conf"; fi
	{
		echo
		echo '# added by docker-entrypoint.sh: password auth from anywhere, incl. streaming replication'
		printf 'host all all all %s\n' "$auth"
		printf 'host replication all all %s\n' "$auth"
	} >> "$PGDATA/pg_hba.conf"
}

docker_temp_server_start() {
	if [ "$1" = 'postgres' ]; then shift; fi
	set -- "$@" -c listen_addresses='' -p "${PGPORT:-5432}"
	PGUSER="${PGUSER:-$POSTGRES_USER}" \
	pg_ctl -D "$PGDATA" -o "$(printf '%q ' "$@")" -w start
}

docker_temp_server_stop() {
	PGUSER="${PGUSER:-postgres}" pg_ctl -D "$PGDATA" -m fast -w stop
}

docker_process_sql() {
	local query_runner=( psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --no-password --no-psqlrc )
	if [ -n "$POSTGRES_DB" ]; then query_runner+=( --dbname "$POSTGRES_DB" ); fi
	PGHOST= PGHOSTADDR= "${query_runner[@]}" "$@"
}

docker_setup_db() {
	local dbAlreadyExists
	dbAlreadyExists="$(POSTGRES_DB= docker_process_sql --dbname postgres --set db="$POSTGRES_DB" --tuples-only <<-'EOSQL'
		SELECT 1 FROM pg_database WHERE datname = :'db' ;
	EOSQL
	)"
	if [ -z "$dbAlreadyExists" ]; then
		POSTGRES_DB= docker_process_sql --dbname postgres --set db="$POSTGRES_DB" <<-'EOSQL'
			CREATE DATABASE :"db" ;
		EOSQL
		echo
	fi
}

docker_process_init_files() {
	echo
	local f
	for f; do
		case "$f" in
			*.sh)
				if [ -x "$f" ]; then echo "$0: running $f"; "$f"; else echo "$0: sourcing $f"; . "$f"; fi ;;
			*.sql)    echo "$0: running $f"; docker_process_sql -f "$f"; echo ;;
			*.sql.gz) echo "$0: running $f"; gunzip -c "$f" | docker_process_sql; echo ;;
			*)        echo "$0: ignoring $f" ;;
		esac
	done
}

docker_clone_standby() {
	# PG_PRIMARY_HOST set + empty PGDATA: become a streaming standby of that primary
	local host="$PG_PRIMARY_HOST" port="${PG_PRIMARY_PORT:-5432}"
	local user="${PG_REPLICATION_USER:-$POSTGRES_USER}"
	export PGPASSWORD="${PG_REPLICATION_PASSWORD:-$POSTGRES_PASSWORD}"
	local i
	for i in $(seq 1 "${PG_PRIMARY_WAIT_SECONDS:-60}"); do
		pg_isready -q -h "$host" -p "$port" -U "$user" && break
		echo "waiting for primary $host:$port ($i)"; sleep 1
	done
	local slot_args=()
	if [ -n "${PG_REPLICATION_SLOT:-}" ]; then slot_args=( --create-slot --slot="$PG_REPLICATION_SLOT" ); fi
	echo "cloning standby from $host:$port as $user"
	pg_basebackup -h "$host" -p "$port" -U "$user" -D "$PGDATA" -R -X stream --checkpoint=fast "${slot_args[@]}"
	chmod 00700 "$PGDATA"
	unset PGPASSWORD
	echo
	echo 'PostgreSQL standby clone complete; ready for start up.'
	echo
}

_main() {
	# `IMAGE -c fsync=off` -> `postgres -c fsync=off`
	if [ "${1:0:1}" = '-' ]; then set -- postgres "$@"; fi

	if [ "$1" = 'postgres' ] && [ "${PG_ENTRYPOINT_SKIP_INIT:-}" != 'true' ]; then
		docker_setup_env
		docker_create_db_directories
		if [ "$(id -u)" = '0' ]; then
			# re-run this script as postgres; exec keeps the PID so postgres ends up as PID 1
			exec setpriv --reuid=postgres --regid=postgres --init-groups \
				env HOME=/var/lib/postgresql "${BASH_SOURCE[0]}" "$@"
		fi
		if [ -z "$DATABASE_ALREADY_EXISTS" ] && [ -n "${PG_PRIMARY_HOST:-}" ]; then
			docker_clone_standby
		elif [ -z "$DATABASE_ALREADY_EXISTS" ]; then
			docker_verify_minimum_env
			ls /docker-entrypoint-initdb.d/ > /dev/null 2>&1 || :
			docker_init_database_dir
			pg_setup_conf
			export PGPASSWORD="${PGPASSWORD:-$POSTGRES_PASSWORD}"
			docker_temp_server_start "$@"
			docker_setup_db
			shopt -s nullglob
			docker_process_init_files /docker-entrypoint-initdb.d/*
			shopt -u nullglob
			docker_temp_server_stop
			unset PGPASSWORD
			echo
			echo 'PostgreSQL init process complete; ready for start up.'
			echo
		else
			echo
			echo 'PostgreSQL Database directory appears to contain a database; Skipping initialization'
			echo
		fi
	elif [ "$1" = 'postgres' ] && [ "$(id -u)" = '0' ]; then
		# PG_ENTRYPOINT_SKIP_INIT=true: only fix permissions and drop privileges
		docker_setup_env
		docker_create_db_directories
		exec setpriv --reuid=postgres --regid=postgres --init-groups env HOME=/var/lib/postgresql "$@"
	fi
	exec "$@"
}

_main "$@"
