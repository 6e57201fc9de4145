"""A small HTTP gateway backed by PostgreSQL, written from the suite's contract (README, "Test your own gateway").

Python 3.11 standard library (ThreadingHTTPServer) + psycopg 3 + psycopg_pool. Configured by GW_* environment
variables only (see config()). What it does when the database misbehaves:

- every request waits at most the pool timeout for a connection: then 503 database_unavailable with Retry-After;
- a connection is checked before every use by a query bounded by the validation timeout (a blackholed one is dropped);
- connect_timeout per host, TCP keepalives and tcp_user_timeout, statement_timeout (a startup option, or the role's
  setting behind a transaction pooler), and a watchdog that ends any wait longer than the socket timeout: 504;
- writes go to the primary only: the hosts are tried in order with target_session_attrs=read-write, and a node on a
  lower timeline than one already seen is refused (fencing a stale primary after a failover); a connection that finds
  itself read-only (SQLSTATE 25006) is discarded;
- a COMMIT that loses its connection, or whose wait for a synchronous standby is cancelled, is answered 503
  commit_outcome_unknown and never retried: the gateway does not know whether it was applied.
"""

import hmac
import json
import logging
import os
import select
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import psycopg
import psycopg_pool
from psycopg import pq
from psycopg.conninfo import conninfo_to_dict

# psycopg_pool retries a failed connection attempt with an exponential backoff (1 s, 2 s, 4 s …): after a long outage
# the pool would stay empty for seconds once the database is back. A steady retry keeps recovery within one interval.
psycopg_pool.base.AttemptWithBackoff.INITIAL_DELAY = 0.2
psycopg_pool.base.AttemptWithBackoff.DELAY_BACKOFF = 1.0

LOG = logging.getLogger("python-gateway")
MAX_BODY = 64 * 1024
MAX_NAME = 255
TIMELINE_SQL = "SELECT ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int"
ANY_TIMELINE_SQL = ("SELECT CASE WHEN pg_is_in_recovery() THEN (SELECT timeline_id FROM pg_control_checkpoint()) "
                    "ELSE ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int END")
SCHEMA = """
CREATE TABLE IF NOT EXISTS servers (
  id bigserial PRIMARY KEY, name text NOT NULL UNIQUE, url text, description text,
  created_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE IF NOT EXISTS tools (
  id bigserial PRIMARY KEY, name text NOT NULL UNIQUE, url text,
  server_id bigint REFERENCES servers(id) ON DELETE CASCADE, created_at timestamptz NOT NULL DEFAULT now());
"""


def env(name, default=None):
    value = os.environ.get(name, "").strip()
    if value:
        return value
    if default is None:
        sys.exit(f"python-gateway: environment variable {name} is required")
    return default


def number(name, default):
    try:
        return int(env(name, str(default)))
    except ValueError:
        sys.exit(f"python-gateway: environment variable {name} must be a number")


class Config:
    def __init__(self):
        self.host = env("GW_HOST", "127.0.0.1")
        self.port = number("GW_PORT", 8000)
        self.url = env("GW_DATABASE_URL")
        self.token = env("GW_TOKEN").encode("utf-8")
        self.pool_min = number("GW_POOL_MIN", 5)
        self.pool_max = number("GW_POOL_MAX", 15)
        self.pool_timeout = number("GW_POOL_TIMEOUT_MS", 30000) / 1000
        self.max_lifetime = number("GW_POOL_MAX_LIFETIME_MS", 1800000) / 1000
        self.validation_timeout = number("GW_VALIDATION_TIMEOUT_MS", 1000) / 1000
        self.ready_timeout = number("GW_READY_TIMEOUT_MS", 1000) / 1000
        self.connect_timeout = number("GW_CONNECT_TIMEOUT_S", 10)
        self.socket_timeout = number("GW_SOCKET_TIMEOUT_S", 60)
        self.statement_timeout_ms = number("GW_STATEMENT_TIMEOUT_MS", 30000)
        self.retry_after = number("GW_RETRY_AFTER_S", 2)
        # none, session or transaction: behind a transaction pooler a server connection serves other clients between
        # transactions, so no server-side prepared statements, and no startup options (the role carries the timeouts)
        self.pooler = env("GW_POOLER", "none")
        self.parent_pid = number("GW_PARENT_PID", 0)


class Failure(Exception):
    """A failure that already knows its HTTP answer."""

    def __init__(self, status, error, message):
        super().__init__(message)
        self.status, self.error, self.message = status, error, message


