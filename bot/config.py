"""Settings read from the environment, with safe development defaults (see README)."""
import os
from pathlib import Path
from typing import Dict

ROOT = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("BOT_VAR_DIR", ROOT / "var"))
SPACY_PIPELINE_DIR = ROOT / "build" / "spacy_pipeline"
PRODUCT_FILE = Path(os.environ.get("PRODUCT_FILE", ROOT / "product.yml"))
MODEL_DIR = ROOT / "models"
MODEL = MODEL_DIR / "current.tar.gz"  # the last good model: the one `bot run` serves

# Development defaults only: set real tokens in production.
DEV_SALES_API_TOKEN = "dev-sales-token"
DEV_RASA_TOKEN = "dev-rasa-token"


def database_url() -> str:
    return os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'app.db'}"


def tracker_db_url() -> str:
    return os.environ.get("TRACKER_DB_URL") or f"sqlite:///{VAR_DIR / 'tracker.db'}"


def sales_api_token() -> str:
    return os.environ.get("SALES_API_TOKEN") or DEV_SALES_API_TOKEN


def rasa_token() -> str:
    return os.environ.get("RASA_TOKEN") or DEV_RASA_TOKEN


def rasa_url() -> str:
    """Where the web app reaches Rasa's HTTP API (server to server, on loopback)."""
    return os.environ.get("RASA_URL") or "http://127.0.0.1:5005"


def rasa_public_url() -> str:
    """Where a visitor's browser reaches Rasa's socket.io channel (behind a proxy in production)."""
    return os.environ.get("RASA_PUBLIC_URL") or rasa_url()


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


def public_web_url() -> str:
    """The web app's address as salespeople reach it, for links in notifications."""
    return (os.environ.get("PUBLIC_WEB_URL") or "http://127.0.0.1:8000").rstrip("/")


def cookie_secure() -> bool:
    """Send the sign-in cookie over HTTPS only (set COOKIE_SECURE=1 when served over HTTPS)."""
    return os.environ.get("COOKIE_SECURE", "") in ("1", "true", "yes")


def rasa_env() -> Dict[str, str]:
    """The environment for Rasa's child processes: quiet, and able to import `bot` and `actions`."""
    env = dict(os.environ)
    env.setdefault("RASA_TELEMETRY_ENABLED", "false")
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    env.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env
