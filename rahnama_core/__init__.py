"""Rahnama: a legal-information assistant on Telegram for people on the move in Bosnia and Herzegovina.

This package is the shared core: catalogue, content, languages, settings and the command-line tool.
It imports neither `rasa` nor `telegram`, so the Rasa server's environment and the app's environment
can both use it.
"""

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
