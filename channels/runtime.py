"""The Rasa server, tuned. Imported by channels/visitors.py, which Rasa loads from credentials.yml before it
loads the model, so it applies in every Rasa process that talks to visitors (not to `rasa train`/`rasa test`).
Figures from docs/benchmarks.md; each change is checked against Rasa's own code by
tests/integration/test_rasa_runtime.py.

- The action server gets ACTION_TIMEOUT_SECONDS, not Rasa's five minutes: a visitor will not wait that long.
- Rasa checks each action server response with `jsonschema.validate`, which first validates the (large) event
  schema itself against the JSON Schema meta-schema: about 70 ms per call here, half the cost of a whole
  turn. Validators built once check the same response, each event against the schema of its own type.
- Reading a conversation, Rasa looks up each event's class among all Event subclasses, found anew
  (recursively) for every event: 7% of a turn. The classes are now looked up once.
- Rasa opens a new HTTP session, and so a new connection, for every call to the action server: 3 ms of a
  turn's wait and 1.4 ms of its CPU. Each endpoint now keeps one session and reuses its connections, and
  encodes the call (the whole conversation and the domain, up to 60 kB) with ujson, a Rasa requirement that
  does it in 40% of the time: the standard encoder took 4% of a turn.
- Loading a TensorFlow model (DIET), Rasa trains it on one example so that its weights exist before it reads
  the trained ones: tracing that training step took a third of the start-up and stays in memory. Reading
  the weights first and letting the prediction step create them (TensorFlow restores each weight as it is
  created) gives the same model.
- Every NLU parse and every prediction runs Rasa's graph of components through dask, which schedules a graph
  of ~20 small tasks as if they were large: 7% of a turn. They now run in dependency order, directly.
- After a form ran and did not reject the message, RulePolicy predicts action_listen as a prediction "without
  user input", which overrules every other policy (DefaultPolicyPredictionEnsemble). The other policies (the
  memoization of the training stories) still featurized the whole conversation to be overruled: half of the
  second prediction of most turns. Such a prediction is now made by RulePolicy alone.
- RulePolicy matched the latest dialogue states against each of its 270 rules at every prediction, twice or
  three times a turn (half its time). No rule looks further back than its own length, so the rules matching
  the same latest states are now looked up once.
- Custom actions run inside the Rasa server when the action endpoint names a module (`actions_module`, the
  key Rasa Pro uses for the same thing) instead of a URL: the call is what rasa-sdk's action server does with
  the request, without encoding the conversation, sending it over HTTP and parsing it back (a fifth of a turn,
  and the action server's own 2 ms). An endpoint with a URL still calls an action server.
"""
from __future__ import annotations

import asyncio
import copy
import json
from functools import lru_cache
from typing import Any, Dict, List, Optional, Tuple

import aiohttp
import jsonschema
import rasa.core.actions.action
import ujson
from rasa.core.actions.action import ActionExecutionRejection, RemoteAction
from rasa.core.policies.rule_policy import RulePolicy
from rasa.core.processor import MessageProcessor
from rasa.engine.constants import PLACEHOLDER_TRACKER
from rasa.engine.exceptions import GraphRunError
from rasa.engine.graph import GraphNode
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.shared.core.events import Event, deserialise_events
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.exceptions import RasaException
from rasa.shared.utils.common import all_subclasses
from rasa.utils.endpoints import EndpointConfig
from rasa.utils.tensorflow.models import RasaModel
from rasa_sdk import interfaces as sdk
from rasa_sdk.executor import ActionExecutor

from bot import config

# A hung action gets the visitor channels/visitors.py's honest reply after this instead.
rasa.core.actions.action.DEFAULT_REQUEST_TIMEOUT = config.limit("ACTION_TIMEOUT_SECONDS", 15)


@lru_cache(maxsize=1)
def _response_validators() -> Tuple[Any, Dict[str, Any]]:
    """The response without its events' `oneOf`, and one validator per event type: each of Rasa's 23 event
    schemas names its event with a `const`, so checking an event against the one it names is what `oneOf`
    concludes after trying them all (0.25 ms instead of 2.2 ms for a response of four events)."""
    def validator(schema: dict) -> Any:
        return jsonschema.validators.validator_for(schema)(schema)

    response = copy.deepcopy(RemoteAction.action_response_format_spec())
    events = response["properties"]["events"]["items"]
    kinds = {kind["properties"]["event"]["const"]: validator(kind) for kind in events.pop("oneOf")}
    return validator(response), kinds


