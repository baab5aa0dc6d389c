"""``mtp serve`` with more keep-alive clients than request threads, as a real process."""

import httpx

from testing.processes import free_port, fresh_instance_env, mtp_command, running, wait_for_http


def test_clients_holding_idle_keep_alive_connections_do_not_lock_others_out(tmp_path):
    port = free_port()
    env = fresh_instance_env(tmp_path / "data")
    command = mtp_command("serve", "--no-worker", "--port", str(port), "--workers", "1")
    with running([*command, "--threads", "2"], env, tmp_path / "serve.log") as server:
        wait_for_http(f"http://127.0.0.1:{port}/healthz", timeout=120, process=server)
        clients = [httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=20) for _ in range(8)]
        try:
            # Each client keeps its connection open after its answer, as browsers, apps and
            # proxies do; four times as many connections as threads.
            statuses = [client.get("/healthz").status_code for client in clients]
            statuses += [client.get("/healthz").status_code for client in reversed(clients)]
        finally:
            for client in clients:
                client.close()
    assert statuses == [200] * 16