class OutcomeUnknown(Exception):
    """The connection failed while COMMIT was on its way, or the wait for the synchronous standby was cancelled."""


class Watchdog(threading.Thread):
    """Ends waits on the database that libpq alone would not end: at its deadline a connection's socket is shut down
    (as pgjdbc's socket timeout does); a COMMIT is first cancelled at the statement timeout (PostgreSQL turns
    statement_timeout off while it commits, so only a cancel ends a wait for an unreachable synchronous standby)."""

    def __init__(self):
        super().__init__(name="watchdog", daemon=True)
        self.armed = {}
        self.lock = threading.Lock()

    def arm(self, conn, cancel_at, kill_at):
        with self.lock:
            self.armed[id(conn)] = [conn, cancel_at, kill_at, False]

    def disarm(self, conn):
        with self.lock:
            entry = self.armed.pop(id(conn), None)
        return entry is not None and entry[3]

    def run(self):
        while True:
            time.sleep(0.05)
            now = time.monotonic()
            with self.lock:
                due = [e for e in self.armed.values() if (e[1] and now >= e[1]) or now >= e[2]]
            for entry in due:
                conn, cancel_at, kill_at, _ = entry
                if cancel_at and now >= cancel_at and now < kill_at:
                    entry[1] = None
                    threading.Thread(target=self.cancel, args=(conn,), daemon=True).start()
                elif now >= kill_at:
                    entry[2], entry[3] = float("inf"), True
                    LOG.warning("the database did not answer within the socket timeout; closing the connection")
                    try:
                        s = socket.socket(fileno=os.dup(conn.pgconn.socket))
                        s.shutdown(socket.SHUT_RDWR)
                        s.close()
                    except Exception:  # already closed
                        pass

    @staticmethod
    def cancel(conn):
        LOG.warning("COMMIT still waiting at the statement timeout; cancelling its wait")
        try:
            conn.cancel_safe(timeout=CONFIG.connect_timeout)
        except Exception as e:
            LOG.warning("cancel failed: %s", e)


class FencedConnection(psycopg.Connection):
    """Connects to the hosts of the URL one by one, each within connect_timeout, and takes the first writable one whose
    timeline is not below the highest seen (a stale primary back after a failover is refused)."""

    highest_timeline = 0
    timeline_lock = threading.Lock()

    @classmethod
    def connect(cls, conninfo="", **kwargs):
        # psycopg's own options apart: conninfo_to_dict drops a None (prepare_threshold=None: never prepare)
        own = {k: kwargs.pop(k) for k in ("autocommit", "prepare_threshold") if k in kwargs}
        params = conninfo_to_dict(conninfo, **kwargs)
        params.update(own)
        hosts = params.pop("host", "").split(",")
        ports = str(params.pop("port", "5432")).split(",")
        ports = ports * len(hosts) if len(ports) == 1 else ports
        last = None
        # One address (a VIP, a pooler) may refuse at once while what is behind it comes back: retry it within the
        # connect timeout instead of failing at once.
        deadline = time.monotonic() + CONFIG.connect_timeout
        while True:
            for host, port in zip(hosts, ports):
                try:
                    conn = super().connect(host=host, port=port, **params)
                except psycopg.OperationalError as e:
                    last = e
                    continue
                try:
                    timeline = conn.execute(TIMELINE_SQL).fetchone()[0]
                    conn.commit()
                except psycopg.Error as e:  # a standby: pg_current_wal_lsn() fails during recovery
                    conn.close()
                    last = e
                    continue
                with cls.timeline_lock:
                    cls.highest_timeline = max(cls.highest_timeline, timeline)
                    highest = cls.highest_timeline
                if timeline >= highest:
                    return conn
                conn.close()
                LOG.warning("fenced a stale primary: %s:%s is writable on timeline %s, but timeline %s has been seen; "
                            "refusing it (split brain)", host, port, timeline, highest)
                last = psycopg.OperationalError(f"no writable database node on timeline >= {highest}")
            if len(hosts) > 1 or time.monotonic() + 0.1 > deadline:
                raise last
            time.sleep(0.1)


