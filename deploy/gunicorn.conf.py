"""gunicorn settings for one app server: `gunicorn -c deploy/gunicorn.conf.py app:app`.

Everything a host changes comes from the environment (the systemd unit or scripts/fleet set it):
GUNICORN_BIND, GUNICORN_WORKERS, GUNICORN_THREADS, GUNICORN_GRACEFUL_TIMEOUT, and
PROMETHEUS_MULTIPROC_DIR (an empty folder shared by every process on this machine, so that
/metrics adds up all workers' counts; see bookingapp/metrics.py).

SIGTERM (systemd stop, scripts/fleet stop) is a graceful stop: the master stops accepting, each
worker finishes the requests it holds (up to GUNICORN_GRACEFUL_TIMEOUT seconds) and exits. nginx
sends new requests to the other app servers meanwhile (deploy/nginx/bookingapp.conf).
"""
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8001")
# gthread: a worker thread waiting on PostgreSQL does not hold a whole process; two processes
# per core and a few threads each is a fair start for this I/O-bound app.
worker_class = "gthread"
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
# A request that takes longer than this is killed (and answered 502 by nginx); the slowest page
# (a month of availability for fifty staff) takes about a second.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
# nginx keeps connections to the app servers open (upstream keepalive): keep them a little
# longer than nginx does, so nginx is the one that closes them.
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "75"))
# The app writes its own access line (JSON, with the request id, business and actor).
accesslog = None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# The proxy in front is ours: trust its X-Forwarded-* (the app's TRUSTED_PROXIES does the same).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
proc_name = os.environ.get("GUNICORN_PROC_NAME", "bookingapp")

if os.environ.get("LOG_FORMAT", "json" if os.environ.get("APP_ENV") == "production" else "text") == "json":
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "bookingapp.logs.JsonFormatter"}},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}},
        # The app puts its own JSON handler (with the request id, business, actor) on the root
        # logger; gunicorn's default would add a second one there and print every line twice.
        "root": {"level": loglevel.upper(), "handlers": []},
        "loggers": {
            "gunicorn.error": {"level": loglevel.upper(), "handlers": ["console"], "propagate": False},
            "gunicorn.access": {"level": "WARNING", "handlers": ["console"], "propagate": False},
        },
    }


def on_starting(server):
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        os.makedirs(folder, exist_ok=True)


def child_exit(server, worker):
    """A worker that exited leaves its counters' files behind (they still count: the totals
    must not drop); only its live gauges are removed."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