def _validate_action_result(self: RemoteAction, result: Dict[str, Any]) -> bool:
    response, kinds = _response_validators()
    try:
        response.validate(result)
        for event in result.get("events") or []:
            if event.get("event") not in kinds:
                raise jsonschema.ValidationError(f"{event.get('event')!r} is not an event Rasa knows")
            kinds[event["event"]].validate(event)
        return True
    except jsonschema.ValidationError as error:  # Rasa's own message, as its original method gives it
        error.message += (". Failed to validate Action server response from API, make sure your response from "
                          "the Action endpoint is valid.")
        raise


RemoteAction._validate_action_result = _validate_action_result


_load_for_training = RasaModel.load.__func__


def _load(cls: type, model_file_name: str, model_data_example: Any, predict_data_example: Any = None,
          finetune_mode: bool = False, *args: Any, **kwargs: Any) -> RasaModel:
    if finetune_mode or predict_data_example is None:
        return _load_for_training(cls, model_file_name, model_data_example, predict_data_example, finetune_mode,
                                  *args, **kwargs)
    model = cls(*args, **kwargs)
    model.load_weights(model_file_name).expect_partial()  # the optimizer's state is for training only
    model.run_inference(predict_data_example)  # creates the weights, restored as they appear
    return model


RasaModel.load = classmethod(_load)


class _KeptSession:
    """What Rasa's `async with endpoint.session()` gets: the endpoint's session, left open for the next call."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self.session = session

    async def __aenter__(self) -> aiohttp.ClientSession:
        return self.session

    async def __aexit__(self, *_: Any) -> None:
        return None


def _session(self: EndpointConfig) -> _KeptSession:
    loop = asyncio.get_running_loop()
    kept = self.__dict__.get("_kept")
    if kept is None or kept[0] is not loop or kept[1].closed:
        # Idle connections are dropped after 2 s, before the action server's Sanic drops them (5 s), so a
        # request never goes out on a connection the server is closing.
        auth = self.basic_auth and aiohttp.BasicAuth(self.basic_auth["username"], self.basic_auth["password"])
        session = aiohttp.ClientSession(
            headers=self.headers, auth=auth or None, connector=aiohttp.TCPConnector(keepalive_timeout=2),
            json_serialize=ujson.dumps,
            timeout=aiohttp.ClientTimeout(total=rasa.core.actions.action.DEFAULT_REQUEST_TIMEOUT))
        kept = self._kept = (loop, session)
    return _KeptSession(kept[1])


EndpointConfig.session = _session


_event_classes: Dict[str, type] = {}
_find_event_class = Event.resolve_by_type


def _resolve_by_type(type_name: str, default: Any = None) -> Any:
    if type_name not in _event_classes:  # (again) after events were defined since
        for event_class in all_subclasses(Event):
            _event_classes.setdefault(event_class.type_name, event_class)  # the first, as Rasa's own lookup
    return _event_classes.get(type_name) or _find_event_class(type_name, default)  # Rasa's answer for others


Event.resolve_by_type = staticmethod(_resolve_by_type)


def _run_graph(self: DaskGraphRunner, inputs: Optional[Dict[str, Any]] = None,
               targets: Optional[List[str]] = None) -> Dict[str, Any]:
    """DaskGraphRunner.run without dask: each node needed for the targets runs once, after the nodes it needs.
    As with dask, an input overrides a node of the same name, and a need that nothing provides reaches the
    node as its bare name (the node then names what is missing)."""
    nodes = self._graph_schema.nodes
    outputs: Dict[str, Any] = {}
    for name, value in (inputs or {}).items():
        if isinstance(value, str) and value in nodes:
            raise GraphRunError(f"Input value '{value}' clashes with a node name. Make sure that none of the input "
                                "names passed to the `run` method are the same as node names in the graph schema.")
        outputs[name] = (name, value)

    def output(name: str) -> Any:
        if name not in outputs:
            if name not in nodes:
                return name
            needs = [output(need) for need in nodes[name].needs.values()]
            outputs[name] = self._instantiated_nodes[name](*needs)
        return outputs[name]

    try:
        return dict(output(target) for target in targets or self._graph_schema.target_names)  # name: value
    except RuntimeError as error:  # as Rasa's runner
        raise GraphRunError("Error running runner.") from error


DaskGraphRunner.run = _run_graph


_predict_with_every_policy = MessageProcessor._predict_next_with_tracker


def _predict_next_with_tracker(self: MessageProcessor, tracker: DialogueStateTracker) -> Any:
    """Rasa's prediction; right after a form ran without rejecting the message, RulePolicy's alone when it is a
    prediction without user input (action_listen), which the ensemble would pick over every other policy."""
    ran_its_loop = tracker.active_loop_name and tracker.latest_action_name == tracker.active_loop_name \
        and not tracker.is_active_loop_rejected and not tracker.followup_action
    nodes: Dict[str, GraphNode] = getattr(self.graph_runner, "_instantiated_nodes", {})
    rules = next((name for name, node in nodes.items() if isinstance(node._component, RulePolicy)), None)
    target = self.model_metadata.core_target
    if not ran_its_loop or rules is None or target not in nodes:
        return _predict_with_every_policy(self, tracker)
    prediction = self.graph_runner.run(inputs={PLACEHOLDER_TRACKER: tracker}, targets=[rules])[rules]
    if not prediction.is_no_user_prediction:  # the other policies have a say: the whole graph, RulePolicy's kept
        return self.graph_runner.run(inputs={PLACEHOLDER_TRACKER: tracker, rules: prediction}, targets=[target])[target]
    return nodes[target]._component.combine_predictions([prediction], tracker, self.domain)


MessageProcessor._predict_next_with_tracker = _predict_next_with_tracker


def _get_possible_keys(self: RulePolicy, lookup: Dict[str, str], states: List[Any]) -> set:
    """RulePolicy's rules that match the latest states (Rasa checks each rule against as many of the latest states
    as the rule has), looked up once for the same latest states. The memo lives with the policy's rules."""
    memo = self.__dict__.setdefault("_possible_keys_memo", {})
    longest = memo.get(id(lookup))
    if longest is None:  # the lookups are the policy's own and live as long as it does
        longest = memo[id(lookup)] = max((len(self._rule_key_to_state(key)) for key in lookup), default=0)
    key = (id(lookup), json.dumps(states[-longest:] if longest else [], sort_keys=True))
    if key not in memo:
        if len(memo) > 10_000:
            memo.clear()
            memo[id(lookup)] = longest
        memo[key] = _possible_keys_of_rules(self, lookup, states)
    return set(memo[key])