def learn_timelines():
    """A gateway (re)started while an old primary is still writable must already know that a newer timeline exists."""
    kwargs = connection_kwargs()
    kwargs.pop("prepare_threshold", None)
    params = conninfo_to_dict(CONFIG.url, **kwargs)
    hosts = params.pop("host", "").split(",")
    ports = str(params.pop("port", "5432")).split(",")
    if len(hosts) < 2:
        return
    params["target_session_attrs"] = "any"
    for host, port in zip(hosts, ports):
        try:
            with psycopg.connect(host=host, port=port, **params) as conn:
                t = conn.execute(ANY_TIMELINE_SQL).fetchone()[0]
                FencedConnection.highest_timeline = max(FencedConnection.highest_timeline, t)
        except psycopg.Error as e:
            LOG.info("timeline of %s:%s unknown at start: %s", host, port, e)
    LOG.info("highest timeline among the database hosts at start: %s", FencedConnection.highest_timeline)


def connection_kwargs():
    kw = dict(connect_timeout=CONFIG.connect_timeout, keepalives=1, keepalives_idle=2, keepalives_interval=1,
              keepalives_count=3, tcp_user_timeout=CONFIG.socket_timeout * 1000, application_name="python-gateway",
              autocommit=True)
    if CONFIG.pooler == "transaction":
        kw["prepare_threshold"] = None  # a prepared statement would outlive the transaction's server connection
    else:
        kw["options"] = f"-c statement_timeout={CONFIG.statement_timeout_ms}"
    return kw


def bounded_ping(conn, timeout, query=b"SELECT 1"):
    """A query with a client-side deadline (a connection that does not answer within it is closed and refused); returns
    the first value of its answer."""
    pg = conn.pgconn
    deadline = time.monotonic() + timeout
    if pg.status != pq.ConnStatus.OK or pg.transaction_status != pq.TransactionStatus.IDLE:
        raise psycopg.OperationalError("the database connection is not usable")
    pg.send_query(query)
    value = None
    try:
        while pg.flush() != 0:
            if not select.select([], [pg.socket], [], max(0, deadline - time.monotonic()))[1]:
                raise TimeoutError
        while True:
            if pg.is_busy():
                if not select.select([pg.socket], [], [], max(0, deadline - time.monotonic()))[0]:
                    raise TimeoutError
                pg.consume_input()
                continue
            result = pg.get_result()
            if result is None:
                return value
            if result.status != pq.ExecStatus.TUPLES_OK:
                raise psycopg.OperationalError("the database refused the validation query")
            value = result.get_value(0, 0)
    except TimeoutError:
        conn.close()
        raise psycopg.OperationalError("the database did not answer the validation query in time") from None


