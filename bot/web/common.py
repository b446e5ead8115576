"""What every handler module needs: JSON errors, brief ids from URLs, blocking calls kept off the event loop."""
from __future__ import annotations

import asyncio
import functools
import re
from typing import Awaitable, Callable

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
BRIEF_ID = re.compile(r"[0-9]{1,18}")  # a positive integer that fits the database's column


def error(status: int, reason: str, **headers: str) -> web.Response:
    return web.json_response({"error": reason}, status=status, headers=headers)


async def in_thread(function, *args, **kwargs):
    """Database calls are blocking: keep them off the event loop."""
    return await asyncio.get_running_loop().run_in_executor(None, functools.partial(function, *args, **kwargs))
