"""The `./rahnama` command: Rahnama, a legal-information assistant on Telegram (see README.md)."""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time

from rahnama_core import REPO_ROOT
from rahnama_core.services import ServiceError, Stack, log, stop_on_sigterm
from rahnama_core.settings import Settings


def _stack(settings: Settings, persistent: bool) -> Stack:
    from rahnama_core.model import ensure_models

    return Stack(settings=settings, model=ensure_models(), persistent=persistent)


def cmd_run(args: argparse.Namespace) -> int:
    """The Telegram bot with TELEGRAM_BOT_TOKEN set; otherwise a terminal chat on the same pipeline."""
    settings = Settings.from_env()
    stack = _stack(settings, persistent=True)
    started = time.monotonic()
    with stack.running():
        log(f"Rasa and the action server are up in {time.monotonic() - started:.1f} s")
        if settings.telegram_bot_token:
            from bot.app import run_bot

            return run_bot(settings, stack.rasa_url)
        from rahnama_core.chat import run_chat

        return asyncio.run(run_chat(stack.rasa_url, bidi=not args.no_bidi))


def cmd_ask(args: argparse.Namespace) -> int:
    """JSON Lines in, JSON Lines out."""
    from rahnama_core.ask import run_ask

    settings = Settings.from_env()
    with _stack(settings, persistent=False).running() as stack:
        asyncio.run(run_ask(stack.rasa_url))
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    from rahnama_core.model import ensure_models

    model = ensure_models(force=args.force)
    log(f"model ready: {model.relative_to(REPO_ROOT)}")
    return 0


def cmd_test(args: argparse.Namespace) -> int:
    """The whole suite: pytest (unit, storage, content, end to end, conversations) and `rasa data validate`."""
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    argv = [sys.executable, "-m", "pytest", *(args.pytest_args or ["tests"])]
    return subprocess.call(argv, cwd=REPO_ROOT, env=env)


def cmd_content(args: argparse.Namespace) -> int:
    from rahnama_core import content_check

    if args.action == "check":
        started = time.monotonic()
        problems = content_check.check_content(strict=args.strict)
        errors = [p for p in problems if p.severity == "error"]
        for problem in problems:
            if problem.severity == "error" or args.verbose:
                print(problem)
        warnings = len(problems) - len(errors)
        print(f"content check: {len(errors)} errors, {warnings} warnings ({time.monotonic() - started:.2f} s)"
              + ("" if args.verbose or not warnings else "; --verbose lists the warnings"))
        return 1 if errors else 0
    if args.action == "stamp":
        if len(args.names) != 2:
            print("usage: ./rahnama content stamp <lang> <key>", file=sys.stderr)
            return 2
        value = content_check.stamp(*args.names)
        print(f"stamped content/{args.names[0]}/{args.names[1]}.md with en_hash {value}")
        return 0
    if args.action == "status":
        from rahnama_core.content_status import print_status, write_html

        if args.html:
            write_html(args.html)
            print(f"wrote {args.html}")
            return 0
        print_status()
        return 0
    if args.action == "gaps":
        from storage.db import Database
        from storage.gaps import frequent_unanswered

        groups = frequent_unanswered(Database(Settings.from_env().database_url))
        if not groups:
            print("no unanswered questions recorded")
        for language, found in sorted(groups.items()):
            print(f"\n{language}:")
            for group in found[:15]:
                print(f"  {len(group.texts):4}  {group.example}")
        return 0
    return 2


def cmd_bench(args: argparse.Namespace) -> int:
    if args.what == "telegram":
        from rahnama_core.bench_telegram import main as bench_telegram
        from rahnama_core.model import ensure_models

        ensure_models()
        return bench_telegram(users=args.users, questions=args.questions)
    from rahnama_core import bench

    return bench.main(args.what, args)


def cmd_purge(args: argparse.Namespace) -> int:
    """Retention now: delete conversations inactive for RAHNAMA_RETENTION_DAYS (the bot also does it daily)."""
    from storage.db import Database
    from storage.erasure import purge_old

    settings = Settings.from_env()
    removed = purge_old(Database(settings.database_url), settings.tracker_url, settings.retention_days,
                        settings.case_retention_days)
    print(f"deleted {removed} conversations inactive for {settings.retention_days} days")
    return 0


def cmd_counsellor(args: argparse.Namespace) -> int:
    """Register, remove or list the counsellors who may act on cases."""
    from sqlalchemy import delete, select

    from storage.db import Database
    from storage.models import Counsellor

    database = Database(Settings.from_env().database_url)
    with database.session() as session:
        if args.action == "add":
            if args.telegram_user_id is None or not args.name:
                print("usage: ./rahnama counsellor add <telegram_user_id> --name ALIAS --languages fa,ps "
                      "[--team legal|return|protection] [--supervisor]", file=sys.stderr)
                return 2
            counsellor = session.scalars(
                select(Counsellor).where(Counsellor.telegram_user_id == args.telegram_user_id)).first()
            if counsellor is None:
                counsellor = Counsellor(telegram_user_id=args.telegram_user_id)
                session.add(counsellor)
            counsellor.alias, counsellor.languages, counsellor.team = args.name, args.languages, args.team
            counsellor.supervisor, counsellor.active = args.supervisor, True
            session.commit()
            print(f"counsellor {args.name} registered")
        elif args.action == "remove":
            session.execute(delete(Counsellor).where(Counsellor.telegram_user_id == args.telegram_user_id))
            session.commit()
            print("removed")
        else:
            for c in session.scalars(select(Counsellor).order_by(Counsellor.alias)):
                print(f"{c.alias:20} {c.languages:16} {c.team:10} {'supervisor' if c.supervisor else ''}")
    return 0