class Database:
    def __init__(self):
        self.pool = psycopg_pool.ConnectionPool(
            CONFIG.url, connection_class=FencedConnection, kwargs=connection_kwargs(), min_size=CONFIG.pool_min,
            max_size=CONFIG.pool_max, timeout=CONFIG.pool_timeout, max_lifetime=CONFIG.max_lifetime,
            reconnect_timeout=24 * 3600, num_workers=5, open=False, name="gateway-pool")
        self.local = threading.local()

    def use(self, work, write=False):
        """Runs work(conn) on a pooled connection, in one transaction when write; measures the time for Server-Timing."""
        start = time.monotonic()
        try:
            conn = self.checked_connection()
            try:
                return self._run(conn, work, write)
            finally:
                if conn.closed or conn.pgconn.status != pq.ConnStatus.OK:
                    conn.close()
                self.pool.putconn(conn)
        finally:
            self.local.db_ms = getattr(self.local, "db_ms", 0.0) + (time.monotonic() - start) * 1000

    def checked_connection(self):
        """A pooled connection that has just answered a query, within the pool timeout in all: a stale one (the database
        restarted, the network dropped it) is closed and the next one tried at once, never handed to a request."""
        deadline = time.monotonic() + CONFIG.pool_timeout
        while True:
            try:
                conn = self.pool.getconn(timeout=max(0.001, deadline - time.monotonic()))
            except psycopg_pool.PoolTimeout:
                raise Failure(503, "database_unavailable",
                              "no database connection became available within the pool timeout") from None
            try:  # the whole checkout within the pool timeout, as HikariCP's connectionTimeout bounds its validation
                # The validation is the fencing check as well: a connection made before a failover may lead to an old
                # primary that came back (still writable, on a lower timeline) or to a node now in recovery.
                timeline = int(bounded_ping(conn, max(0.05, min(CONFIG.validation_timeout, deadline - time.monotonic())),
                                            TIMELINE_SQL.encode()))
                with FencedConnection.timeline_lock:
                    FencedConnection.highest_timeline = max(FencedConnection.highest_timeline, timeline)
                    highest = FencedConnection.highest_timeline
                if timeline >= highest:
                    return conn
                LOG.warning("fenced a pooled connection to a stale primary: timeline %s, but timeline %s has been seen",
                            timeline, highest)
                conn.close()
                self.pool.putconn(conn)
            except psycopg.Error as e:
                LOG.info("dropped a stale connection: %s", e)
                conn.close()
                self.pool.putconn(conn)

    def _run(self, conn, work, write):
        socket_timeout = CONFIG.socket_timeout
        if not write:
            return self._guarded(conn, None, socket_timeout, lambda: work(conn))
        self._guarded(conn, None, socket_timeout, lambda: conn.execute("BEGIN"))
        try:
            result = self._guarded(conn, None, socket_timeout, lambda: work(conn))
        except BaseException:
            if not conn.closed:
                try:
                    self._guarded(conn, None, socket_timeout, lambda: conn.execute("ROLLBACK"))
                except Exception:
                    conn.close()
            raise
        warnings = []

        def notice(diag):  # read now: the notice's result is freed once the handler returns
            warnings.append(diag.message_primary or "")
        conn.add_notice_handler(notice)
        try:
            now = time.monotonic()
            self.watchdog_arm(conn, now + CONFIG.statement_timeout_ms / 1000, now + socket_timeout)
            try:
                conn.execute("COMMIT")
            finally:
                WATCHDOG.disarm(conn)
        except psycopg.Error as e:
            if isinstance(e, psycopg.OperationalError) or (e.sqlstate or "").startswith(("08", "57P")):
                conn.close()
                raise OutcomeUnknown(str(e)) from e
            raise
        finally:
            conn.remove_notice_handler(notice)
        if any("synchronous replication" in w for w in warnings):
            LOG.warning("COMMIT kept locally but not confirmed by the synchronous standby: outcome unknown")
            conn.close()
            raise OutcomeUnknown("the wait for the synchronous standby was cancelled")
        return result

    @staticmethod
    def watchdog_arm(conn, cancel_at, kill_at):
        WATCHDOG.arm(conn, cancel_at, kill_at)

    @staticmethod
    def _guarded(conn, cancel_at, timeout, fn):
        WATCHDOG.arm(conn, cancel_at, time.monotonic() + timeout)
        try:
            return fn()
        except psycopg.OperationalError as e:
            if WATCHDOG.disarm(conn):
                raise Failure(504, "database_timeout", "the database did not answer within the socket timeout") from e
            raise
        finally:
            WATCHDOG.disarm(conn)

    def take_ms(self):
        ms = getattr(self.local, "db_ms", 0.0)
        self.local.db_ms = 0.0
        return ms


def classify(e):
    """What a failure means to a client: never a bare 500 for a database fault."""
    if isinstance(e, Failure):
        return e
    if isinstance(e, OutcomeUnknown):
        return Failure(503, "commit_outcome_unknown",
                       "the database connection failed during commit; the write may or may not have been applied")
    if not isinstance(e, psycopg.Error):
        return Failure(500, "internal_error", "Internal Server Error")
    state = e.sqlstate or ""
    if state == "57014":
        return Failure(504, "statement_timeout", "the query was cancelled by statement_timeout; rolled back")
    if isinstance(e, psycopg.OperationalError) and not state or state.startswith(("08", "57P", "53")) or state == "25006":
        return Failure(503, "database_unavailable", f"the database is unavailable (SQLSTATE {state or '08006'})")
    if state == "40P01":
        return Failure(409, "deadlock_detected", "the transaction was chosen as a deadlock victim and rolled back; retry")
    if state == "40001":
        return Failure(409, "serialization_failure", "the transaction conflicted with another and was rolled back; retry")
    if state == "23505":
        return Failure(409, "conflict", "an entry with that name already exists")
    if state.startswith(("22", "23")):
        return Failure(400, "bad_request", f"the database refused the data (SQLSTATE {state})")
    return Failure(500, "internal_error", "Internal Server Error")


def rows(cursor):
    names = [c.name for c in cursor.description]
    return [dict(zip(names, r)) for r in cursor.fetchall()]


