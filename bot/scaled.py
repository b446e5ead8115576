"""`bot run-scaled`: N Rasa servers (each running the custom actions; or N action servers beside them with
SEPARATE_ACTION_SERVER=1) and N web apps on loopback ports the system picks, behind nginx (docs/deploy.md,
"Scaling out"). Rasa's Redis lock store keeps two servers from handling one conversation at once,
socket.io's Redis client manager delivers a message to a visitor whichever server holds their socket, and
PostgreSQL holds the conversations, leads and briefs."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Optional
from urllib.parse import unquote, urlsplit

import jinja2
import yaml
from sqlalchemy.engine import make_url

from bot import config, supervisor
from bot.config import MODEL
from bot.store.engine import DatabaseUnreachable, check_reachable

TEMPLATE = Path(__file__).with_name("nginx.conf.j2")


def lock_store(redis_url: str) -> dict:
    """endpoints.yml's `lock_store` for a redis:// (or rediss://) URL: host, port, database, password."""
    parts = urlsplit(redis_url)
    if parts.scheme not in ("redis", "rediss"):
        raise ValueError(f"REDIS_URL must be redis://HOST:PORT/DB, not {redis_url!r}")
    # Rasa's RedisLockStore, each change of a lock made one Redis transaction (bot/store/lock_store.py)
    settings = {"type": "bot.store.lock_store.TransactionalRedisLockStore", "url": parts.hostname or "127.0.0.1",
                "port": parts.port or 6379, "db": int(parts.path.strip("/") or 0), "use_ssl": parts.scheme == "rediss"}
    if parts.username:
        settings["username"] = unquote(parts.username)
    if parts.password:
        settings["password"] = unquote(parts.password)
    return settings


def check_redis(redis_url: str) -> None:
    import redis

    try:
        redis.Redis.from_url(redis_url, socket_connect_timeout=3, socket_timeout=3).ping()
    except (redis.RedisError, ValueError) as error:
        shown = make_url(redis_url).render_as_string(hide_password=True)
        raise RuntimeError(f"Cannot reach Redis at {shown} (REDIS_URL): {error}") from error


def scaled_endpoints(action_url: Optional[str], redis_url: str) -> Path:
    """endpoints.yml with Rasa's Redis lock store, and the action endpoint on nginx if the action servers are
    separate."""
    endpoints = yaml.safe_load((config.ROOT / "endpoints.yml").read_text())
    if action_url:
        endpoints["action_endpoint"] = {"url": action_url}
    endpoints["lock_store"] = lock_store(redis_url)
    config.VAR_DIR.mkdir(parents=True, exist_ok=True)
    target = config.VAR_DIR / "endpoints.scaled.yml"
    target.write_text(yaml.safe_dump(endpoints))
    return target


def nginx_config(var: Path, rasa_port: int, web_port: int, action_port: int, ports: Dict[str, List[int]],
                 host: str = "127.0.0.1") -> Path:
    var.mkdir(parents=True, exist_ok=True)
    template = jinja2.Template(TEMPLATE.read_text(), trim_blocks=True, lstrip_blocks=True,
                               undefined=jinja2.StrictUndefined)
    target = var / "nginx.conf"
    target.write_text(template.render(
        var=var, host=host, instances=len(ports["rasa"]), rasa_port=rasa_port, web_port=web_port,
        action_port=action_port, rasa_ports=ports["rasa"], web_ports=ports["web"], action_ports=ports["actions"],
        forwarded=config.trusted_proxy_header()))
    return target


def nginx_binary() -> Optional[str]:
    return shutil.which("nginx", path=f"{os.environ.get('PATH', '')}:/usr/sbin")  # /usr/sbin is not on every PATH


