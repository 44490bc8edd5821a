"""Training: our language model, then the Rasa model, each only when its inputs changed (a hash, not timestamps)."""

from __future__ import annotations

import hashlib
import subprocess
import time
from pathlib import Path

from rahnama_core import REPO_ROOT
from rahnama_core.services import RASA_BIN, log, rasa_environment

MODELS_DIR = REPO_ROOT / "models"
# Everything that changes what the Rasa model learns or how the pipeline reads text.
RASA_INPUTS = (
    "config.yml",
    "domain.yml",
    "data",
    "nlu/data",
    "nlu/components",
    "rahnama_core/language.py",
    "rahnama_core/text.py",
    "rahnama_core/triage.py",
    "nlu/triage",
    "nlu/context",
    "nlu/gazetteer",
    "envs/rasa.lock",
)


def fingerprint(paths: tuple[str, ...], root: Path = REPO_ROOT) -> str:
    digest = hashlib.sha256()
    for relative in paths:
        path = root / relative
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            if not file.is_file() or "__pycache__" in file.parts:
                continue
            digest.update(str(file.relative_to(root)).encode())
            digest.update(hashlib.sha256(file.read_bytes()).digest())
    return digest.hexdigest()[:16]


def rasa_model_path() -> Path:
    return MODELS_DIR / f"rahnama-{fingerprint(RASA_INPUTS)}.tar.gz"


def ensure_models(force: bool = False) -> Path:
    """Train what is missing or stale; return the Rasa model to serve."""
    from rahnama_core.lid_train import ensure_lid_model

    ensure_lid_model(force=force)
    model = rasa_model_path()
    if model.is_file() and not force:
        return model
    train_rasa(model)
    return model


def train_rasa(model: Path, config: str = "config.yml") -> None:
    log(f"training the Rasa model {model.name} (inputs changed or no model yet)")
    started = time.monotonic()
    env = rasa_environment()
    argv = [
        str(RASA_BIN), "train", "--config", config, "--domain", "domain.yml",
        "--data", "nlu/data", "data", "--out", str(model.parent), "--fixed-model-name", model.name[: -len(".tar.gz")],
        "--quiet",
    ]
    log_path = REPO_ROOT / "var" / "log" / "train.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as out:
        result = subprocess.run(argv, cwd=REPO_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    if result.returncode != 0 or not model.is_file():
        tail = log_path.read_text(errors="replace").splitlines()[-15:]
        raise RuntimeError(
            "step 'train the Rasa model' failed; the end of var/log/train.log:\n  "
            + "\n  ".join(tail)
            + "\nFix the training data or config it names, then run ./rahnama train"
        )
    for old in model.parent.glob("rahnama-*.tar.gz"):
        if old != model:
            old.unlink()
    log(f"trained {model.name} in {time.monotonic() - started:.0f} s")