def insert_tool(conn, name, url, server_id):
    return rows(conn.execute("INSERT INTO tools(name, url, server_id) VALUES (%s, %s, %s) RETURNING id, name, url",
                             (name, url, server_id)))[0]


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # socketserver's default backlog of 5 drops connections under load: the client waits 1 s+


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "python-gateway/0.1"
    disable_nagle_algorithm = True

    def log_message(self, fmt, *args):  # one line per request is noise in the suite's logs
        pass

    def do_GET(self):
        self.route("GET")

    def do_POST(self):
        self.route("POST")

    def route(self, method):
        url = urlsplit(self.path)
        routes = {
            ("GET", "/health"): lambda: (200, {"status": "ok"}),
            ("GET", "/health/ready"): self.ready,
            ("GET", "/health/pool"): self.pool_stats,
            ("GET", "/api/servers"): lambda: (200, self.list_servers(parse_qs(url.query).get("name", [None])[0])),
            ("POST", "/api/servers"): self.create_server,
            ("POST", "/api/servers/bulk-update"): self.bulk_update,
            ("GET", "/api/tools"): lambda: (200, DB.use(lambda c: rows(c.execute(
                "SELECT t.id, t.name, t.url, s.name AS server FROM tools t LEFT JOIN servers s ON s.id = t.server_id "
                "ORDER BY t.id")))),
            ("POST", "/api/tools"): self.create_tool,
        }
        self.raw = b""
        try:
            if method == "POST":  # read first: an unread body would be taken for the next request on this connection
                length = int(self.headers.get("Content-Length") or 0)
                if length > MAX_BODY:
                    self.close_connection = True
                    raise Failure(413, "too_large", "the body is larger than 64 KiB")
                self.raw = self.rfile.read(length)
            handler = routes.get((method, url.path))
            if handler is None:
                raise Failure(404, "not_found", "no such endpoint")
            if url.path.startswith("/api/"):
                self.authenticate()
            status, body = handler()
            self.answer(status, body)
        except Exception as e:  # every failure has an answer; the handler thread goes on
            f = classify(e)
            if f.status == 409 and f.error == "deadlock_detected":
                LOG.warning("deadlock detected (SQLSTATE 40P01) on %s %s: %s", method, url.path, str(e).splitlines()[0])
            elif f.status >= 500 or isinstance(e, psycopg.Error):
                LOG.warning("%s %s -> %s %s: %s", method, url.path, f.status, f.error, str(e).splitlines()[0] if str(e) else "")
            if f.status == 500:
                LOG.exception("unexpected failure")
            self.answer(f.status, {"error": f.error, "message": f.message}, retry=f.status == 503)

    def answer(self, status, body, retry=False):
        data = json.dumps(body, default=str).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Server-Timing", f"db;dur={DB.take_ms():.1f}")
        if retry:
            self.send_header("Retry-After", str(CONFIG.retry_after))
        if status == 401:
            self.send_header("WWW-Authenticate", "Bearer")
        # One connection per request: a thread per idle keep-alive connection (a client that never closes them) would
        # pile up, and thousands of them waking at once stall every request for seconds.
        self.send_header("Connection", "close")
        self.close_connection = True
        self._headers_buffer.append(b"\r\n" + data)  # headers and body in one write
        self.flush_headers()

    def authenticate(self):
        """The exact token, compared in constant time; the database is never asked."""
        header = self.headers.get("Authorization", "")
        presented = header[7:].strip(" \t") if header[:7].lower() == "bearer " else ""
        if not presented or not hmac.compare_digest(presented.encode("latin-1", "replace"), CONFIG.token):
            raise Failure(401, "unauthorized", "Token validation failed")

    def body(self):
        try:
            node = json.loads(self.raw or b"null")
        except ValueError as e:
            raise Failure(400, "bad_request", f"malformed JSON: {e}") from None
        if not isinstance(node, dict):
            raise Failure(400, "bad_request", "the body must be a JSON object")
        return node

    @staticmethod
    def text(node, field, required=False):
        v = node.get(field)
        if v is not None and not isinstance(v, str):
            raise Failure(400, "bad_request", f"'{field}' must be a string")
        if required and (v is None or not v.strip()):
            raise Failure(400, "bad_request", f"'{field}' is required")
        if required and len(v) > MAX_NAME:
            raise Failure(400, "bad_request", f"'{field}' is longer than {MAX_NAME} characters")
        return v

    def ready(self):
        def ping(conn):
            bounded_ping(conn, CONFIG.ready_timeout)
        try:
            DB.use(ping)
        except Exception as e:
            f = classify(e)
            if f.status == 504:
                f = Failure(503, "database_unavailable", f.message)
            raise f from e
        return 200, {"status": "ready", "database": "ok"}

    def pool_stats(self):
        s = DB.pool.get_stats()
        size, available = s.get("pool_size", 0), s.get("pool_available", 0)
        return 200, {"active": size - available, "idle": available, "total": size,
                     "waiting": s.get("requests_waiting", 0), "min_idle": CONFIG.pool_min, "max": CONFIG.pool_max,
                     "highest_timeline": FencedConnection.highest_timeline}

    def list_servers(self, name):
        return DB.use(lambda c: rows(c.execute(
            "SELECT id, name, url, description FROM servers WHERE (%s::text IS NULL OR name = %s) ORDER BY id",
            (name, name))))

    def create_server(self):
        body = self.body()
        name = self.text(body, "name", True)
        tools = body.get("tools", [])
        if not isinstance(tools, list) or not all(isinstance(t, dict) for t in tools):
            raise Failure(400, "bad_request", "'tools' must be an array of objects")
        specs = [(self.text(t, "name", True), self.text(t, "url")) for t in tools]

        def work(conn):
            server = rows(conn.execute(
                "INSERT INTO servers(name, url, description) VALUES (%s, %s, %s) RETURNING id, name, url, description",
                (name, self.text(body, "url"), self.text(body, "description"))))[0]
            server["tools"] = [insert_tool(conn, n, u, server["id"]) for n, u in specs]
            return server
        return 201, DB.use(work, write=True)

    def create_tool(self):
        body = self.body()
        name, url = self.text(body, "name", True), self.text(body, "url")
        return 201, DB.use(lambda c: insert_tool(c, name, url, None), write=True)

    def bulk_update(self):
        updates = self.body().get("updates")
        if not isinstance(updates, list) or not updates or not all(isinstance(u, dict) for u in updates):
            raise Failure(400, "bad_request", "'updates' must be a non-empty array of {name, description}")
        pairs = [(self.text(u, "name", True), self.text(u, "description")) for u in updates]

        def work(conn):
            for name, description in pairs:  # in the order given: two such calls in opposite order can deadlock
                if conn.execute("UPDATE servers SET description = %s WHERE name = %s", (description, name)).rowcount == 0:
                    raise Failure(404, "not_found", f"no server named '{name}'")
            return len(pairs)
        return 200, {"updated": DB.use(work, write=True)}


