"""The production layout on one machine: nginx in front of two gunicorn app servers, two
workers, the machine's PostgreSQL and Redis. Run through `scripts/fleet` (which sets up .venv):

    scripts/fleet start [--fresh]     migrate, seed the demo, start everything, wait until ready
    scripts/fleet status              what runs, on which port
    scripts/fleet load [--seconds 30] [--users 24] [--kill]
                                      the load test (bench/load), then the database checks
    scripts/fleet check               the database checks alone
    scripts/fleet kill NAME           SIGKILL one process (app1, app2, worker1, worker2, nginx)
    scripts/fleet restart NAME        start it again
    scripts/fleet stop                SIGTERM everything it started (graceful), SIGKILL what lingers
    scripts/fleet ci                  start --fresh, load --kill, check, stop (whatever fails)

It uses the same files as a real deployment: deploy/nginx/bookingapp.conf (ports rewritten),
deploy/gunicorn.conf.py, APP_ENV=production. State (ports, process ids, logs, the metrics
folder, recorded emails) lives in FLEET_DIR (default instance/fleet). Every process is started
in its own session and stopped by its own process group id, nothing else.

Environment: FLEET_DATABASE_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/
bookingapp_fleet; with --fresh it is dropped and created again, so its name must contain
"fleet"), FLEET_REDIS_URL (default redis://127.0.0.1:6379/5), FLEET_PORT (nginx; default a
free port), FLEET_DIR.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLEET_DIR = Path(os.environ.get("FLEET_DIR") or ROOT / "instance" / "fleet")
STATE = FLEET_DIR / "fleet.json"
DEFAULT_DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bookingapp_fleet"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/5"
APP_SERVERS = ("app1", "app2")
WORKERS = ("worker1", "worker2")
GUNICORN_WORKERS, GUNICORN_THREADS = 2, 4
LOAD_VENV = Path(os.environ.get("FLEET_LOAD_VENV") or ROOT / ".venv-load")
LOAD_REQUIREMENTS = ROOT / "bench" / "load" / "requirements.txt"
LOCUSTFILE = ROOT / "bench" / "load" / "locustfile.py"
DEMO_SLUG = "juniper-hair-studio"


def say(message: str) -> None:
    print(f"fleet: {message}", flush=True)


# --------------------------------------------------------------------------- state and processes


def load_state() -> dict:
    if not STATE.exists():
        raise SystemExit(f"fleet: not started ({STATE} missing); run scripts/fleet start")
    return json.loads(STATE.read_text())


def save_state(state: dict) -> None:
    FLEET_DIR.mkdir(parents=True, exist_ok=True)
    STATE.write_text(json.dumps(state, indent=2))


def free_port(preferred: int | None = None) -> int:
    if preferred:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", preferred))
                return preferred
            except OSError:
                raise SystemExit(f"fleet: port {preferred} is taken")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def environment(state: dict) -> dict:
    """What every app server and worker runs with: production settings, this fleet's services."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GUNICORN_", "PROMETHEUS_"))}
    env.update({
        "APP_ENV": "production",
        "SECRET_KEY": state["secret_key"],
        "DATABASE_URL": state["database_url"],
        "RATELIMIT_STORAGE_URI": state["redis_url"],
        "RATELIMIT_KEY_PREFIX": state["redis_prefix"],  # this fleet's counts, deleted by stop
        # The load test is many clients from one address and one API key: limits far above it.
        "API_RATE_LIMITS": "1000000 per minute",
        "API_MONTHLY_QUOTA": "1000000000",
        "TRUSTED_PROXIES": "1",
        "PUBLIC_URL": f"http://127.0.0.1:{state['ports']['nginx']}",
        # The rehearsal is plain http on loopback: a Secure session cookie (production's default)
        # would never be sent back by the load test's clients.
        "SESSION_COOKIE_SECURE": "0",
        "WEBHOOK_ALLOW_PRIVATE_URLS": "1",   # the load test's receiver is on loopback
        # A killed worker's claim then runs out in 34 s (2 x 2 s + 30 s), well inside the 90 s the
        # kill test waits for delivery; the 2-minute default lease would outlast that wait.
        "WEBHOOK_TIMEOUT_SECONDS": "2",
        "WEBHOOK_LEASE_SECONDS": "0",
        "MAIL_RECORD_DIR": str(FLEET_DIR / "mail"),
        "PROMETHEUS_MULTIPROC_DIR": str(FLEET_DIR / "metrics"),
        "LOG_FORMAT": "json",
        "FLASK_APP": "app",
        "GUNICORN_WORKERS": str(GUNICORN_WORKERS),
        "GUNICORN_THREADS": str(GUNICORN_THREADS),
        "GUNICORN_GRACEFUL_TIMEOUT": "20",
        "PYTHONUNBUFFERED": "1",
    })
    return env