def free_ports(count: int) -> List[int]:
    """Ports nothing listens on, all different (held open together while the system picks them)."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def create_tables() -> None:
    """The app's and Rasa's tables, created once here: N services creating them at the same moment on
    an empty PostgreSQL database would collide."""
    from rasa.core.tracker_store import SQLTrackerStore
    from sqlalchemy import create_engine

    from bot.store.engine import engine

    engine().dispose()
    tracker = create_engine(config.tracker_db_url(), future=True)
    try:
        SQLTrackerStore.Base.metadata.create_all(tracker)
    finally:
        tracker.dispose()


def refuse(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


def run(instances: int, action_port: int, rasa_port: int, web_port: int, log_dir: Optional[Path] = None,
        host: str = "127.0.0.1") -> int:
    """`host`: where nginx's Rasa and web listeners face the load balancer (separate action servers' stays on
    loopback: they have no authentication)."""
    if instances < 1:
        return refuse("--instances must be 1 or more")
    for name, url in (("DATABASE_URL", config.database_url()), ("TRACKER_DB_URL", config.tracker_db_url())):
        if make_url(url).get_backend_name() == "sqlite":
            return refuse(f"run-scaled needs PostgreSQL: set {name} (now {url}) to e.g. "
                          "postgresql://postgres@127.0.0.1:5432/bot (several processes, or machines, share it).")
    try:
        check_reachable(config.database_url(), "app")
        check_reachable(config.tracker_db_url(), "tracker")
        check_redis(config.redis_url())
    except (DatabaseUnreachable, RuntimeError) as error:
        return refuse(str(error))
    nginx = nginx_binary()
    if not nginx:
        return refuse("nginx is not installed: scripts/ensure-nginx (or apt-get install nginx).")
    if not MODEL.exists():
        return refuse("no trained model; run `make model` (or `bot train`) first.")
    if supervisor.refuse_unsafe_secrets(host):
        return 2
    create_tables()

    separate = config.separate_action_server()
    chosen = free_ports(3 * instances)
    ports = {"actions": chosen[0::3] if separate else [], "rasa": chosen[1::3], "web": chosen[2::3]}
    var = config.VAR_DIR / "nginx"
    conf = nginx_config(var, rasa_port, web_port, action_port, ports, host)
    checked = subprocess.run([nginx, "-t", "-q", "-p", str(var), "-c", str(conf), "-e", "stderr"],
                             capture_output=True, text=True)
    if checked.returncode:
        return refuse(f"nginx refused {conf}:\n{checked.stderr}")

    action_url = f"http://127.0.0.1:{action_port}/webhook" if separate else None
    endpoints = scaled_endpoints(action_url, config.redis_url())
    commands: Dict[str, List[str]] = {}
    health: Dict[str, str] = {}
    listed = []
    for number in range(instances):
        own = {name: ports[name][number] for name in ports if ports[name]}
        for name, command in supervisor.service_commands(own["rasa"], own["web"], endpoints,
                                                         own.get("actions")).items():
            commands[f"{name}-{number + 1}"] = command
            health[f"{name}-{number + 1}"] = f"http://127.0.0.1:{own[name]}{supervisor.HEALTH_PATHS[name]}"
            listed.append(f"  {f'{name}-{number + 1}':<10} http://127.0.0.1:{own[name]}")
    commands["nginx"] = [nginx, "-p", str(var), "-c", str(conf), "-e", "stderr", "-g", "daemon off;"]
    health["nginx"] = f"http://127.0.0.1:{web_port}/healthz"

    env = {**supervisor.service_env(),
           "RASA_URL": f"http://127.0.0.1:{rasa_port}",  # the web app reaches Rasa's HTTP API through nginx
           "SOCKETIO_REDIS_URL": config.socketio_redis_url() or config.redis_url(),
           # behind nginx every connection comes from 127.0.0.1: the visitor's address is in this header
           "TRUSTED_PROXY_HEADER": config.trusted_proxy_header() or "X-Forwarded-For"}
    banner = (
        f"\nRunning {instances} instances behind nginx (on 127.0.0.1{'' if host == '127.0.0.1' else ' and ' + host}; "
        "Ctrl-C stops everything):\n"
        f"{supervisor.rasa_banner_line(rasa_port)}"
        f"  web app        http://127.0.0.1:{web_port}/  (/inbox, /api/briefs)\n"
        + (f"  action server  {action_url}  (Rasa's action_endpoint)\n" if action_url else "")
        + f"Instances (nginx: {conf}):\n" + "\n".join(listed) + "\n")
    return supervisor.supervise(commands, health, env, log_dir, banner, timeout=240 + 120 * instances)