_possible_keys_of_rules = RulePolicy._get_possible_keys
RulePolicy._get_possible_keys = _get_possible_keys


@lru_cache(maxsize=None)
def action_executor(module: str) -> ActionExecutor:
    """rasa-sdk's executor of the actions in `module`, as its action server builds it; the module's optional
    `warm_up()` runs once, so that the first visitor does not wait for what it loads."""
    executor = ActionExecutor()
    executor.register_package(module)
    warm_up = getattr(__import__(module), "warm_up", None)
    if warm_up:
        warm_up()
    return executor


def actions_module(endpoint: Optional[EndpointConfig]) -> Optional[str]:
    return endpoint.kwargs.get("actions_module") if endpoint else None


def load_actions(agent: Any) -> None:
    """Loads (and warms up) the actions an agent runs here, if any, before the first visitor needs them."""
    module = actions_module(getattr(agent, "action_endpoint", None))
    if module:
        action_executor(module)


_call_action_server = RemoteAction.run


async def _run_remote_action(self: RemoteAction, output_channel: Any, nlg: Any, tracker: DialogueStateTracker,
                             domain: Any) -> List[Event]:
    """Rasa's RemoteAction.run, with the action run here when the endpoint names a module: the same call as
    an action server's, the same checks of its answer and the same errors, within the same timeout."""
    module = actions_module(self.action_endpoint)
    if not module:
        return await _call_action_server(self, output_channel, nlg, tracker, domain)
    call = self._action_call_format(tracker, domain)
    try:
        result = await asyncio.wait_for(action_executor(module).run(call),
                                        rasa.core.actions.action.DEFAULT_REQUEST_TIMEOUT)
    except sdk.ActionExecutionRejection as rejection:  # a form rejecting the message: other policies choose
        raise ActionExecutionRejection(rejection.action_name, rejection.message) from None
    except asyncio.TimeoutError as error:
        raise RasaException(f"Custom action '{self.name()}' did not finish within "
                            f"{rasa.core.actions.action.DEFAULT_REQUEST_TIMEOUT} s") from error
    except Exception as error:
        raise RasaException(f"Failed to execute custom action '{self.name()}'") from error
    # What the action server would have sent: plain JSON values, checked as Rasa checks an answer.
    result = ujson.loads(ujson.dumps(result or {"events": [], "responses": []}))
    self._validate_action_result(result)
    bot_messages = await self._utter_responses(result.get("responses", []), output_channel, nlg, tracker)
    return [*bot_messages, *deserialise_events(result.get("events", []))]


RemoteAction.run = _run_remote_action
