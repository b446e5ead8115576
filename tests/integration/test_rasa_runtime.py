"""channels/runtime.py changes how the Rasa server loads TensorFlow models, runs its graph, predicts after a form
and checks action server responses: it must give the same model, predictions and refusals as Rasa's own code."""
import datetime
import gc
import json
import subprocess
import sys

import jsonschema
import pytest

from bot.config import MODEL, ROOT, rasa_env

# Written for this test: none of these is in the training data.
MESSAGES = ["our night shift keeps overwriting the stock counts in the shared sheet",
            "is there a discount for charities?", "could a real human call me back",
            "no thanks, not right now", "what's the capital of peru", "we'd need it before the audit in May"]

RANKINGS = """
import asyncio, json, sys
if sys.argv[1] == "tuned":
    import channels.runtime  # noqa: F401
from rasa.core.agent import Agent
agent = Agent.load(sys.argv[2])
async def rank(text):
    parsed = await agent.parse_message(text)
    return [(intent["name"], round(intent["confidence"], 5)) for intent in parsed["intent_ranking"][:3]]
print(json.dumps({text: asyncio.run(rank(text)) for text in json.loads(sys.argv[3])}))
"""


def rankings(loader: str) -> dict:
    result = subprocess.run([sys.executable, "-c", RANKINGS, loader, str(MODEL), json.dumps(MESSAGES)], cwd=ROOT,
                            env=rasa_env(), capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_server_loads_the_same_model_as_rasa_does():
    assert MODEL.exists(), "no trained model: run `make test` (it trains when config, domain or data changed)"
    rasa_own, tuned = rankings("rasa"), rankings("tuned")
    assert len({ranking[0][0] for ranking in rasa_own.values()}) >= 3  # a real model, not one answer for all
    assert tuned == rasa_own


PREDICTIONS = """
import json, sys
if sys.argv[1] == "tuned":
    import channels.runtime  # noqa: F401
from rasa.core.agent import Agent
from rasa.shared.core.events import (ActionExecuted, ActionExecutionRejected, ActiveLoop, BotUttered, SessionStarted,
                                     SlotSet, UserUttered)
from rasa.shared.core.trackers import DialogueStateTracker
agent = Agent.load(sys.argv[2])
processor = agent.processor
def user(text, intent):
    return [ActionExecuted("action_listen"), UserUttered(text, {"name": intent, "confidence": 0.97})]
start = [ActionExecuted("action_session_start"), SessionStarted()] + user("good evening", "greet")
asked = start + [ActionExecuted("action_read_opening"), SlotSet("introduction", "good evening"),
                 ActionExecuted("interview_form"), ActiveLoop("interview_form"), SlotSet("requested_slot", "struggle"),
                 BotUttered("What brought you here?")]
answered = asked + user("the night shift overwrites our stock counts", "inform")
scenes = {
    "opening": start,
    "the form asked": asked,
    "an answer": answered,
    "the form asked again": answered + [ActionExecuted("interview_form"), SlotSet("struggle", "stock counts"),
                                        SlotSet("requested_slot", "situation")],
    "a question, answered": asked + user("what does it cost?", "ask_pricing")
                            + [ActionExecuted("action_answer_product_question")],
    "rejected": asked + user("stop", "stop") + [ActionExecutionRejected("interview_form")],
    "the form done": answered + [ActionExecuted("interview_form"), ActiveLoop(None), SlotSet("requested_slot", None)],
}
def predicted(tracker):
    prediction = processor._predict_next_with_tracker(tracker)
    best = max(range(len(prediction.probabilities)), key=prediction.probabilities.__getitem__)
    return [agent.domain.action_names_or_texts[best], prediction.max_confidence, prediction.policy_name,
            prediction.policy_priority, [event.type_name for event in prediction.events],
            prediction.is_no_user_prediction, prediction.is_end_to_end_prediction, prediction.hide_rule_turn]
found = {}
for round_ in ("first", "again"):  # again: nothing the tuned server remembered from before changes a prediction
    for scene, events in scenes.items():
        tracker = DialogueStateTracker.from_events("t", events, agent.domain.slots)
        found[f"{scene}, {round_}"] = [predicted(tracker), predicted(tracker)]  # the same tracker twice
print(json.dumps(found))
"""


def test_the_server_predicts_as_rasa_does():
    def predictions(loader: str) -> dict:
        result = subprocess.run([sys.executable, "-c", PREDICTIONS, loader, str(MODEL)], cwd=ROOT, env=rasa_env(),
                                capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, result.stderr[-3000:]
        return json.loads(result.stdout.strip().splitlines()[-1])

    rasa_own, tuned = predictions("rasa"), predictions("tuned")
    best = {scene: rasa_own[f"{scene}, first"][0][0] for scene in ("the form asked", "an answer", "rejected",
                                                                    "the form done")}
    assert best == {"the form asked": "action_listen", "an answer": "interview_form", "rejected": "utter_goodbye",
                    "the form done": "action_assess"}
    assert tuned == rasa_own


def test_an_action_server_response_is_checked_as_rasa_checks_it():
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.core import events

    import channels.runtime  # noqa: F401  (replaces the check)

    spec = RemoteAction.action_response_format_spec()
    made = [events.SlotSet("struggle", "late invoices"), events.UserUttered("hi", {"name": "greet", "confidence": 1}),
            events.BotUttered("Hello", {"buttons": []}), events.ActionExecuted("action_assess"),
            events.ActiveLoop("interview_form"), events.ActiveLoop(None), events.FollowupAction("contact_form"),
            events.ConversationPaused(), events.ConversationResumed(), events.Restarted(), events.AllSlotsReset(),
            events.ReminderScheduled("EXTERNAL_x", datetime.datetime(2026, 1, 1)), events.SessionStarted(),
            events.LoopInterrupted(True), events.ActionExecutionRejected("action_assess"),
            events.UserUtteranceReverted(), events.ActionReverted(), events.AgentUttered("hi")]
    valid = [{"events": [event.as_dict()], "responses": [{"text": "Thanks"}]} for event in made]
    wrong = [{"events": [{"event": "no_such_event"}]}, {"events": "slot"}, {"responses": ["text"]},
             {"events": [{"event": "slot", "name": 7}]}, {"events": [{"event": "user", "text": 3}]},
             {"events": [{"name": "struggle"}]}, {"events": [{"event": "action", "name": ["x"]}]},
             {"events": [events.SlotSet("a", 1).as_dict(), {"event": "slot", "name": "a"}]}]

    def rasa_accepts(response):
        try:
            jsonschema.validate(response, spec)
            return True
        except jsonschema.ValidationError:
            return False

    action = RemoteAction("action_assess", None)
    assert [rasa_accepts(response) for response in valid] == [True] * len(valid)
    assert [rasa_accepts(response) for response in wrong] == [False] * len(wrong)
    for response in valid:
        assert action._validate_action_result(response)
    for response in wrong:
        with pytest.raises(jsonschema.ValidationError, match="Failed to validate Action server response"):
            action._validate_action_result(response)


def test_events_are_read_as_the_classes_rasa_finds():
    from rasa.shared.core.events import Event, SlotSet
    from rasa.shared.utils.common import all_subclasses

    from channels.runtime import _find_event_class

    for event_class in all_subclasses(Event):
        assert Event.resolve_by_type(event_class.type_name) is _find_event_class(event_class.type_name)
    assert Event.resolve_by_type("no_such_event", SlotSet) is SlotSet
    with pytest.raises(ValueError, match="Unknown event name"):
        Event.resolve_by_type("no_such_event")


ACTIONS = '''
import asyncio
from rasa_sdk import Action
from rasa_sdk.events import SlotSet
from rasa_sdk.interfaces import ActionExecutionRejection

warmed = []


def warm_up():
    warmed.append(True)


class Greets(Action):
    def name(self):
        return "action_greets"

    async def run(self, dispatcher, tracker, domain):
        dispatcher.utter_message(text=f"Hello {tracker.latest_message['text']}")
        return [SlotSet("struggle", ("late", "invoices"))]


class Hangs(Action):
    def name(self):
        return "action_hangs"

    async def run(self, dispatcher, tracker, domain):
        await asyncio.sleep(60)


class Refuses(Action):
    def name(self):
        return "action_refuses"

    def run(self, dispatcher, tracker, domain):
        raise ActionExecutionRejection(self.name(), "not an answer")


class Breaks(Action):
    def name(self):
        return "action_breaks"

    def run(self, dispatcher, tracker, domain):
        raise KeyError("struggle")
'''


def test_actions_named_by_module_run_inside_rasa_as_an_action_server_would_run_them(tmp_path, monkeypatch):
    import rasa.core.actions.action

    from channels import runtime

    monkeypatch.setattr(rasa.core.actions.action, "DEFAULT_REQUEST_TIMEOUT", 1)

    (tmp_path / "runtime_test_actions.py").write_text(ACTIONS)
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        _run_the_test_actions(runtime)
    finally:  # rasa-sdk finds actions among all Action classes alive: these must not outlive the test
        runtime.action_executor.cache_clear()
        sys.modules.pop("runtime_test_actions", None)
        gc.collect()


def _run_the_test_actions(runtime):
    import asyncio
    import importlib
    import time
    from types import SimpleNamespace

    from rasa.core.actions.action import ActionExecutionRejection, RemoteAction
    from rasa.core.channels.channel import CollectingOutputChannel
    from rasa.core.nlg import TemplatedNaturalLanguageGenerator
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import BotUttered, SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker
    from rasa.shared.exceptions import RasaException
    from rasa.utils.endpoints import EndpointConfig

    endpoint = EndpointConfig(actions_module="runtime_test_actions")
    runtime.load_actions(SimpleNamespace(action_endpoint=endpoint))
    assert importlib.import_module("runtime_test_actions").warmed == [True]  # before any visitor

    domain = Domain.load(str(ROOT / "domain.yml"))
    tracker = DialogueStateTracker.from_events("visitor", [UserUttered("Ann", {"name": "inform", "confidence": 1})],
                                               domain.slots)

    async def run(name):
        return await RemoteAction(name, endpoint).run(CollectingOutputChannel(), TemplatedNaturalLanguageGenerator(
            domain.responses), tracker, domain)

    events = asyncio.run(run("action_greets"))
    assert [type(event) for event in events] == [BotUttered, SlotSet] and events[0].text == "Hello Ann"
    assert events[1].value == ["late", "invoices"]  # what it would be after JSON, as from an action server
    with pytest.raises(ActionExecutionRejection, match="not an answer"):  # a form's rejection: other policies choose
        asyncio.run(run("action_refuses"))
    with pytest.raises(RasaException, match="Failed to execute custom action 'action_breaks'"):
        asyncio.run(run("action_breaks"))
    with pytest.raises(RasaException, match="Failed to execute custom action 'action_unknown'"):
        asyncio.run(run("action_unknown"))

    async def hangs_while_others_are_served():
        ticks = []

        async def other_visitors():
            while True:
                ticks.append(time.monotonic())
                await asyncio.sleep(0.05)

        served = asyncio.create_task(other_visitors())
        began = time.monotonic()
        with pytest.raises(RasaException, match="did not finish within 1 s"):
            await run("action_hangs")
        served.cancel()
        return time.monotonic() - began, len(ticks)

    waited, ticks = asyncio.run(hangs_while_others_are_served())
    assert 0.9 <= waited < 3 and ticks >= 10  # one timeout for this visitor; the server kept serving the others

    # An endpoint with a URL is still an action server's: here nothing answers there.
    with pytest.raises(RasaException, match="Failed to execute custom action"):
        asyncio.run(RemoteAction("action_greets", EndpointConfig(url="http://127.0.0.1:9/webhook")).run(
            CollectingOutputChannel(), TemplatedNaturalLanguageGenerator(domain.responses), tracker, domain))
