"""User groups through the fake Slack Web API: members, the expiring cache, missing scope, failures."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from bot.authz.explain import denial_message
from bot.authz.groups import GroupResolver
from bot.authz.guard import Authorizer
from bot.authz.roles import Action, Role
from bot.config import ProjectConfig, load_config
from bot.errors import DeniedError
from bot.slack.edge import explain
from tests.support.fakeslack import FakeSlack


class Clock:
    """A hand-moved monotonic clock."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _asked(fake: FakeSlack) -> list[str]:
    return [c.params.get("usergroup") for c in fake.calls("usergroups.users.list")]


def test_members_come_from_usergroups_users_list(fake_slack: FakeSlack) -> None:
    fake_slack.set_usergroup("S1", ["U1", "U2"])
    resolver = GroupResolver(fake_slack.client())
    assert resolver("S1") == {"U1", "U2"}
    assert resolver("SUNKNOWN") == frozenset()  # a group the fake does not know has no members
    assert _asked(fake_slack) == ["S1", "SUNKNOWN"]


def test_members_are_cached_until_the_ttl_runs_out(fake_slack: FakeSlack) -> None:
    clock = Clock()
    fake_slack.set_usergroup("S1", ["U1"])
    resolver = GroupResolver(fake_slack.client(), ttl=300, clock=clock)
    assert resolver("S1") == {"U1"}
    fake_slack.set_usergroup("S1", ["U2"])  # changed in Slack: not seen while the entry is fresh
    clock.now += 299.9
    assert resolver("S1") == {"U1"}
    assert _asked(fake_slack) == ["S1"]
    clock.now += 0.1
    assert resolver("S1") == {"U2"}
    assert _asked(fake_slack) == ["S1", "S1"]
    resolver.forget()
    assert resolver("S1") == {"U2"}
    assert len(_asked(fake_slack)) == 3


def test_missing_scope_logs_one_clear_line_and_denies(
    fake_slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    clock = Clock()
    fake_slack.set_usergroup("SLEADS", ["UGLEAD"])
    fake_slack.revoke_scope("usergroups:read")
    resolver = GroupResolver(fake_slack.client(), ttl=300, error_ttl=30, clock=clock)
    authz = Authorizer([ProjectConfig("p", "g", leads=("SLEADS",))], resolver)
    with caplog.at_level(logging.WARNING, logger="bot.authz.groups"):
        decision = authz.may("UGLEAD", Action.FLAG_ADJUDICATE, "p")
        authz.may("UGLEAD", Action.FLAG_ADJUDICATE, "p")  # cached failure: no second call, no second line
    assert (decision.allowed, decision.role_had) == (False, Role.ANNOTATOR)
    [record] = caplog.records
    message = record.getMessage()
    assert "SLEADS" in message and "usergroups:read" in message and "missing_scope" in message
    assert "\n" not in message
    [call] = fake_slack.calls("usergroups.users.list")
    assert call.reply["error"] == "missing_scope" and call.reply["needed"] == "usergroups:read"
    # A failure is retried sooner than a success: after error_ttl Slack is asked again.
    clock.now += 30
    authz.may("UGLEAD", Action.FLAG_ADJUDICATE, "p")
    assert len(fake_slack.calls("usergroups.users.list")) == 2


@pytest.mark.parametrize(
    "fault",
    [
        {"status": 200, "error": "no_such_subteam"},
        {"status": 500, "times": 5},
        {"status": 200, "drop": True, "times": 5},
    ],
)
def test_any_slack_failure_counts_as_no_members(
    fake_slack: FakeSlack, caplog: pytest.LogCaptureFixture, fault: dict[str, object]
) -> None:
    fake_slack.set_usergroup("S1", ["U1"])
    fake_slack.fail_next("usergroups.users.list", **fault)  # type: ignore[arg-type]
    resolver = GroupResolver(fake_slack.client(timeout=2))
    with caplog.at_level(logging.WARNING, logger="bot.authz.groups"):
        assert resolver("S1") == frozenset()
    assert any("S1 counts as empty" in r.getMessage() for r in caplog.records)


def test_an_answer_without_a_user_list_counts_as_no_members(fake_slack: FakeSlack) -> None:
    fake_slack.set_handler("usergroups.users.list", {"users": "U1"})
    assert GroupResolver(fake_slack.client())("S1") == frozenset()


def test_manager_group_over_the_fake_grants_everything_a_lead_may(fake_slack: FakeSlack) -> None:
    fake_slack.set_usergroup("SBOSS", ["UGBOSS"])
    fake_slack.set_usergroup("SLEAD", ["UGLEAD"])
    authz = Authorizer(
        [ProjectConfig("p", "g", leads=("SLEAD",), managers=("SBOSS",))], GroupResolver(fake_slack.client())
    )
    for action in Action:
        assert authz.may("UGBOSS", action, "p").allowed >= authz.may("UGLEAD", action, "p").allowed
    assert authz.role("UGBOSS", "p") is Role.MANAGER
    assert authz.role("UGLEAD", "p") is Role.LEAD
    assert authz.role("UOTHER", "p") is Role.ANNOTATOR
    # Each group was asked once: the cache answered every later question.
    assert sorted(_asked(fake_slack)) == ["SBOSS", "SLEAD"]


def test_the_apps_authorizer_reads_config_groups_through_its_client(
    fake_slack: FakeSlack, tmp_path: Path
) -> None:
    path = tmp_path / "annobot.toml"
    path.write_text('[[projects]]\nname = "p"\nguideline = "g"\nmanagers = ["SBOSS"]\n', encoding="utf-8")
    fake_slack.set_usergroup("SBOSS", ["UGBOSS"])
    authz = Authorizer.from_config(load_config(path, env={}), fake_slack.client())
    assert authz.may("UGBOSS", Action.GUIDELINE_PUBLISH, "p").allowed
    assert not authz.may("UOTHER", Action.GUIDELINE_PUBLISH, "p").allowed


def test_a_denial_reaches_the_user_as_an_escaped_ephemeral_explanation(fake_slack: FakeSlack) -> None:
    authz = Authorizer([ProjectConfig("<!channel>", "g")])
    decision = authz.may("UANN", Action.FLAG_ADJUDICATE, "<!channel>")
    explain(
        DeniedError(denial_message(decision)),
        respond=None,
        client=fake_slack.client(),
        channel_id="C1",
        user_id="UANN",
    )
    [call] = fake_slack.calls("chat.postEphemeral")
    assert call.params["user"] == "UANN"
    shown = json.dumps(call.param_json("blocks"))
    assert "Only a lead or a manager of project &lt;!channel&gt; may adjudicate flags" in shown
    assert "you are an annotator" in shown
    assert "<!channel>" not in shown
