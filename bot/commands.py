"""What each `bot` sub-command does, and how it prints (cli.py only parses the arguments)."""
from __future__ import annotations

import argparse
import getpass
import json
import sys
from typing import List


def printable(text: object) -> str:
    """Visitor text for a terminal: control characters (escape sequences) shown, not obeyed."""
    return "".join(ch if ch == "\n" or ch.isprintable() else repr(ch)[1:-1] for ch in str(text))


def build_nlp(args: argparse.Namespace) -> int:
    from bot.trainer import model

    model.build_nlp(force=True)
    return 0


def train(args: argparse.Namespace) -> int:
    from bot.trainer import model

    try:
        model.train(force=args.force)
    except (model.ModelRejected, ValueError) as rejected:  # ValueError: a test story file Rasa would skip
        print(f"error: {rejected}", file=sys.stderr)
        return 1
    return 0


def run(args: argparse.Namespace) -> int:
    from bot import supervisor

    return supervisor.run(args.action_port, args.rasa_port, args.web_port, args.log_dir)


def run_scaled(args: argparse.Namespace) -> int:
    from bot import scaled

    return scaled.run(args.instances, args.action_port, args.rasa_port, args.web_port, args.log_dir, args.host)


def web(args: argparse.Namespace) -> int:
    from bot import supervisor
    from bot.web import app

    if supervisor.refuse_unsafe_secrets(args.host):
        return 2
    app.serve(host=args.host, port=args.port)
    return 0


def print_briefs(briefs: List[dict]) -> None:
    if not briefs:
        print("No briefs.")
    for brief in briefs:
        contact = brief["contact"] or {}
        print(printable(f"#{brief['id']}  {brief['created_at']}  {brief['status']:<8} {brief['handoff_reason']:<24} "
                        f"{brief['buying_stage']:<16} {contact.get('email') or '-'}"))
        print(printable(f"      {brief['headline']}"))


def print_brief(brief: dict) -> None:
    from bot.conversation.playback import played_back

    lines = [f"Brief #{brief['id']} ({brief['status']}) for {brief['sender_id']}, {brief['created_at']}",
             f"Handoff: {brief['handoff_reason']}; qualified: {brief['qualified']}; stage: {brief['buying_stage']}",
             "", brief["summary"], "", "Forces:"]
    for name, force in brief["forces"].items():
        lines.append(f"  {name:<8} {force['rating']}/2  " + " | ".join(f"“{quote}”" for quote in force["evidence"]))
    lines += ["", "Why:"] + [f"  - {reason}" for reason in brief["reasons"]]
    lines += ["", f"Story played back: {played_back(brief.get('playback'))}"]
    lines += ["", "Ask next:"] + [f"  - {question}" for question in brief["suggested_questions"]]
    contact = json.dumps(brief["contact"], ensure_ascii=False) if brief["contact"] else "not given"
    lines += ["", f"Contact: {contact}", "", "Transcript:"]
    lines += [f"  [{line['at']}] {line['speaker']}: {line['text']}" for line in brief["transcript"]]
    print(printable("\n".join(lines)))


def briefs_list(args: argparse.Namespace) -> int:
    from bot.store import briefs

    found = briefs.list_briefs(sender_id=args.sender_id, status=args.status)
    print(json.dumps(found, indent=2, ensure_ascii=False)) if args.json else print_briefs(found)
    return 0


def briefs_show(args: argparse.Namespace) -> int:
    from bot.store import briefs

    brief = briefs.get_brief(args.id)
    if brief is None:
        print(f"error: no brief with id {args.id}", file=sys.stderr)
        return 1
    print(json.dumps(brief, indent=2, ensure_ascii=False)) if args.json else print_brief(brief)
    return 0


def users_add(args: argparse.Namespace) -> int:
    from bot.sales import accounts

    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != password:
            print("error: the passwords differ", file=sys.stderr)
            return 1
    try:
        accounts.add_user(args.email, password)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"{args.email.strip().lower()} can sign in at /login")
    return 0


def users_remove(args: argparse.Namespace) -> int:
    from bot.sales import accounts

    try:
        accounts.remove_user(args.email)
    except LookupError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"{args.email.strip().lower()} is removed and signed out")
    return 0


def users_availability(args: argparse.Namespace) -> int:
    from bot.sales import accounts, booking

    email = args.email.strip().lower()
    if not accounts.exists(email):
        print(printable(f"error: there is no salesperson {email!r}"), file=sys.stderr)
        return 2
    time_zone, hours = booking.availability_of(email)
    if args.time_zone is not None or args.hours is not None:
        if args.time_zone is None and time_zone is None:
            print(printable(f"error: {email} has no time zone yet: give --time-zone too"), file=sys.stderr)
            return 2
        try:  # what is not given stays as it was
            booking.set_availability(email, time_zone if args.time_zone is None else args.time_zone.strip(),
                                     booking.describe_hours(hours) if args.hours is None else args.hours)
        except booking.BookingError as error:
            print(printable(f"error: {error}"), file=sys.stderr)
            return 2
        time_zone, hours = booking.availability_of(email)
    print(f"{email}: time zone {time_zone or 'not set'}")
    print("\n".join(f"  {line}" for line in booking.describe_hours(hours).splitlines())
          or "  no hours: visitors cannot book a call")
    slots = booking.free_slots(3, salesperson=email)
    print("Next free slots:" + "".join(f"\n  {booking.label(start, time_zone)} ({booking.zone_label(time_zone)})"
                                       for start in slots) + ("" if slots else " none"))
    return 0