def command_for(name: str, state: dict) -> tuple[list[str], dict]:
    env = environment(state)
    python = sys.executable
    if name in APP_SERVERS:
        env["GUNICORN_BIND"] = f"127.0.0.1:{state['ports'][name]}"
        env["GUNICORN_PROC_NAME"] = f"bookingapp-{name}"
        return [python, "-m", "gunicorn", "-c", str(ROOT / "deploy" / "gunicorn.conf.py"), "app:app"], env
    if name in WORKERS:
        return [python, "-m", "flask", "--app", "app", "worker", "--interval", "0.5"], env
    if name == "nginx":
        return [state["nginx_binary"], "-p", str(FLEET_DIR / "nginx"), "-c", str(FLEET_DIR / "nginx" / "nginx.conf"),
                "-g", "daemon off;"], env
    raise SystemExit(f"fleet: no process called {name!r}")


def spawn(name: str, state: dict) -> int:
    command, env = command_for(name, state)
    log = open(FLEET_DIR / "logs" / f"{name}.log", "ab")
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL, start_new_session=True)
    state["pids"][name] = process.pid
    save_state(state)
    return process.pid


def alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie (exited, not reaped because its parent was another `fleet` run) is not alive.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def signal_group(pid: int, signum: int) -> None:
    """The process and its children (gunicorn's workers, nginx's): its own session's group."""
    try:
        os.killpg(pid, signum)
    except ProcessLookupError:
        pass


def stop_process(name: str, state: dict, *, timeout: float = 30.0) -> None:
    pid = state["pids"].get(name)
    if not alive(pid):
        state["pids"].pop(name, None)
        return
    signal_group(pid, signal.SIGQUIT if name == "nginx" else signal.SIGTERM)  # both mean "graceful"
    deadline = time.monotonic() + timeout
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if alive(pid):
        say(f"{name} (pid {pid}) still running after {timeout:.0f} s: SIGKILL")
    signal_group(pid, signal.SIGKILL)  # whatever of the group is left (nothing, normally)
    state["pids"].pop(name, None)
    save_state(state)


def http_get(url: str, timeout: float = 5.0) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")
    except OSError as error:
        return 0, str(error)