def create_schema():
    """The schema is the gateway's own; it waits a while for the database at start."""
    deadline = time.monotonic() + 30
    while True:
        try:
            def work(conn):
                conn.execute("SELECT pg_advisory_xact_lock(4242)")  # two gateways starting together
                conn.execute(SCHEMA)
            DB.use(work, write=True)
            return
        except Exception as e:
            if time.monotonic() > deadline:
                sys.exit(f"python-gateway: database not usable at start: {e}")
            LOG.warning("database not ready at start (%s); retrying", e)
            time.sleep(0.5)


def exit_with_parent(pid):
    """When the suite that started it ends (even by SIGKILL), the gateway must not outlive it."""
    def watch():
        while True:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                LOG.info("parent process %s ended; stopping", pid)
                os._exit(0)
            time.sleep(0.5)
    if pid > 0:
        threading.Thread(target=watch, name="parent-watch", daemon=True).start()


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("psycopg.pool").setLevel(logging.WARNING)
    CONFIG = Config()
    exit_with_parent(CONFIG.parent_pid)
    WATCHDOG = Watchdog()
    WATCHDOG.start()
    DB = Database()
    LOG.info("python-gateway starting: psycopg %s, libpq %s, pool %s..%s, pool timeout %ss, connect %ss, socket %ss, "
             "statement %s ms, pooler %s", psycopg.__version__, pq.version(), CONFIG.pool_min, CONFIG.pool_max,
             CONFIG.pool_timeout, CONFIG.connect_timeout, CONFIG.socket_timeout, CONFIG.statement_timeout_ms,
             CONFIG.pooler)
    learn_timelines()
    DB.pool.open(wait=False)
    create_schema()
    server = Server((CONFIG.host, CONFIG.port), Handler)
    LOG.info("python-gateway listening on http://%s:%s", CONFIG.host, CONFIG.port)
    server.serve_forever()
