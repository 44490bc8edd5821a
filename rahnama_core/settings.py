"""Settings: one typed object read from the environment (and a `.env` file) once at start-up."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from rahnama_core import REPO_ROOT

TELEGRAM_API = "https://api.telegram.org/bot"


def read_dotenv(path: Path) -> dict[str, str]:
    """`KEY=value` lines of a .env file; comments and blank lines ignored, quotes stripped."""
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.split("=", 1)
        values[key.strip().removeprefix("export ").strip()] = value.strip().strip("'\"")
    return values


def bot_api_base(url: str) -> str:
    """The Bot API base the token is appended to: `http://host:8081` and `http://host:8081/bot` both
    become `http://host:8081/bot` (a `{token}` template is kept as it is)."""
    url = url.strip().rstrip("/")
    if "{token}" in url or url.endswith("/bot"):
        return url
    return url + "/bot"


def _hours(value: str) -> tuple[int, int]:
    """`9-17` -> (9, 17)."""
    opens, _, closes = value.partition("-")
    return int(opens), int(closes)


@dataclass(frozen=True)
class Settings:
    telegram_bot_token: str | None
    telegram_api_base_url: str
    telegram_webhook_url: str | None
    telegram_webhook_secret: str | None
    webhook_listen: str
    counsellor_chat_id: int | None
    database_url: str
    redis_url: str | None
    pseudonym_key: str
    var_dir: Path
    rasa_port: int | None
    action_port: int | None
    log_level: str
    retention_days: int
    case_retention_days: int
    counsellor_hours: tuple[int, int]  # opening and closing hour, Monday to Friday, Sarajevo time

    @property
    def tracker_url(self) -> str:
        """Rasa's tracker store (conversations): the shared PostgreSQL database when there is one, so that
        several replicas see the same conversations; otherwise a SQLite file next to our database."""
        if self.database_url.startswith("postgresql"):
            return self.database_url
        return f"sqlite:///{self.var_dir / 'rasa-tracker.db'}"

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> "Settings":
        env = {**read_dotenv(REPO_ROOT / ".env"), **(environ if environ is not None else os.environ)}
        var_dir = Path(env.get("RAHNAMA_VAR_DIR") or REPO_ROOT / "var")
        chat = env.get("COUNSELLOR_CHAT_ID")
        return cls(
            telegram_bot_token=env.get("TELEGRAM_BOT_TOKEN") or None,
            telegram_api_base_url=bot_api_base(env.get("TELEGRAM_API_BASE_URL") or TELEGRAM_API),
            telegram_webhook_url=env.get("TELEGRAM_WEBHOOK_URL") or None,
            telegram_webhook_secret=env.get("TELEGRAM_WEBHOOK_SECRET") or None,
            webhook_listen=env.get("TELEGRAM_WEBHOOK_LISTEN") or "127.0.0.1:8080",
            counsellor_chat_id=int(chat) if chat else None,
            database_url=env.get("DATABASE_URL") or f"sqlite:///{var_dir / 'rahnama.db'}",
            redis_url=env.get("REDIS_URL") or None,
            pseudonym_key=env.get("RAHNAMA_PSEUDONYM_KEY") or "",
            var_dir=var_dir,
            rasa_port=int(env["RAHNAMA_RASA_PORT"]) if env.get("RAHNAMA_RASA_PORT") else None,
            action_port=int(env["RAHNAMA_ACTION_PORT"]) if env.get("RAHNAMA_ACTION_PORT") else None,
            log_level=env.get("RAHNAMA_LOG_LEVEL") or "INFO",
            retention_days=int(env.get("RAHNAMA_RETENTION_DAYS") or 30),
            case_retention_days=int(env.get("RAHNAMA_CASE_RETENTION_DAYS") or 90),
            counsellor_hours=_hours(env.get("COUNSELLOR_HOURS") or "9-17"),
        )