def wait_ready(url: str, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    status, body = 0, ""
    while time.monotonic() < deadline:
        status, body = http_get(url, timeout=2)
        if status == 200 and body.strip() == "ok":
            return
        time.sleep(0.25)
    raise SystemExit(f"fleet: {url} not ready after {seconds:.0f} s: {status} {body.strip()[:300]}")


def flask(state: dict, *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "app", *args], cwd=ROOT, env=environment(state),
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"fleet: flask {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


# --------------------------------------------------------------------------- start / stop


def ensure_nginx() -> str:
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if found:
        return found
    say("nginx not installed: apt-get install -y nginx")
    install = ["apt-get", "install", "-y", "-qq", "nginx"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    if subprocess.run(install, env=env, stdout=subprocess.DEVNULL).returncode != 0:
        subprocess.run(["apt-get", "update", "-qq"], env=env, stdout=subprocess.DEVNULL)
        subprocess.run(install, env=env, stdout=subprocess.DEVNULL, check=True)
    found = shutil.which("nginx") or "/usr/sbin/nginx"
    # Debian's package may start its own nginx on port 80; that one is not ours to leave running.
    subprocess.run(["service", "nginx", "stop"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return found


def write_nginx_config(state: dict) -> None:
    """deploy/nginx/bookingapp.conf, its ports and paths rewritten, inside a minimal nginx.conf."""
    folder = FLEET_DIR / "nginx"
    (folder / "logs").mkdir(parents=True, exist_ok=True)
    site = (ROOT / "deploy" / "nginx" / "bookingapp.conf").read_text()
    site = site.replace("listen 80;", f"listen 127.0.0.1:{state['ports']['nginx']};")
    site = site.replace("127.0.0.1:8001", f"127.0.0.1:{state['ports']['app1']}")
    site = site.replace("127.0.0.1:8002", f"127.0.0.1:{state['ports']['app2']}")
    site = site.replace("/srv/bookingapp/static/", f"{ROOT / 'static'}/")
    (folder / "bookingapp.conf").write_text(site)
    user = "user root;\n" if os.geteuid() == 0 else ""
    (folder / "nginx.conf").write_text(f"""{user}worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/logs/error.log warn;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    # The second log is for the load check: when each request ended ($msec), how long it took,
    # its status and which app server answered, so a 5xx can be matched against the kill time.
    log_format timing '$msec $request_time $status $upstream_addr "$request"';
    access_log {folder}/logs/access.log combined;
    access_log {folder}/logs/timing.log timing;
    client_body_temp_path {folder}/client_body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    include {folder}/bookingapp.conf;
}}
""")


def reset_database(url: str) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = make_url(url).database or ""
    if "fleet" not in name:
        raise SystemExit(f"fleet: --fresh drops the database; {name!r} does not contain 'fleet'")
    admin = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()


def start(args) -> None:
    if STATE.exists() and any(alive(pid) for pid in json.loads(STATE.read_text()).get("pids", {}).values()):
        raise SystemExit("fleet: already running (scripts/fleet stop first)")
    from bookingapp.config import normalise_database_url

    database_url = normalise_database_url(os.environ.get("FLEET_DATABASE_URL") or DEFAULT_DATABASE_URL)
    if not database_url.startswith("postgresql"):
        raise SystemExit("fleet: FLEET_DATABASE_URL must be PostgreSQL")
    for folder in ("logs", "mail"):
        (FLEET_DIR / folder).mkdir(parents=True, exist_ok=True)
    shutil.rmtree(FLEET_DIR / "metrics", ignore_errors=True)   # counts start from zero with the fleet
    (FLEET_DIR / "metrics").mkdir(parents=True)
    ports = {"nginx": free_port(int(os.environ["FLEET_PORT"]) if os.environ.get("FLEET_PORT") else None)}
    for name in APP_SERVERS:
        ports[name] = free_port()
    state = {
        "database_url": database_url,
        "redis_url": os.environ.get("FLEET_REDIS_URL") or DEFAULT_REDIS_URL,
        "secret_key": secrets.token_urlsafe(48),
        "redis_prefix": f"bookingapp-fleet-{secrets.token_hex(4)}",
        "ports": ports,
        "pids": {},
        "nginx_binary": ensure_nginx(),
    }
    save_state(state)
    if args.fresh:
        say(f"fresh database {database_url.rsplit('/', 1)[-1]}")
        reset_database(database_url)
    say("migrating (flask db upgrade) and seeding the demo business")
    flask(state, "db", "upgrade")
    flask(state, "seed-demo")
    state["api_key"] = flask(state, "create-api-key", DEMO_SLUG, "--name", "fleet load test").strip().splitlines()[-1]
    save_state(state)
    write_nginx_config(state)
    for name in (*APP_SERVERS, *WORKERS, "nginx"):
        spawn(name, state)
    for name in APP_SERVERS:
        wait_ready(f"http://127.0.0.1:{ports[name]}/readyz")
    wait_ready(f"http://127.0.0.1:{ports['nginx']}/readyz")
    say(f"ready: http://127.0.0.1:{ports['nginx']}/ (nginx) -> app1 :{ports['app1']}, app2 :{ports['app2']}; "
        f"2 workers; metrics http://127.0.0.1:{ports['app1']}/metrics; logs {FLEET_DIR / 'logs'}")


def stop(_args=None) -> None:
    if not STATE.exists():
        say("nothing to stop")
        return
    state = json.loads(STATE.read_text())
    # The front door first (no new requests), then the app servers and workers, gracefully.
    for name in ("nginx", *APP_SERVERS, *WORKERS):
        if name in state.get("pids", {}):
            stop_process(name, state)
    forget_rate_limit_counts(state)
    say("stopped")


def forget_rate_limit_counts(state: dict) -> None:
    """The monthly quota's keys live a month: a fleet that is gone leaves none behind."""
    prefix = state.get("redis_prefix")
    if not prefix:
        return
    try:
        import redis

        client = redis.Redis.from_url(state["redis_url"], socket_timeout=2)
        keys = list(client.scan_iter(match=f"*{prefix}*", count=1000))
        if keys:
            client.delete(*keys)
        client.close()
    except Exception as error:  # Redis gone: nothing to tidy, and nothing to stop for
        say(f"rate-limit keys not removed ({error})")


def status(_args=None) -> None:
    state = load_state()
    for name in (*APP_SERVERS, *WORKERS, "nginx"):
        pid = state["pids"].get(name)
        port = state["ports"].get(name)
        print(f"{name:8} {'running' if alive(pid) else 'stopped':8} pid {pid or '-':>7}"
              + (f"  127.0.0.1:{port}" if port else ""))


def kill(args) -> None:
    state = load_state()
    pid = state["pids"].get(args.name)
    if not alive(pid):
        raise SystemExit(f"fleet: {args.name} is not running")
    signal_group(pid, signal.SIGKILL)
    say(f"killed {args.name} (pid {pid}, SIGKILL)")


def restart(args) -> None:
    state = load_state()
    if alive(state["pids"].get(args.name)):
        stop_process(args.name, state)
    spawn(args.name, state)
    if args.name in APP_SERVERS:
        wait_ready(f"http://127.0.0.1:{state['ports'][args.name]}/readyz")
    say(f"restarted {args.name} (pid {state['pids'][args.name]})")


# --------------------------------------------------------------------------- the webhook receiver


class Receiver:
    """A local webhook endpoint: records each delivery's event id, and whether its signature
    verifies with the endpoint's secret."""

    def __init__(self):
        self.received: list[tuple[str, bool]] = []
        self.secret = ""
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                from bookingapp.notifications.webhooks import SIGNATURE_HEADER, verify_signature

                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                event_id = self.headers.get("X-Webhook-Id", "")
                ok = verify_signature(receiver.secret, event_id, self.headers.get(SIGNATURE_HEADER, ""), body)
                with receiver.lock:
                    receiver.received.append((event_id, ok))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *_exc):
        self.server.shutdown()
        self.server.server_close()


def fleet_app(state: dict):
    """The app, in this process, on the fleet's database (for setup and the checks)."""
    os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)
    from bookingapp import create_app

    env = environment(state)
    return create_app({"SQLALCHEMY_DATABASE_URI": state["database_url"], "SECRET_KEY": env["SECRET_KEY"],
                       "RATELIMIT_STORAGE_URI": env["RATELIMIT_STORAGE_URI"], "APP_ENV": "production",
                       "LOG_FORMAT": "text", "METRICS_ENABLED": False, "WEBHOOK_ALLOW_PRIVATE_URLS": True})


def prepare_load(state: dict, receiver_url: str) -> dict:
    """A webhook endpoint for the receiver (every event), and what the load test needs to know:
    services without a deposit (the wizard books them without a payment step), staff, days."""
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    from sqlalchemy import select, update

    from bookingapp.demo import DEMO_OWNER_EMAIL, DEMO_OWNER_PASSWORD
    from bookingapp.domain import clock
    from bookingapp.extensions import db
    from bookingapp.models import Business, Service, WebhookEndpoint
    from bookingapp.notifications.webhooks import create_endpoint

    app = fleet_app(state)
    with app.app_context():
        business = db.session.scalars(select(Business).where(Business.slug == DEMO_SLUG)).one()
        # An earlier run's receiver is gone: its endpoint must not collect failures meanwhile.
        db.session.execute(update(WebhookEndpoint).where(WebhookEndpoint.business_id == business.id,
                                                         WebhookEndpoint.deleted_at.is_(None))
                           .values(is_active=False, deleted_at=clock.now()))
        endpoint = create_endpoint(db.session, business, url=receiver_url, description="fleet load test",
                                   allow_private=True)
        services = db.session.scalars(select(Service).where(Service.business_id == business.id,
                                                            Service.deposit_cents == 0,
                                                            Service.is_active.is_(True))).all()
        today = clock.now().astimezone(ZoneInfo(business.timezone)).date()
        config = {
            "slug": business.slug,
            "api_key": state["api_key"],
            "owner_email": DEMO_OWNER_EMAIL,
            "owner_password": DEMO_OWNER_PASSWORD,
            "services": [str(service.id) for service in services],
            # Two weeks ahead, starting tomorrow (today's remaining times depend on the hour).
            "days": [(today + timedelta(days=n)).isoformat() for n in range(1, 15)],
            "endpoint_id": str(endpoint.id),
            "endpoint_secret": endpoint.secret,
            "endpoint_created_at": endpoint.created_at.isoformat(),
        }
        db.session.commit()
        db.engine.dispose()
    return config


# --------------------------------------------------------------------------- the database checks


def database_checks(state: dict, load_config: dict, received: list[tuple[str, bool]], *,
                    hard_killed_workers: int) -> tuple[bool, list[str]]:
    """No overlapping active bookings; every webhook event since the endpoint was made delivered
    (succeeded, and received), duplicates only from a worker killed mid-send."""
    from collections import Counter

    from sqlalchemy import text

    from bookingapp.extensions import db

    lines, ok = [], True
    app = fleet_app(state)
    with app.app_context():
        overlaps = db.session.execute(text("""
            SELECT count(*) FROM bookings a JOIN bookings b
              ON a.staff_id = b.staff_id AND a.id < b.id
             AND a.status IN ('held', 'reserved', 'pending', 'confirmed', 'in_progress')
             AND b.status IN ('held', 'reserved', 'pending', 'confirmed', 'in_progress')
             AND tstzrange(a.blocked_from, a.blocked_until, '[)') && tstzrange(b.blocked_from, b.blocked_until, '[)')
        """)).scalar_one()
        lines.append(f"overlapping active bookings: {overlaps}")
        ok &= overlaps == 0
        by_status = dict(db.session.execute(text(
            "SELECT status, count(*) FROM webhook_deliveries WHERE endpoint_id = :e GROUP BY status"),
            {"e": load_config["endpoint_id"]}).all())
        events = {str(row[0]) for row in db.session.execute(text("""
            SELECT id FROM outbox_events
             WHERE business_id = (SELECT business_id FROM webhook_endpoints WHERE id = :e)
               AND created_at >= (SELECT created_at FROM webhook_endpoints WHERE id = :e)
               AND topic NOT LIKE 'email.%' AND topic <> 'webhook.test'
        """), {"e": load_config["endpoint_id"]}).all()}
        undispatched = db.session.execute(text(
            "SELECT count(*) FROM outbox_events WHERE dispatched_at IS NULL AND topic NOT LIKE 'email.%'")).scalar_one()
        messages = dict(db.session.execute(text("SELECT status, count(*) FROM messages GROUP BY status")).all())
        bookings = dict(db.session.execute(text("""
            SELECT status, count(*) FROM bookings
             WHERE created_at >= (SELECT created_at FROM webhook_endpoints WHERE id = :e) GROUP BY status
        """), {"e": load_config["endpoint_id"]}).all())
        db.engine.dispose()
    counts = Counter(event_id for event_id, _ in received)
    missing = events - set(counts)
    unknown = set(counts) - events
    duplicates = sum(n - 1 for n in counts.values() if n > 1)
    bad_signatures = sum(1 for _, good in received if not good)
    lines.append(f"webhook events since the endpoint: {len(events)}; received: {len(counts)} distinct, "
                 f"{len(received)} in all; missing {len(missing)}, unknown {len(unknown)}, duplicates {duplicates} "
                 f"(allowed {hard_killed_workers}: a worker killed mid-send), bad signatures {bad_signatures}")
    lines.append(f"deliveries by status: {by_status}; outbox events not fanned out: {undispatched}")
    lines.append(f"bookings made during the run, by status now: {bookings}")
    lines.append(f"messages by status: {messages}")
    ok &= not missing and not unknown and bad_signatures == 0 and duplicates <= hard_killed_workers
    ok &= set(by_status) <= {"succeeded"} and undispatched == 0
    return ok, lines


def drain(state: dict, load_config: dict, seconds: float) -> bool:
    """Wait until the workers have delivered everything (a killed worker's lease runs out first)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(state["database_url"])
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            with engine.connect() as connection:
                left = connection.execute(text("""
                    SELECT (SELECT count(*) FROM outbox_events WHERE dispatched_at IS NULL AND topic NOT LIKE 'email.%')
                         + (SELECT count(*) FROM webhook_deliveries WHERE endpoint_id = :e AND status = 'pending')
                """), {"e": load_config["endpoint_id"]}).scalar_one()
            if left == 0:
                return True
            time.sleep(1)
        return False
    finally:
        engine.dispose()


# --------------------------------------------------------------------------- load


def ensure_load_venv() -> Path:
    python = LOAD_VENV / "bin" / "python"
    stamp = LOAD_VENV / ".requirements"
    wanted = LOAD_REQUIREMENTS.read_text()
    if not python.exists() or not stamp.exists() or stamp.read_text() != wanted:
        say(f"installing the load tool (locust) into {LOAD_VENV}")
        subprocess.run([sys.executable, "-m", "venv", str(LOAD_VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "-r", str(LOAD_REQUIREMENTS)], check=True)
        stamp.write_text(wanted)
    return LOAD_VENV / "bin" / "locust"


def read_locust_stats(prefix: Path) -> tuple[list[dict], list[dict]]:
    with open(f"{prefix}_stats.csv") as stats_file:
        stats = list(csv.DictReader(stats_file))
    with open(f"{prefix}_failures.csv") as failures_file:
        failures = list(csv.DictReader(failures_file))
    return stats, failures


def kill_accounting(timing_log: Path, killed_from: float | None, killed_to: float | None) -> tuple[int, int, int]:
    """From nginx's timing log: (requests in flight at the kill, 5xx among them, 5xx at any other time).

    A request was in flight at the kill when it started (its end less its duration) before the
    signals had been sent and ended after the first was: the app server died holding it, so
    nginx answered 502 for it (a POST already sent is not replayed). Every other 5xx is a fault:
    after the kill nginx must send new requests to the live server. KILL_GRACE covers the moment
    the kernel takes to close the dead server's sockets, which nginx notices on its next event.
    """
    in_flight = in_flight_5xx = other_5xx = 0
    if not timing_log.exists():
        return in_flight, in_flight_5xx, other_5xx
    for line in timing_log.read_text(errors="replace").splitlines():
        parts = line.split(" ", 4)
        if len(parts) < 4:
            continue
        ended, took, status = float(parts[0]), float(parts[1]), int(parts[2])
        started = ended - took
        held_at_kill = (killed_from is not None and killed_to is not None
                        and started <= killed_to + KILL_GRACE and ended >= killed_from)
        in_flight += held_at_kill
        if status >= 500:
            if held_at_kill:
                in_flight_5xx += 1
            else:
                other_5xx += 1
    return in_flight, in_flight_5xx, other_5xx


KILL_GRACE = 0.25


def server_errors(failures: list[dict]) -> int:
    """Failures that are 5xx answers or no answer at all (connection reset)."""
    total = 0
    for row in failures:
        error = row.get("Error", "")
        if re.search(r"HTTP 5\d\d|\b5\d\d Server Error|ConnectionError|RemoteDisconnected|reset|refused", error):
            total += int(row.get("Occurrences") or 0)
    return total


def print_stats(stats: list[dict]) -> None:
    print(f"\n{'request':34} {'count':>7} {'fail':>5} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7}")
    for row in stats:
        print(f"{row['Type'] + ' ' + row['Name'] if row['Name'] != 'Aggregated' else 'all':34.34} "
              f"{row['Request Count']:>7} {row['Failure Count']:>5} {float(row['Requests/s']):7.1f} "
              f"{row['50%']:>7} {row['95%']:>7} {row['99%']:>7}")


def scrape(state: dict) -> dict[str, float]:
    status_code, body = http_get(f"http://127.0.0.1:{state['ports']['app1']}/metrics")
    figures: dict[str, float] = {}
    if status_code != 200:
        return figures
    for line in body.splitlines():
        if line.startswith("#") or " " not in line:
            continue
        name, value = line.rsplit(" ", 1)
        family = name.split("{", 1)[0]
        if family in ("bookingapp_http_requests_total", "bookingapp_booking_transitions_total",
                      "bookingapp_holds_expired_total", "bookingapp_webhook_attempts_total",
                      "bookingapp_messages_total", "bookingapp_message_sends_total"):
            figures[family] = figures.get(family, 0.0) + float(value)
        elif family in ("bookingapp_queue_depth", "bookingapp_queue_oldest_age_seconds"):
            figures[name] = float(value)
    return figures


def load(args) -> int:
    state = load_state()
    locust = ensure_load_venv()
    with Receiver() as receiver:
        config = prepare_load(state, f"http://127.0.0.1:{receiver.port}/hooks")
        receiver.secret = config["endpoint_secret"]
        config_path = FLEET_DIR / "load-config.json"
        config_path.write_text(json.dumps(config))
        prefix = FLEET_DIR / "load"
        command = [str(locust), "-f", str(LOCUSTFILE), "--headless", "--users", str(args.users),
                   "--spawn-rate", str(max(1, args.users // 2)), "--run-time", f"{args.seconds}s",
                   "--host", f"http://127.0.0.1:{state['ports']['nginx']}", "--csv", str(prefix),
                   "--only-summary", "--stop-timeout", "10", "--exit-code-on-error", "0", "--loglevel", "WARNING"]
        say(f"load: {args.users} users for {args.seconds} s against nginx :{state['ports']['nginx']}"
            + (" (app1 and worker1 killed and restarted mid-run)" if args.kill else ""))
        started = time.monotonic()
        run = subprocess.Popen(command, cwd=ROOT, env={**os.environ, "LOAD_CONFIG": str(config_path)},
                               stdout=open(FLEET_DIR / "logs" / "locust.log", "wb"), stderr=subprocess.STDOUT)
        hard_killed_workers = 0
        killed_from = killed_to = None
        if args.kill:
            time.sleep(args.seconds / 3)
            killed_from = time.time()
            for name in ("app1", "worker1"):
                signal_group(state["pids"][name], signal.SIGKILL)
            killed_to = time.time()
            hard_killed_workers = 1
            say(f"t={time.monotonic() - started:.1f}s: killed app1 and worker1 (SIGKILL)")
            time.sleep(3)
            for name in ("app1", "worker1"):
                spawn(name, state)
            wait_ready(f"http://127.0.0.1:{state['ports']['app1']}/readyz")
            say(f"t={time.monotonic() - started:.1f}s: app1 and worker1 restarted, app1 ready")
        run.wait()
        elapsed = time.monotonic() - started
        stats, failures = read_locust_stats(prefix)
        print_stats(stats)
        errors_5xx = server_errors(failures)
        other_failures = sum(int(f["Occurrences"]) for f in failures) - errors_5xx
        in_flight, in_flight_5xx, stray_5xx = kill_accounting(
            FLEET_DIR / "nginx" / "logs" / "timing.log", killed_from, killed_to)
        # What the load tool saw as 5xx or dropped must be the requests the dead server held:
        # nginx's log says which requests those were; any other 5xx fails the run.
        allowed = in_flight_5xx
        print(f"\nfailures: {sum(int(f['Occurrences']) for f in failures)} "
              f"(5xx or dropped: {errors_5xx}; allowed {allowed}: 5xx of the {in_flight} requests in flight "
              f"at the kill, by nginx's log; 5xx at other times: {stray_5xx})")
        for row in failures:
            print(f"  {row['Occurrences']:>5} x {row['Method']} {row['Name']}: {row['Error'][:160]}")
        say("waiting for the workers to deliver everything (a killed worker's lease runs out in 34 s)")
        drained = drain(state, config, seconds=90)
        time.sleep(0.5)
        received = list(receiver.received)
    ok, lines = database_checks(state, config, received, hard_killed_workers=hard_killed_workers)
    print("\ndatabase checks:" + "".join(f"\n  {line}" for line in lines))
    figures = scrape(state)
    print("\nmetrics (app1 /metrics, all processes):")
    for name, value in sorted(figures.items()):
        print(f"  {name} {value:g}")
    reasons = [reason for reason, failed in (
        (f"{errors_5xx} 5xx or dropped answers, {allowed} allowed", errors_5xx > allowed),
        (f"{stray_5xx} 5xx outside the kill", stray_5xx > 0),
        (f"{other_failures} other failed requests", other_failures > 0),
        ("the workers did not deliver everything in 90 s", not drained),
        ("a database check", not ok),
    ) if failed]
    passed = not reasons
    report = {"seconds": args.seconds, "users": args.users, "kill": args.kill, "elapsed": round(elapsed, 1),
              "stats": stats, "failures": failures, "errors_5xx": errors_5xx, "allowed_5xx": allowed,
              "in_flight_at_kill": in_flight, "stray_5xx": stray_5xx, "checks": lines, "drained": drained,
              "passed": passed, "failed_on": reasons, "metrics": figures}
    (FLEET_DIR / "load-report.json").write_text(json.dumps(report, indent=2))
    print(f"\n{'PASSED' if passed else 'FAILED'}: load{', kill and restart' if args.kill else ''}, database checks"
          + (f" (failed on: {'; '.join(reasons)})" if reasons else ""))
    return 0 if passed else 1


def check(_args) -> int:
    """The database checks on what the last load left (the receiver's side needs `load`)."""
    state = load_state()
    path = FLEET_DIR / "load-config.json"
    if not path.exists():
        raise SystemExit("fleet: no load run yet (scripts/fleet load); the checks read its webhook endpoint")
    _ok, lines = database_checks(state, json.loads(path.read_text()), [], hard_killed_workers=0)
    shown = [line for line in lines if not line.startswith("webhook events")]
    print("\n".join(shown))
    return 0 if shown[0].endswith(": 0") and "pending" not in shown[1] else 1


def ci(args) -> int:
    """Start on a fresh database, load with a kill and restart, check, and stop whatever happens."""
    code = 1
    try:
        start(argparse.Namespace(fresh=True))
        code = load(argparse.Namespace(seconds=args.seconds, users=args.users, kill=True))
    finally:
        stop()
        if code != 0:
            for log in sorted((FLEET_DIR / "logs").glob("*.log")):
                lines = log.read_text(errors="replace").splitlines()
                print(f"--- last lines of {log.name}\n" + "\n".join(lines[-15:]))
                # An answer's 500 is logged with its traceback long before the last lines,
                # and the fleet's folder is removed after a CI run: keep the errors here.
                errors = [line for line in lines if '"level": "error"' in line]
                if errors:
                    print(f"--- errors in {log.name} (the last 5 of {len(errors)})\n" + "\n".join(errors[-5:]))
            # Repeated last, where a CI log's tail shows it: why the run failed.
            report_path = FLEET_DIR / "load-report.json"
            if report_path.exists():
                report = json.loads(report_path.read_text())
                print("fleet ci FAILED on: " + "; ".join(report["failed_on"]))
                for row in report["failures"]:
                    print(f"  {row['Occurrences']:>5} x {row['Method']} {row['Name']}: {row['Error'][:160]}")
            else:
                print("fleet ci FAILED before the load's report (see above)")
    return code


def main(argv: list[str] | None = None) -> int:
    sys.path.insert(0, str(ROOT))
    parser = argparse.ArgumentParser(prog="scripts/fleet", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("start")
    p.add_argument("--fresh", action="store_true", help="drop and create the fleet database first")
    commands.add_parser("stop")
    commands.add_parser("status")
    p = commands.add_parser("load")
    p.add_argument("--seconds", type=int, default=30)
    p.add_argument("--users", type=int, default=24)
    p.add_argument("--kill", action="store_true", help="kill app1 and worker1 a third of the way in, then restart them")
    commands.add_parser("check")
    for name in ("kill", "restart"):
        p = commands.add_parser(name)
        p.add_argument("name", choices=(*APP_SERVERS, *WORKERS, "nginx"))
    p = commands.add_parser("ci")
    p.add_argument("--seconds", type=int, default=30)
    p.add_argument("--users", type=int, default=24)
    args = parser.parse_args(argv)
    handler = {"start": start, "stop": stop, "status": status, "load": load, "check": check, "kill": kill,
               "restart": restart, "ci": ci}[args.command]
    return handler(args) or 0


if __name__ == "__main__":
    sys.exit(main())