def _visitors(args: argparse.Namespace) -> List[dict]:
    """Everything held about the visitor named by --email or --sender; ValueError says why there is none."""
    from bot.store import privacy

    if args.email is not None:
        email = args.email.strip()
        if "@" not in email:
            raise ValueError(f"{args.email!r} is not an email address")
        senders, whom = privacy.senders_with_email(email), email
    else:
        if not args.sender.strip():
            raise ValueError("--sender needs a sender id")
        senders, whom = [args.sender], f"sender id {args.sender!r}"
    found = privacy.export(senders)
    if not found:
        raise ValueError(f"nothing is held about {whom}")
    return found


def visitors_export(args: argparse.Namespace) -> int:
    from bot.clock import iso, utcnow

    try:
        found = _visitors(args)
    except ValueError as error:
        print(printable(f"error: {error}"), file=sys.stderr)
        return 1
    print(json.dumps({"exported_at": iso(utcnow()), "visitors": found}, indent=2, ensure_ascii=False))
    return 0


def visitors_erase(args: argparse.Namespace) -> int:
    from bot.store import privacy

    try:
        found = _visitors(args)
    except ValueError as error:
        print(printable(f"error: {error}"), file=sys.stderr)
        return 1
    for visitor in found:
        print(printable(f"{visitor['sender_id']}: conversation events: {len(visitor['conversation'])}, "
                        f"briefs: {len(visitor['briefs'])}, lead: {'yes' if visitor['lead'] else 'no'}"))
    if not args.yes:
        try:
            answer = input("Erase all of this? It cannot be undone. [y/N] ")
        except EOFError:  # no terminal to ask: no
            answer = ""
        if answer.strip().lower() not in ("y", "yes"):
            print("Nothing erased.")
            return 1
    erased = privacy.erase(visitor["sender_id"] for visitor in found)
    print("Erased " + ", ".join(f"{what}: {count}" for what, count in erased.items()) + ".")
    return 0


def conversations_list(args: argparse.Namespace) -> int:
    from bot.store import conversations

    try:
        found = conversations.conversations(args.since, args.until, args.outcome, sender_prefix=args.sender,
                                            exclude_prefixes=args.exclude_prefix, limit=args.limit, by_trouble=True)
    except ValueError as error:  # an unknown outcome: the message lists the valid ones
        print(f"error: {error}", file=sys.stderr)
        return 2
    if not found:
        print("No conversations.")
    for conversation in found:
        row = conversation.as_row()
        print(printable(f"{row['started']}  {row['sender_id']:<36} {row['messages']:>3} messages  "
                        f"{row['outcome']}" + (f"  ({row['fallbacks']} fallbacks)" if row["fallbacks"] else "")
                        + (f"  !! {row['problems']}" if row["problems"] else "")))
    return 0


def conversations_show(args: argparse.Namespace) -> int:
    from bot.store import conversations
    from bot.trainer import review

    found = conversations.conversations(sender_id=args.sender_id)
    if not found:
        print(f"error: no conversation with sender id {args.sender_id!r}", file=sys.stderr)
        return 1
    print(printable(f"{found[0].sender_id}: {found[0].outcome}"
                    + (f" ({', '.join(found[0].problems)})" if found[0].problems else "")))
    print(printable("\n".join(review.readable(found[0]))))
    return 0


def conversations_export(args: argparse.Namespace) -> int:
    from bot.trainer import review, stories

    if args.to_nlu:
        print(review.nlu_examples(review.findings(sender_id=args.sender_id)), end="")
        return 0
    try:
        print(stories.story(args.sender_id, args.name or args.sender_id, test=not args.training))
    except LookupError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


def evaluate(args: argparse.Namespace) -> int:
    from bot.config import MODEL
    from bot.trainer import evaluate as evaluation

    return evaluation.main(MODEL, pin=args.pin, seeds=args.seeds)


def validate(args: argparse.Namespace) -> int:
    from bot.trainer import validation

    return validation.main()


def try_message(args: argparse.Namespace) -> int:
    from bot.trainer import trying

    missing = [str(path) for path in args.model if not path.exists()]
    if missing:
        print(f"error: no model file {', '.join(missing)}", file=sys.stderr)
        return 2
    chosen = trying.models(args.model)
    if not chosen:
        print("error: no trained model; run `make train` first.", file=sys.stderr)
        return 2
    parsed = trying.parse_with_models(args.message, chosen)
    served = trying.parse_on_server(args.message)
    if served is not None:
        parsed["running server"] = served
    print(printable(trying.table(args.message, parsed)))
    if served is None:
        print("\n(No Rasa server answered: `make run` serves the current model and loads a new one by itself.)")
    return 0


def review(args: argparse.Namespace) -> int:
    from bot.trainer import review as reviewing

    groups = reviewing.review(args.since, sender_prefix=args.sender, exclude_prefixes=args.exclude_prefix)
    if not groups:
        print("Nothing went wrong" + (f" since {args.since}." if args.since else "."))
    for likely, found in groups.items():
        print(f"{likely} ({sum(finding.count for finding in found)})")
        for finding in found:
            times = f"{finding.count}x " if finding.count > 1 else ""
            others = f" +{finding.count - 1} more" if finding.count > 1 else ""
            print(printable(f"  {finding.confidence:.2f} {finding.intent:<16} {times}{finding.text}    "
                            f"({', '.join(finding.reasons)})  [{finding.sender_id}{others}]"))
    return 0


def outcomes(args: argparse.Namespace) -> int:
    from bot.sales import outcomes as found

    print(found.as_text(found.report()))
    return 0
