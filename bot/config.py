"""Settings read from the environment, with safe development defaults (see README)."""
import os
from pathlib import Path
from typing import Dict, List

ROOT = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("BOT_VAR_DIR", ROOT / "var"))
SPACY_PIPELINE_DIR = ROOT / "build" / "spacy_pipeline"
PRODUCT_FILE = Path(os.environ.get("PRODUCT_FILE", ROOT / "product.yml"))
MODEL_DIR = ROOT / "models"
MODEL = MODEL_DIR / "current.tar.gz"  # the last good model: the one `bot run` serves

# Development defaults only: anything but `make run` on loopback refuses to start with them.
DEV_SALES_API_TOKEN = "dev-sales-token"
DEV_RASA_TOKEN = "dev-rasa-token"
DEV_SESSION_SECRET = "dev-session-secret"
DEV_CRM_WEBHOOK_SECRET = "dev-crm-webhook-secret"
MIN_SECRET_LENGTH = 32


def database_url() -> str:
    return os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'app.db'}"


def tracker_db_url() -> str:
    return os.environ.get("TRACKER_DB_URL") or f"sqlite:///{VAR_DIR / 'tracker.db'}"


def sales_api_token() -> str:
    return os.environ.get("SALES_API_TOKEN") or DEV_SALES_API_TOKEN


def rasa_token() -> str:
    return os.environ.get("RASA_TOKEN") or DEV_RASA_TOKEN


def session_secret() -> str:
    """Signs the widget's conversation ids (SESSION_SECRET), so an id the web app did not issue is refused."""
    return os.environ.get("SESSION_SECRET") or DEV_SESSION_SECRET


def crm_webhook_url() -> str:
    """Where each new brief and each change of a brief's status is posted (CRM_WEBHOOK_URL; unset: nowhere)."""
    return os.environ.get("CRM_WEBHOOK_URL", "").strip()


def crm_webhook_secret() -> str:
    """Signs each webhook call (HMAC-SHA256), so the receiver knows it came from us (docs/crm.md)."""
    return os.environ.get("CRM_WEBHOOK_SECRET") or DEV_CRM_WEBHOOK_SECRET


def secret_problems() -> List[str]:
    """What stops this configuration from facing the internet: unset, development or short secrets, and a
    widget allowed on every site."""
    problems = []
    secrets = [("RASA_TOKEN", DEV_RASA_TOKEN), ("SALES_API_TOKEN", DEV_SALES_API_TOKEN),
               ("SESSION_SECRET", DEV_SESSION_SECRET)]
    if crm_webhook_url():
        secrets.append(("CRM_WEBHOOK_SECRET", DEV_CRM_WEBHOOK_SECRET))
    for name, default in secrets:
        value = os.environ.get(name, "")
        if not value or value == default or len(value) < MIN_SECRET_LENGTH:
            problems.append(f"set {name} to a random secret of at least {MIN_SECRET_LENGTH} characters "
                            "(e.g. `python -c 'import secrets; print(secrets.token_urlsafe(32))'`)")
    if "*" in widget_origins():
        problems.append("set WIDGET_ORIGINS to the sites that embed the widget (e.g. https://www.example.com)")
    if production() and not trusted_proxy_header():  # Rasa listens on loopback: a proxy is always in front
        problems.append("set TRUSTED_PROXY_HEADER to the header your reverse proxy puts the client's address "
                        "in (e.g. X-Forwarded-For), or every visitor shares one address's limits")
    return problems


def rasa_url() -> str:
    """Where the web app reaches Rasa's HTTP API (server to server, on loopback)."""
    return os.environ.get("RASA_URL") or "http://127.0.0.1:5005"


def rasa_public_url() -> str:
    """Where a visitor's browser reaches Rasa's socket.io channel (behind a proxy in production)."""
    return os.environ.get("RASA_PUBLIC_URL") or rasa_url()


def redis_url() -> str:
    """The Redis server `bot run-scaled` uses for Rasa's lock store and socket.io's client manager."""
    return os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"


def socketio_redis_url() -> str:
    """SOCKETIO_REDIS_URL: when set, the socket.io channel's servers share their visitors' sockets through
    this Redis, so a message reaches a visitor whichever server holds the socket. Unset: one server."""
    return os.environ.get("SOCKETIO_REDIS_URL", "").strip()


def widget_origins() -> list:
    """Web pages allowed to talk to Rasa's socket.io channel from a browser (WIDGET_ORIGINS, space
    separated). The default allows any site to embed the widget."""
    return (os.environ.get("WIDGET_ORIGINS") or "*").split()


def notification_channels() -> list:
    """Where new handoff briefs are announced: a Slack-compatible webhook and/or email over SMTP."""
    channels = []
    if os.environ.get("SLACK_WEBHOOK_URL"):
        channels.append("slack")
    if os.environ.get("SMTP_URL") and os.environ.get("SALES_EMAIL_TO"):
        channels.append("email")
    return channels


def smtp_configured() -> bool:
    """Whether email can be sent at all (SMTP_URL): meeting invitations need it."""
    return bool(os.environ.get("SMTP_URL"))


def public_web_url() -> str:
    """The web app's address as salespeople reach it, for links in notifications."""
    return (os.environ.get("PUBLIC_WEB_URL") or "http://127.0.0.1:8000").rstrip("/")


def production() -> bool:
    """BOT_ENV=production: real secrets required, the REST channel off, only signed widget sessions."""
    return os.environ.get("BOT_ENV", "").strip().lower() == "production"


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name, "").strip().lower()
    return value in ("1", "true", "yes", "on") if value else default


def separate_action_server() -> bool:
    """SEPARATE_ACTION_SERVER=1: custom actions run in rasa-sdk's action server, called by Rasa over HTTP (as
    Rasa Open Source does by default), instead of inside the Rasa server (faster; see docs/deploy.md)."""
    return _flag("SEPARATE_ACTION_SERVER", False)


def cookie_secure() -> bool:
    """Send the sign-in cookie over HTTPS only: on in production, COOKIE_SECURE=0/1 overrides."""
    return _flag("COOKIE_SECURE", production())


def trusted_proxy_header() -> str:
    """The header a trusted reverse proxy puts the client's address in (e.g. X-Forwarded-For); empty
    (the default) means the connection's own address counts, and no header is believed."""
    return os.environ.get("TRUSTED_PROXY_HEADER", "").strip()


def max_message_chars() -> int:
    """The longest message a visitor may send (MAX_MESSAGE_CHARS); longer ones are refused before NLU."""
    return int(os.environ.get("MAX_MESSAGE_CHARS") or 2000)


def allow_unsigned_sessions() -> bool:
    """Widgets that choose their own conversation id (rasa-webchat) may connect: always in development,
    in production only with ALLOW_UNSIGNED_SESSIONS=1 (anyone who learns such an id can read its history)."""
    return _flag("ALLOW_UNSIGNED_SESSIONS", not production())


def limit(name: str, default: int) -> int:
    """A rate limit or timeout from the environment (see docs/deploy.md for each name)."""
    return int(os.environ.get(name) or default)


def retention_days() -> int:
    """Conversations and briefs older than RETENTION_DAYS are deleted; 0 (the default) keeps them."""
    return int(os.environ.get("RETENTION_DAYS") or 0)


def rasa_env() -> Dict[str, str]:
    """The environment for Rasa's child processes: quiet, and able to import `bot` and `actions`."""
    env = dict(os.environ)
    env.setdefault("RASA_TELEMETRY_ENABLED", "false")
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    env.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env
