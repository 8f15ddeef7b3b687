"""A local fake of the Slack Web API: the tests' Slack, and the one `annobot console` plays.

``FakeSlack`` runs a stdlib ``ThreadingHTTPServer`` on ``127.0.0.1`` (ephemeral port) in a
background thread. Point a real ``slack_sdk.WebClient`` at ``fake.url`` and every call is recorded
and answered with a realistic canned response. It also serves ``response_url`` endpoints and the
upload URLs used by ``files_upload_v2``, and can inject 429/5xx/dropped-connection faults and delays.
``hold`` keeps matching requests unanswered and unrecorded (a Slack that hangs) until released.
``conversations.history`` gives back the messages posted to a channel (with their metadata on
``include_all_metadata``), paginated like Slack's; ``FakeSlack(clock=...)`` dates their ts.
``on_call`` hands each recorded request to a listener as it arrives (the console renders from it).
``set_usergroup`` sets the members ``usergroups.users.list`` answers; ``revoke_scope`` makes the
methods needing that scope answer ``missing_scope``, as Slack does for an app installed without it.

It lives in the package, not under tests/, because the console needs it at run time; it is a
development tool with no production caller, and imports nothing of annobot outside this package.

Typical use::

    with FakeSlack() as fake:
        client = WebClient(token="xoxb-test", base_url=fake.url)
        client.chat_postMessage(channel="C1", text="hi")
        [call] = fake.wait_for("chat.postMessage")

Routes served: ``/api/<method>`` (Web API), ``/upload/<file_id>`` (upload URLs handed out by
``files.getUploadURLExternal``), ``/response/<name>`` (``response_url`` stand-ins). Anything else
gets a 404 and is recorded with ``kind="other"``.

Modules: ``server`` (HTTP, recording, faults, waiting), ``workspace`` (the bot's identity, users,
channels and the built-in method answers), ``wire`` (decoding request bodies).
"""

from __future__ import annotations

from bot.fakeslack.server import (
    HANDLER_SOCKET_TIMEOUT,
    HOST,
    MAX_DELAY_SECONDS,
    Call,
    FakeSlack,
    Handler,
    HeldRequest,
    Hold,
    Kind,
    Listener,
)
from bot.fakeslack.wire import UploadedFile
from bot.fakeslack.workspace import APP_ID, BOT_ID, BOT_USER_ID, TEAM_DOMAIN, TEAM_ID, Workspace

__all__ = [
    "APP_ID",
    "BOT_ID",
    "BOT_USER_ID",
    "HANDLER_SOCKET_TIMEOUT",
    "HOST",
    "MAX_DELAY_SECONDS",
    "TEAM_DOMAIN",
    "TEAM_ID",
    "Call",
    "FakeSlack",
    "Handler",
    "HeldRequest",
    "Hold",
    "Kind",
    "Listener",
    "UploadedFile",
    "Workspace",
]