def cmd_cases(args: argparse.Namespace) -> int:
    """Open cases with their waiting times."""
    from sqlalchemy import select

    from storage.db import Database
    from storage.models import Case, as_utc, utcnow

    database = Database(Settings.from_env().database_url)
    with database.session() as session:
        cases = list(session.scalars(select(Case).where(Case.status != "closed").order_by(Case.opened_at)))
    print(f"{'case':>6} {'priority':8} {'language':8} {'team':10} {'status':9} {'topic':30} waiting")
    for case in cases:
        minutes = int((utcnow() - as_utc(case.opened_at)).total_seconds() // 60)
        print(f"{case.id:>6} {case.priority:8} {case.language:8} {case.team:10} {case.status:9} "
              f"{(case.topic or '-'):30} {minutes // 60}h{minutes % 60:02d}")
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    """Per language and team: cases opened, median time to first response, closed."""
    import statistics

    from sqlalchemy import select

    from storage.db import Database
    from storage.models import Case

    database = Database(Settings.from_env().database_url)
    with database.session() as session:
        cases = list(session.scalars(select(Case)))
    groups: dict[tuple[str, str], list] = {}
    for case in cases:
        groups.setdefault((case.language, case.team), []).append(case)
    print(f"{'language':8} {'team':10} {'opened':>6} {'closed':>6} {'median first response':>22}")
    for (language, team), found in sorted(groups.items()):
        waits = [(c.first_response_at - c.opened_at).total_seconds() / 60 for c in found if c.first_response_at]
        median = f"{statistics.median(waits):.0f} min" if waits else "-"
        print(f"{language:8} {team:10} {len(found):6} {sum(c.status == 'closed' for c in found):6} {median:>22}")
    return 0


def cmd_poster(args: argparse.Namespace) -> int:
    """Printable pages with the deep-link QR code, one per language."""
    from pathlib import Path

    from rahnama_core.poster import write_posters

    for path in write_posters(args.bot_username, Path(args.out), args.topic):
        print(f"wrote {path}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="./rahnama", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="the Telegram bot (TELEGRAM_BOT_TOKEN set) or a terminal chat")
    run.add_argument("--no-bidi", action="store_true", help="your terminal shapes right-to-left text itself")
    run.set_defaults(func=cmd_run)

    sub.add_parser("ask", help="JSON Lines in, JSON Lines out").set_defaults(func=cmd_ask)

    train = sub.add_parser("train", help="train the language model and the Rasa model if their inputs changed")
    train.add_argument("--force", action="store_true")
    train.set_defaults(func=cmd_train)

    test = sub.add_parser("test", help="the whole test suite")
    test.add_argument("pytest_args", nargs="*")
    test.set_defaults(func=cmd_test)

    content = sub.add_parser("content", help="check, stamp, status of content/, and unanswered questions (gaps)")
    content.add_argument("action", choices=["check", "stamp", "status", "gaps"])
    content.add_argument("names", nargs="*")
    content.add_argument("--strict", action="store_true", help="drafts and stale translations are errors")
    content.add_argument("--verbose", action="store_true")
    content.add_argument("--html", metavar="FILE")
    content.set_defaults(func=cmd_content)

    bench = sub.add_parser("bench", help="benchmarks: nlu, lid, safety, telegram")
    bench.add_argument("what", choices=["nlu", "lid", "safety", "telegram"])
    bench.add_argument("--users", type=int, default=20, help="(telegram) simulated people at once")
    bench.add_argument("--questions", type=int, default=10, help="(telegram) questions per person")
    bench.add_argument("--config", default="config.yml", help="(nlu) the pipeline to measure")
    bench.set_defaults(func=cmd_bench)
    counsellor = sub.add_parser("counsellor", help="add, remove or list counsellors")
    counsellor.add_argument("action", choices=["add", "remove", "list"])
    counsellor.add_argument("telegram_user_id", type=int, nargs="?")
    counsellor.add_argument("--name", help="the alias users see")
    counsellor.add_argument("--languages", default="", help="codes, e.g. fa,ps")
    counsellor.add_argument("--team", default="legal", choices=["legal", "return", "protection"])
    counsellor.add_argument("--supervisor", action="store_true")
    counsellor.set_defaults(func=cmd_counsellor)
    sub.add_parser("cases", help="open cases with waiting times").set_defaults(func=cmd_cases)
    sub.add_parser("stats", help="cases per language and team").set_defaults(func=cmd_stats)

    sub.add_parser("purge", help="delete conversations inactive for RAHNAMA_RETENTION_DAYS").set_defaults(func=cmd_purge)

    poster = sub.add_parser("poster", help="a printable page per language with the bot's deep-link QR code")
    poster.add_argument("--bot-username", required=True, help="the bot's @username, without @")
    poster.add_argument("--topic", help="a catalogue key the link opens, e.g. return.avrr")
    poster.add_argument("--out", default="var/posters")
    poster.set_defaults(func=cmd_poster)
    return parser


def main(argv: list[str] | None = None) -> int:
    stop_on_sigterm()
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130
    except (ServiceError, RuntimeError) as error:
        log(str(error))
        return 1
