"""The fleet's load check blames a 5xx on the kill only when nginx's log shows the request was
held by the killed app server (started before the signals, ended after); any other 5xx fails."""
from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def load_fleet_module():
    spec = importlib.util.spec_from_file_location("fleet_under_test", ROOT / "deploy" / "fleet.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_only_requests_held_at_the_kill_may_fail(tmp_path):
    fleet = load_fleet_module()
    killed_from, killed_to = 1000.00, 1000.05
    timing = tmp_path / "timing.log"
    timing.write_text("\n".join([
        # ended   took   status upstream
        '999.900 0.100 200 127.0.0.1:8001 "GET /a HTTP/1.1"',     # done before the kill
        '1000.300 0.400 502 127.0.0.1:8001 "POST /b HTTP/1.1"',   # started 999.9: held, died
        '1000.200 0.250 200 127.0.0.1:8002 "GET /c HTTP/1.1"',    # in flight on the live server
        '1002.000 0.500 502 127.0.0.1:8001 "POST /d HTTP/1.1"',   # started 1001.5: a fault
        '1003.000 0.010 200 127.0.0.1:8002 "GET /e HTTP/1.1"',
    ]) + "\n")

    in_flight, in_flight_5xx, other_5xx = fleet.kill_accounting(timing, killed_from, killed_to)

    assert (in_flight, in_flight_5xx, other_5xx) == (2, 1, 1)


def test_without_a_kill_every_5xx_is_a_fault(tmp_path):
    fleet = load_fleet_module()
    timing = tmp_path / "timing.log"
    timing.write_text('10.0 0.1 500 127.0.0.1:8001 "GET / HTTP/1.1"\n10.0 0.1 200 - "GET /x HTTP/1.1"\n')

    assert fleet.kill_accounting(timing, None, None) == (0, 0, 1)
