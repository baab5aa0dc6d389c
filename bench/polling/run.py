"""The MTP Desktop Uploader's list load: all its pending imports sent again at once.

On every list load the uploader sends the PUT of every pending sequence at the same moment
(35 in one second were seen). Here one user has 30 sequences whose import calls already used
the whole import limit (`MTP_API_RATE_IMPORT`, 30 a minute): 20 importing from Mapillary and
10 with a Street View link. Then 100 calls that change nothing (the same Mapillary pair, the
same link, `{}`) go out at once, each on a connection of its own, as axios sends them, to the
production server (granian, 2 processes) on a fresh SpatiaLite instance.

Prints how many of the 100 were answered 2xx and how many 429, how long the burst took from
the first request sent to the last answer, and how many times the server asked Mapillary
during it. Target: 100 answered 2xx, 0 with 429, 0 requests to Mapillary.

Usage: .venv/bin/python bench/polling/run.py [--calls N]
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from testing.fake_mapillary import OWNER, FakeMapillary  # noqa: E402
from testing.processes import free_port, fresh_instance_env, mtp_command, wait_for_http  # noqa: E402

HEADERS = {"Accept": "application/json, text/plain, */*", "Connection": "close"}
SETUP = (
    "from testing.builders import issue_token; "
    "from mtp.accounts.models import User; "
    "from oauth2_provider.models import get_application_model as m; "
    "u = User.objects.create_user('bench', 'bench@example.org', None); "
    "a = m().objects.create(name='Uploader', user=u, client_type='public', "
    "authorization_grant_type='implicit', redirect_uris='app.mtp.desktop://app'); "
    "print(issue_token(u, a))"
)


def say(message: str) -> None:
    print(f"bench: {message}", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=100)
    args = parser.parse_args()

    data_dir = ROOT / "var" / "bench-polling"
    shutil.rmtree(data_dir, ignore_errors=True)
    fake = FakeMapillary().start()
    env = fresh_instance_env(
        data_dir, MAPILLARY_API_URL=fake.url, LOG_LEVEL="ERROR", MTP_API_RATE_IMPORT="30"
    )
    env.pop("SITE_URL", None)
    subprocess.run(mtp_command("migrate", "-v", "0"), env=env, check=True, cwd=ROOT)  # noqa: S603
    made = subprocess.run(  # noqa: S603
        mtp_command("shell", "-c", SETUP), env=env, check=True, capture_output=True, text=True,
        cwd=ROOT,
    )  # fmt: skip
    token = made.stdout.strip().splitlines()[-1]
    port = free_port()
    command = mtp_command("serve", "--port", str(port), "--workers", "2", "--no-worker")
    server = subprocess.Popen(command, env=env, cwd=ROOT, start_new_session=True)  # noqa: S603
    try:
        base = f"http://127.0.0.1:{port}/api/v1"
        wait_for_http(f"http://127.0.0.1:{port}/healthz", timeout=120, process=server)
        headers = {**HEADERS, "Authorization": f"Bearer {token}"}

        def put(unique_id: str, body: dict) -> httpx.Response:
            return httpx.put(
                f"{base}/sequence/import/{unique_id}/",
                content=json.dumps(body),
                headers={**headers, "Content-Type": "application/json;charset=utf-8"},
                timeout=120,
            )

        pending = []
        for index in range(30):
            created = httpx.post(
                f"{base}/sequence/create/",
                data={"name": f"Part {index}", "transport_type": "Walk", "source": "mtpdu"},
                headers=headers,
            )
            unique_id = created.json()["unique_id"]
            if index < 20:
                key = f"bench-walk-{index}"
                fake.add_sequence(key, 10)
                body = {"mapillary_user_token": OWNER.token, "mapillary_sequence_key": key}
            else:
                body = {"google_street_view": f"https://maps.app.goo.gl/{index}"}
            first = put(unique_id, body)
            assert first.status_code in (200, 202), first.text
            pending.append((unique_id, body))
        say("set up 30 pending sequences, each with one import call that changed something")
        calls = [pending[index % 30] for index in range(args.calls)]
        calls = [(unique_id, body if n % 3 else {}) for n, (unique_id, body) in enumerate(calls)]
        asked_before = fake.count("/me") + fake.count("/image_ids") + fake.count("/<id>")
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=len(calls)) as pool:
            answers = list(pool.map(lambda call: put(*call), calls))
        elapsed = time.perf_counter() - started
        asked = fake.count("/me") + fake.count("/image_ids") + fake.count("/<id>") - asked_before
        statuses = Counter(answer.status_code for answer in answers)
        ok = sum(count for status, count in statuses.items() if 200 <= status < 300)
        say(f"{len(calls)} calls that change nothing, sent at once: statuses {dict(statuses)}")
        say(f"answered 2xx: {ok}; 429: {statuses.get(429, 0)}; burst took {elapsed:.2f} s")
        say(f"requests to Mapillary during the burst: {asked}")
        changing = put(pending[-1][0], {"google_street_view": "https://maps.app.goo.gl/new"})
        say(f"then a call that changes something: {changing.status_code} (429: the limit is used)")
        return 0 if ok == len(calls) and asked == 0 else 1
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=30)
        fake.stop()


if __name__ == "__main__":
    sys.exit(main())
