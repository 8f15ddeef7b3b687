"""The pure decision: every action for every role, manager ⊇ lead ⊇ annotator, and arbitrary ids."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.authz.explain import denial_message, denial_text
from bot.authz.guard import Authorizer
from bot.authz.roles import MIN_ROLE, PHRASE, Action, Decision, Role, decide, role_of
from bot.config import ProjectConfig

LEADS = ("ULEAD", "SLEADS")
MANAGERS = ("UBOSS", "SBOSSES")
GROUPS = {"SLEADS": {"UGLEAD", "UBOTH"}, "SBOSSES": {"UGBOSS", "UBOTH"}}
USER_OF = {Role.ANNOTATOR: "UANYONE", Role.LEAD: "ULEAD", Role.MANAGER: "UBOSS"}
GROUP_USER_OF = {Role.ANNOTATOR: "UANYONE", Role.LEAD: "UGLEAD", Role.MANAGER: "UGBOSS"}

# The table the product promises (README "Roles"): written out, not derived from MIN_ROLE.
EXPECTED = {
    Action.FLAG_FILE: Role.ANNOTATOR,
    Action.FLAG_STATS: Role.ANNOTATOR,
    Action.FLAG_QUEUE: Role.LEAD,
    Action.FLAG_TRIAGE: Role.LEAD,
    Action.FLAG_ADJUDICATE: Role.LEAD,
    Action.GOLD_ADD: Role.LEAD,
    Action.DIGEST_POST: Role.LEAD,
    Action.DIGEST_SCHEDULE: Role.LEAD,
    Action.GUIDELINE_PUBLISH: Role.MANAGER,
    Action.AUDIT_VIEW: Role.MANAGER,
}


def _members(group: str) -> set[str]:
    return GROUPS.get(group, set())


def test_every_action_has_a_minimal_role_and_a_phrase() -> None:
    assert MIN_ROLE == EXPECTED
    assert set(PHRASE) == set(Action)


@pytest.mark.parametrize("action", list(Action))
@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("via", ["id", "group"])
def test_decision_table(action: Action, role: Role, via: str) -> None:
    user = (USER_OF if via == "id" else GROUP_USER_OF)[role]
    decision = decide(user, action, "p", LEADS, MANAGERS, _members)
    assert decision == Decision(user, action, "p", role >= EXPECTED[action], EXPECTED[action], role)
    # Denials and privileged actions are audited; an annotator's own allowed actions are not.
    assert decision.audited == (not decision.allowed or EXPECTED[action] > Role.ANNOTATOR)


def test_manager_may_do_everything_a_lead_may() -> None:
    for action in Action:
        lead = decide("ULEAD", action, "p", LEADS, MANAGERS, _members)
        manager = decide("UBOSS", action, "p", LEADS, MANAGERS, _members)
        annotator = decide("UANYONE", action, "p", LEADS, MANAGERS, _members)
        assert manager.allowed >= lead.allowed >= annotator.allowed
    assert decide("UBOSS", Action.GUIDELINE_PUBLISH, "p", LEADS, MANAGERS, _members).allowed
    assert not decide("ULEAD", Action.GUIDELINE_PUBLISH, "p", LEADS, MANAGERS, _members).allowed


def test_in_both_lists_or_groups_counts_as_the_higher_role() -> None:
    assert role_of("UBOTH", LEADS, MANAGERS, _members) is Role.MANAGER
    assert role_of("UXY1", ["UXY1"], ["UXY1"]) is Role.MANAGER


def test_an_id_written_like_a_group_is_not_a_member_of_it() -> None:
    # "SLEADS" is configured as a group: a user claiming that id gets nothing from the entry itself.
    assert role_of("SLEADS", LEADS, MANAGERS, _members) is Role.ANNOTATOR
    # …and a user-shaped entry is not looked up as a group.
    asked: list[str] = []
    role_of("UANYONE", ["ULEAD"], [], lambda g: asked.append(g) or ())
    assert asked == []


def test_groups_are_asked_only_when_direct_ids_do_not_answer() -> None:
    asked: list[str] = []

    def members(group: str) -> set[str]:
        asked.append(group)
        return _members(group)

    assert role_of("UBOSS", LEADS, MANAGERS, members) is Role.MANAGER
    assert asked == []
    assert role_of("UGLEAD", LEADS, MANAGERS, members) is Role.LEAD
    assert asked == ["SBOSSES", "SLEADS"]


def test_authorizer_reads_the_config_and_unknown_projects_have_only_annotators() -> None:
    projects = [ProjectConfig("p", "g", leads=("ULEAD",), managers=("UBOSS",)), ProjectConfig("q", "g")]
    authz = Authorizer(projects)
    assert authz.role("ULEAD", "p") is Role.LEAD
    assert authz.role("ULEAD", "q") is Role.ANNOTATOR
    assert authz.may("UBOSS", Action.AUDIT_VIEW, "p").allowed
    denied = authz.may("UBOSS", Action.FLAG_ADJUDICATE, "nope")
    assert (denied.allowed, denied.role_had, denied.project) == (False, Role.ANNOTATOR, "nope")
    assert authz.may("UANYONE", Action.FLAG_FILE, "nope").allowed


def test_denial_text_names_the_role_needed_and_held_and_escapes_the_project() -> None:
    lead = decide("UANYONE", Action.FLAG_ADJUDICATE, "reviews-q4", LEADS, MANAGERS, _members)
    assert denial_text(lead) == (
        "Only a lead or a manager of project reviews-q4 may adjudicate flags; you are an annotator."
    )
    manager = decide("ULEAD", Action.GUIDELINE_PUBLISH, "<!channel> & co", LEADS, MANAGERS, _members)
    assert denial_text(manager) == (
        "Only a manager of project &lt;!channel&gt; &amp; co may publish guidelines; you are a lead."
    )
    # The plain message (what DeniedError carries; the edge escapes it) keeps the name as written.
    assert denial_message(manager).startswith("Only a manager of project <!channel> & co may")
    with pytest.raises(ValueError):
        denial_text(decide("UBOSS", Action.AUDIT_VIEW, "p", LEADS, MANAGERS, _members))


any_text = st.text(max_size=40)
ids = st.one_of(any_text, st.from_regex(r"[UWS][A-Z0-9]{2,8}", fullmatch=True))


@given(
    user=ids,
    project=any_text,
    action=st.sampled_from(list(Action)),
    leads=st.lists(ids, max_size=4),
    managers=st.lists(ids, max_size=4),
    groups=st.dictionaries(ids, st.sets(ids, max_size=4), max_size=4),
)
def test_arbitrary_ids_never_raise_nor_gain_a_role_they_were_not_given(
    user: str,
    project: str,
    action: Action,
    leads: list[str],
    managers: list[str],
    groups: dict[str, set[str]],
) -> None:
    def members(group: str) -> set[str]:
        return groups.get(group, set())

    def configured(entries: list[str]) -> bool:
        direct = user in entries and user[:1] in ("U", "W") and user.isalnum() and user.isupper()
        via_group = any(e[:1] == "S" and e.isalnum() and e.isupper() and user in members(e) for e in entries)
        return direct or via_group

    decision = decide(user, action, project, leads, managers, members)
    if decision.role_had >= Role.MANAGER:
        assert configured(managers)
    if decision.role_had >= Role.LEAD:
        assert configured(managers) or configured(leads)
    assert decision.allowed == (decision.role_had >= MIN_ROLE[action])
    if not decision.allowed:
        assert PHRASE[action] in denial_text(decision)
