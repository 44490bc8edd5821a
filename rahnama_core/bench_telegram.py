"""`./rahnama bench telegram`: simulated people talking to `./rahnama run` through the fake Bot API at once.

Phase 1 (latency): N users, Q questions each, in six languages; each waits for the answer and reads for
0.5-1.5 s before the next question. Prints p50/p95 from a user's message to the bot's first reply.
Phase 2 (throughput): many more people, each writing every few seconds (under the per-person flood guard),
for a while; prints the bot's messages per second.
Phase 3 (handover): a person in a case and a counsellor; p50/p95 of the relay each way.
Then the resident memory of every process of the stack. Telegram's own network is not part of this.
"""

from __future__ import annotations

import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from rahnama_core import REPO_ROOT
from rahnama_core.fake_bot_api import FakeBotAPI

QUESTIONS = [
    "كيف اطلب اللجوء في البوسنة؟", "بدي ارجع على بلدي", "وين الكامب في سراييفو",
    "چطور درخواست پناهندگی بدم؟", "میخواهم به افغانستان برگردم", "اجازه کار چطور بگیرم",
    "زه غواړم بېرته خپل کور ته لاړ شم", "دلته د پناه غوښتنه څنګه وکړم؟", "ډاکټر ته اړتیا لرم",
    "مجھے واپس پاکستان جانا ہے", "پناہ کی درخواست کیسے دوں؟", "کام کا پرمٹ کیسے ملے گا",
    "comment demander l'asile en Bosnie ?", "je veux rentrer dans mon pays", "je cherche un médecin",
    "how do I apply for asylum here?", "I want to go back home", "where can I see a doctor",
]


def rss_of_tree(root_pid: int) -> int:
    """Resident memory in bytes of a process and all its descendants."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    total, stack = 0, [root_pid]
    while stack:
        pid = stack.pop()
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            pass
        stack += children.get(pid, [])
    return total


GROUP = -1009999999999
COUNSELLOR = 777


def relay_latency(fake: FakeBotAPI, rounds: int = 15) -> tuple[list[float], list[float]]:
    """A person in a case and a counsellor: seconds from each message to its copy on the other side.
    Paced at one exchange every 3 s: Telegram lets a bot post 20 messages a minute in a group."""
    person = 555_000
    fake.user_sends(person, "I want to talk to a real person")
    fake.wait_for(lambda m: "Case #" in (m.get("plain_text") or ""), chat_id=GROUP, timeout=30)
    thread = fake.forum_topics(GROUP)[-1]["message_thread_id"]
    to_group, to_person = [], []
    for index in range(rounds):
        before = len(fake.sent(chat_id=GROUP, method="copyMessage"))
        started = time.time()
        fake.user_sends(person, f"question {index}")
        copied = fake.wait_for(before + 1, chat_id=GROUP, method="copyMessage", timeout=20)[before]
        to_group.append(copied["time"] - started)
        before = len(fake.sent(chat_id=person, method="sendMessage"))
        started = time.time()
        fake.user_sends(COUNSELLOR, f"answer {index}", chat_id=GROUP, chat_type="supergroup", message_thread_id=thread)
        sent = fake.wait_for(before + 1, chat_id=person, method="sendMessage", timeout=20)[before]
        to_person.append(sent["time"] - started)
        time.sleep(3.0)
    return to_group, to_person


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return 1000 * ordered[int(q * (len(ordered) - 1))]


def main(users: int = 20, questions: int = 10, throughput_seconds: float = 15.0) -> int:
    with FakeBotAPI() as fake, tempfile.TemporaryDirectory() as var:
        env = {**os.environ, "TELEGRAM_BOT_TOKEN": fake.token, "TELEGRAM_API_BASE_URL": fake.base_url,
               "RAHNAMA_VAR_DIR": var, "DATABASE_URL": f"sqlite:///{var}/rahnama.db", "PYTHONPATH": str(REPO_ROOT),
               "COUNSELLOR_CHAT_ID": str(GROUP), "COUNSELLOR_HOURS": "0-24"}
        fake.register_group(GROUP, "Counsellors", is_forum=True)
        subprocess.run([sys.executable, "-m", "rahnama_core", "counsellor", "add", str(COUNSELLOR), "--name", "Bench",
                        "--languages", "en"], env=env, cwd=REPO_ROOT, check=True, capture_output=True)
        process = subprocess.Popen([sys.executable, "-m", "rahnama_core", "run"], cwd=REPO_ROOT, env=env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 300
            while fake.requests.get("getUpdates", 0) == 0:
                if process.poll() is not None or time.monotonic() > deadline:
                    print("the bot did not start; see var/log", file=sys.stderr)
                    return 1
                time.sleep(0.2)
            latencies: list[float] = []
            lock = threading.Lock()

            def person(user: int, pause: tuple[float, float], until: float | None) -> None:
                rng = random.Random(user)
                time.sleep(rng.uniform(0.0, 1.0))  # people arrive within the same second, not the same millisecond
                asked = 0
                while (until is None and asked < questions) or (until is not None and time.monotonic() < until):
                    before = len(fake.sent(chat_id=user, method="sendMessage"))
                    started = time.time()
                    fake.user_sends(user, rng.choice(QUESTIONS), language_code="en")
                    reply = fake.wait_for(before + 1, chat_id=user, method="sendMessage", timeout=30)[before]
                    with lock:
                        latencies.append(reply["time"] - started)
                    asked += 1
                    time.sleep(max(0.0, rng.uniform(*pause) - (time.time() - started)))

            def run(pause: tuple[float, float], until: float | None, first_user: int, people: int = users) -> float:
                threads = [threading.Thread(target=person, args=(first_user + i, pause, until)) for i in range(people)]
                started = time.monotonic()
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join()
                return time.monotonic() - started

            run((0.0, 0.0), None, 900_000)  # warm-up, not measured
            latencies.clear()
            run((0.5, 1.5), None, 10_000)
            ordered = sorted(latencies)
            p50 = statistics.median(ordered)
            p95 = ordered[int(0.95 * (len(ordered) - 1))]
            print(f"latency, {users} users x {questions} questions ({len(ordered)} answered): "
                  f"p50 {1000 * p50:.0f} ms, p95 {1000 * p95:.0f} ms, max {1000 * ordered[-1]:.0f} ms")

            sent_before = len(fake.sent(method="sendMessage"))
            crowd = 5 * users
            elapsed = run((2.6, 2.6), time.monotonic() + throughput_seconds, 20_000, people=crowd)
            sent = len(fake.sent(method="sendMessage")) - sent_before
            print(f"throughput, {crowd} people each writing every 2.6 s for {elapsed:.0f} s: "
                  f"{sent / elapsed:.1f} bot messages per second (the gateway keeps to Telegram's 30 a second)")
            seen = -1
            while seen != len(fake.sent()):  # let the answers still queued behind Telegram's rate limit go out
                seen = len(fake.sent())
                time.sleep(2)
            to_group, to_person = relay_latency(fake)
            print(f"handover relay: person -> case topic p50 {_p(to_group, .5):.0f} ms, p95 {_p(to_group, .95):.0f} ms; "
                  f"counsellor -> person p50 {_p(to_person, .5):.0f} ms, p95 {_p(to_person, .95):.0f} ms")
            print(f"resident memory of the whole stack: {rss_of_tree(process.pid) / 2**20:.0f} MiB")
            return 0
        finally:
            process.terminate()
            process.wait(60)
