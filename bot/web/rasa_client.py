"""The web app's one path to Rasa's token-protected conversation API (history, live messages, takeover)."""
from __future__ import annotations

import json
from typing import Optional
from urllib.parse import quote

import aiohttp
from aiohttp import web

from bot import config

HTTP_CLIENT = web.AppKey("http_client", aiohttp.ClientSession)


async def session(app: web.Application):
    """One HTTP client for the app's lifetime (an aiohttp cleanup context)."""
    app[HTTP_CLIENT] = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
    yield
    await app[HTTP_CLIENT].close()


async def tracker(request: web.Request, sender_id: str) -> dict:
    return await _call(request, "GET", _conversation(sender_id, "tracker"), params={"include_events": "ALL"})


async def post_events(request: web.Request, sender_id: str, events: list) -> None:
    """Adds events to a conversation; a bot event reaches the visitor's widget."""
    await _call(request, "POST", _conversation(sender_id, "tracker/events"), body=events,
                params={"output_channel": "socketio", "execute_side_effects": "true"})


async def run_action(request: web.Request, sender_id: str, name: str) -> None:
    """Runs one of the bot's actions in a conversation; what it says reaches the visitor's widget."""
    await _call(request, "POST", _conversation(sender_id, "execute"), body={"name": name},
                params={"output_channel": "socketio"})


async def typing(request: web.Request, sender_id: str, agent_name: str) -> None:
    """Tells the visitor's widget that this salesperson is typing (channels/visitors.py's socket.io channel)."""
    await _call(request, "POST", "/webhooks/socketio/typing", body={"session_id": sender_id, "agent_name": agent_name})


def _conversation(sender_id: str, path: str) -> str:
    # Sender ids are chosen by visitors: quoted, one cannot reach another conversation or endpoint.
    return f"/conversations/{quote(sender_id, safe='')}/{path}"


async def _call(request: web.Request, method: str, path: str, params: Optional[dict] = None,
                body: Optional[object] = None) -> dict:
    """One call to Rasa's token-protected API; failures become a 502 with a JSON reason."""
    try:
        async with request.app[HTTP_CLIENT].request(method, config.rasa_url() + path, json=body,
                                                    params={"token": config.rasa_token(), **(params or {})}
                                                    ) as response:
            if response.status != 200:
                raise _bad_gateway(f"The conversation service answered {response.status}.")
            return await response.json()
    except aiohttp.ClientError as error:
        raise _bad_gateway(f"The conversation service is unreachable: {error.__class__.__name__}.") from error


def _bad_gateway(reason: str) -> web.HTTPBadGateway:
    return web.HTTPBadGateway(text=json.dumps({"error": reason}), content_type="application/json")
