"""The `bot` command's arguments; what each sub-command does is in bot/commands.py."""
from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from pathlib import Path
from typing import List, Optional

from bot import commands


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-11-26") from None


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive whole number")
    return int(text)


def _which_conversations(command: argparse.ArgumentParser) -> None:
    """The trainers' filters of real conversations: since when, and which senders."""
    command.add_argument("--since", type=_date, help="YYYY-MM-DD")
    command.add_argument("--sender", default="", help="only sender ids starting with this")
    command.add_argument("--exclude-prefix", action="append", default=[], metavar="PREFIX",
                         help="leave out sender ids starting with this (load tests, say); may be repeated")


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="bot", description="The demand-side sales assistant: build the NLP "
                                   "pipeline, train when the data changed, run every service, read briefs, manage "
                                   "salespeople, and the trainers' tools.")
    sub = root.add_subparsers(dest="command", required=True)

    sub.add_parser("build-nlp", help="build the spaCy pipeline into build/spacy_pipeline").set_defaults(
        func=commands.build_nlp)
    train = sub.add_parser("train", help="train the Rasa model if its inputs changed")
    train.add_argument("--force", action="store_true")
    train.set_defaults(func=commands.train)

    run = sub.add_parser("run", help="start Rasa (with the custom actions) and the web app")
    run.add_argument("--action-port", type=int, default=5055, help="the action server's, with SEPARATE_ACTION_SERVER=1")
    run.add_argument("--rasa-port", type=int, default=5005)
    run.add_argument("--web-port", type=int, default=8000)
    run.add_argument("--log-dir", type=Path, help="write each service's output to a file here")
    run.set_defaults(func=commands.run)
    scaled = sub.add_parser("run-scaled", help="several instances of each service behind nginx (PostgreSQL, Redis)")
    scaled.add_argument("--instances", type=int, default=2)
    scaled.add_argument("--action-port", type=int, default=5055, help="nginx's port for separate action servers "
                        "(SEPARATE_ACTION_SERVER=1)")
    scaled.add_argument("--rasa-port", type=int, default=5005, help="nginx's port for the Rasa servers")
    scaled.add_argument("--web-port", type=int, default=8000, help="nginx's port for the web apps")
    scaled.add_argument("--log-dir", type=Path, help="write each service's output to a file here")
    scaled.add_argument("--host", default="127.0.0.1", help="nginx's address for the Rasa and web ports (for a "
                        "load balancer on another machine); another than loopback needs production secrets")
    scaled.set_defaults(func=commands.run_scaled)
    web = sub.add_parser("web", help="serve the web app only")
    web.add_argument("--host", default="127.0.0.1", help="another address than loopback needs production secrets")
    web.add_argument("--port", type=int, default=8000)
    web.set_defaults(func=commands.web)

    briefs = sub.add_parser("briefs", help="read handoff briefs").add_subparsers(dest="briefs_command",
                                                                               required=True)
    list_briefs = briefs.add_parser("list", help="briefs, newest first")
    list_briefs.add_argument("--status")
    list_briefs.add_argument("--sender-id")
    list_briefs.add_argument("--json", action="store_true")
    list_briefs.set_defaults(func=commands.briefs_list)
    show_brief = briefs.add_parser("show", help="one brief in full")
    show_brief.add_argument("id", type=int)
    show_brief.add_argument("--json", action="store_true")
    show_brief.set_defaults(func=commands.briefs_show)

    users = sub.add_parser("users", help="salespeople's accounts").add_subparsers(dest="users_command",
                                                                                required=True)
    add_user = users.add_parser("add", help="add a salesperson (or reset their password); asks for the password")
    add_user.add_argument("email")
    add_user.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    add_user.set_defaults(func=commands.users_add)
    remove_user = users.add_parser("remove", help="remove a salesperson's account and end their sessions")
    remove_user.add_argument("email")
    remove_user.set_defaults(func=commands.users_remove)
    availability = users.add_parser("availability", help="when visitors may book a call with a salesperson; "
                                    "without options, shows it and the next free slots")
    availability.add_argument("email")
    availability.add_argument("--time-zone", help="an IANA time zone, such as Europe/Berlin (default: the one set)")
    availability.add_argument("--hours", help='weekly hours in that time zone, such as "mon-fri 09:00-12:00, '
                              '13:00-17:00; sat 10:00-12:00" (";" or a new line between groups of days); "" clears '
                              "them (default: the hours set)")
    availability.set_defaults(func=commands.users_availability)

    visitors = sub.add_parser("visitors", help="a visitor's personal data: export it, erase it").add_subparsers(
        dest="visitors_command", required=True)
    export = visitors.add_parser("export", help="everything held about a visitor, as JSON")
    erase = visitors.add_parser("erase", help="delete a visitor's conversations and personal data (their "
                                              "briefs stay as tombstones)")
    erase.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    for command, func in ((export, commands.visitors_export), (erase, commands.visitors_erase)):
        who = command.add_mutually_exclusive_group(required=True)
        who.add_argument("--email", help="every conversation, lead and brief with this email (in any case)")
        who.add_argument("--sender", help="one conversation's sender id")
        command.set_defaults(func=func)

    chats = sub.add_parser("conversations", help="real conversations, for trainers").add_subparsers(
        dest="conversations_command", required=True)
    list_chats = chats.add_parser("list", help="conversations, the most troubled first, then the newest")
    _which_conversations(list_chats)
    list_chats.add_argument("--until", type=_date, help="YYYY-MM-DD")
    list_chats.add_argument("--outcome", default="", help="how it ended (handed_off, nurture, no_contact, completed, "
                            "no_interview, dropped, dropped_at:QUESTION), fallback, or what went wrong "
                            "(repeated_question, sent_to_support, contact_without_brief, handoff_without_contact)")
    list_chats.add_argument("--limit", type=_positive, help="show at most this many")
    list_chats.set_defaults(func=commands.conversations_list)
    show_chat = chats.add_parser("show", help="a transcript with intents, confidences and slots")
    show_chat.add_argument("sender_id")
    show_chat.set_defaults(func=commands.conversations_show)
    export_chat = chats.add_parser("export", help="a conversation as a Rasa test story (or training story)")
    export_chat.add_argument("sender_id")
    export_chat.add_argument("--name", help="the story's name (default: the sender id)")
    export_chat.add_argument("--training", action="store_true", help="a training story (intents only)")
    export_chat.add_argument("--to-nlu", action="store_true",
                             help="the messages `bot review` would list for it, as NLU examples to correct")
    export_chat.set_defaults(func=commands.conversations_export)

    evaluate = sub.add_parser("evaluate", help="NLU held-out and cross-validation scores, confusions, test stories "
                              "(end to end) and the conversation suite, compared with the pinned baseline (reports/)")
    evaluate.add_argument("--pin", action="store_true", help="make this run the baseline (reports/baseline.json)")
    evaluate.add_argument("--seeds", type=int, default=1, choices=range(1, 6), metavar="1-5",
                          help="also train the same data with this many seeds in all (the model's own counts): how "
                               "far training alone moves each score and which messages flip (about 1.5 min each)")
    evaluate.set_defaults(func=commands.evaluate)
    sub.add_parser("outcomes", help="win rates of closed briefs by stage, force, handoff reason and qualification "
                                    "check, with 90% intervals; flags checks that do not separate won from lost"
                   ).set_defaults(func=commands.outcomes)
    sub.add_parser("validate", help="Rasa's checks of data, domain and stories, failing on every warning that says "
                                    "something is wrong").set_defaults(func=commands.validate)
    trying = sub.add_parser("try", help="how the current model, the last rejected one and the running server read "
                                        "a message, side by side")
    trying.add_argument("message")
    trying.add_argument("--model", action="append", default=[], type=Path, help="one more model to compare")
    trying.set_defaults(func=commands.try_message)
    review = sub.add_parser("review", help="the visitor messages after which something went wrong (a fallback, low "
                                           "confidence, the question asked again, support, the visitor repeating "
                                           "it or leaving), the same words merged")
    _which_conversations(review)
    review.set_defaults(func=commands.review)
    return root


def main(argv: Optional[List[str]] = None) -> int:
    from bot.store.engine import DatabaseUnreachable

    args = parser().parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # commands that load Rasa would print TensorFlow's start-up log
    try:
        return args.func(args)
    except DatabaseUnreachable as error:  # a wrong DATABASE_URL or TRACKER_DB_URL: the message says which
        print(f"error: {error}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # `bot conversations list | head`: the reader has seen enough
        sys.stderr.close()  # (Python would complain again while flushing at exit)
        return 0
