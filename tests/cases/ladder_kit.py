"""The ladder kit: what every test_ladder_*.py does with its own table of a ladder.

A test file transcribes DOMAIN.md's table of its ladder as a list of `Row`s (valid data for each
trigger, who fires it here and what makes its guard true), wraps it with its states and principals
in a `Ladder`, and from that walks the happy path and checks every refusal of every trigger.
Regie moves with the level owner (DOMAIN.md "Regie and level owners"), and a casusregisseur acts only
where its organisation holds regie: a test file states who holds regie per state in its test world
(`regie`), derives the casusregisseur's rows from it, and every move checks it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import httpx

from tests.world import World

Prepare = Callable[[World, str], Awaitable[httpx.Response]]


@dataclass(frozen=True, eq=False)
class Row:
    trigger: str
    source: str
    dest: str
    who: frozenset[str]  # PRINCIPALS that may fire it
    data: dict[str, Any] = field(default_factory=dict)  # valid data; its keys are all required
    by: str = "procesregisseur"  # who fires it when a test moves the case
    prepare: Prepare | None = None  # makes the guard true
    guard_missing: tuple[str, ...] = ()  # what the 422 names while the guard is false ...
    guard_data: dict[str, Any] | None = None  # ... with this data (default: `data`, before `prepare`)

    @property
    def id(self) -> str:
        return f"{self.trigger}@{self.source}"


def reason(trigger: str) -> str:
    return f"Overleg besloot: {trigger}"


def problem(r: httpx.Response, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    return r.json()


@dataclass(frozen=True, eq=False)
class Ladder:
    case_type: str
    first: str  # the state a new case starts in
    states: Mapping[str, tuple[int | str | None, int | None]]  # state -> (tier, or step, max_dagen), DOMAIN.md
    principals: Mapping[str, tuple[str, str]]  # who tries triggers: name -> (organisation, role)
    participants: tuple[str, ...]  # the organisations invited into every new case
    rows: Sequence[Row]
    steps: bool = False  # the states give a step (7-stappenmodel) and no tier, instead of a tier
    # state -> the organisation holding regie there in these tests (DOMAIN.md "Regie and level owners"); a state
    # left out (afgesloten: regie stays where it was) is not checked
    regie: Mapping[str, str] = field(default_factory=dict)
    # state -> the details date its deadline follows (ex_gedetineerde in_detentie: 90 days before the release)
    due_before: Mapping[str, str] = field(default_factory=dict)

    def assert_in_state(self, case: dict[str, Any], state: str) -> None:
        """State, step/tier and the deadline of DOMAIN.md: due_at is entry + max_dagen, closed_at only at afgesloten."""
        position, max_dagen = self.states[state]
        if self.steps:
            assert (case["state"], case["step"], case["tier"]) == (state, position, None)
        else:
            assert (case["state"], case["tier"]) == (state, position)
        entered = datetime.fromisoformat(case["updated_at"])
        if state in self.due_before:
            release = date.fromisoformat(case["details"][self.due_before[state]])
            expected = max(datetime.combine(release - timedelta(days=90), time(0), tzinfo=UTC), entered)
            assert datetime.fromisoformat(case["due_at"]) == expected
        else:
            due = datetime.fromisoformat(case["due_at"]) - entered if case["due_at"] else None
            assert due == (timedelta(days=max_dagen) if max_dagen else None)
        assert (case["closed_at"] is not None) == (state == "afgesloten")

    def headers(self, world: World, who: str) -> dict[str, str]:
        org, role = self.principals[who]
        return world.h(org, role, sub=f"{who}-1")

    async def fire(self, world: World, case_id: str, trigger: str, data: dict[str, Any],
                   who: str = "procesregisseur") -> httpx.Response:
        body = {"trigger": trigger, "reason": reason(trigger), "data": data}
        return await world.client.post(f"/v1/cases/{case_id}/transitions", json=body,
                                       headers=self.headers(world, who))

    async def get_case(self, world: World, case_id: str) -> dict[str, Any]:
        r = await world.client.get(f"/v1/cases/{case_id}", headers=world.regisseur)
        assert r.status_code == 200, r.text
        return r.json()

    async def open_case(self, world: World, **extra: Any) -> dict[str, Any]:
        """A new case in which every principal takes part; its `version` counts the invitations."""
        case = await world.case(self.case_type, **extra)
        self.assert_in_state(case, case["state"])
        for org in (o for o in self.participants if o not in {p["organisation"] for p in case["participants"]}):
            r = await world.client.post(f"/v1/cases/{case['id']}/participants", json={"organisation": org},
                                        headers=world.regisseur)
            assert r.status_code == 201, r.text
            case["version"] += 1
            assert r.headers["etag"] == f'"{case["version"]}"'
        return case

    def row(self, trigger: str, source: str) -> Row:
        return next(r for r in self.rows if (r.trigger, r.source) == (trigger, source))

    def fires_from(self, trigger: str, state: str) -> bool:
        return any((r.trigger, r.source) == (trigger, state) for r in self.rows)

    def allowed(self, who: str, state: str) -> list[str]:
        return sorted({r.trigger for r in self.rows if r.source == state and who in r.who})

    def route(self, start: str, goal: Callable[[str], bool]) -> list[Row]:
        """The shortest way through the rows from `start` to a state satisfying `goal` (self transitions skipped)."""
        paths: dict[str, list[Row]] = {start: []}
        todo = deque([start])
        while todo:
            state = todo.popleft()
            if goal(state):
                return paths[state]
            for r in self.rows:
                if r.source == state and r.dest not in paths:
                    paths[r.dest] = [*paths[state], r]
                    todo.append(r.dest)
        raise AssertionError(f"no route from {start}")

    async def move(self, world: World, case: dict[str, Any], r: Row, who: str | None = None) -> dict[str, Any]:
        """Fire a row (after its `prepare`) and check the case moved, each write one version up."""
        version = case["version"]
        if r.prepare is not None:
            prepared = await r.prepare(world, case["id"])
            assert prepared.status_code == 200, prepared.text  # every `prepare` is a PUT of the plan or a PATCH
            version += 1
            assert prepared.headers["etag"] == f'"{version}"'
        res = await self.fire(world, case["id"], r.trigger, r.data, who or r.by)
        assert res.status_code == 200, res.text
        moved = res.json()
        if r.source == r.dest:  # a self transition keeps the state and its deadline
            assert (moved["state"], moved["due_at"]) == (case["state"], case["due_at"])
        else:
            self.assert_in_state(moved, r.dest)
        if r.dest in self.regie:
            assert moved["regie_organisation"] == self.regie[r.dest], (r.id, moved["regie_organisation"])
        assert moved["version"] == version + 1
        assert res.headers["etag"] == f'"{moved["version"]}"'
        return moved

    async def assert_wrong_state(self, world: World, case_id: str, r: Row, state: str) -> None:
        body = problem(await self.fire(world, case_id, r.trigger, r.data), 409)
        assert body["allowed"] == self.allowed("procesregisseur", state)

    async def check_refusals(self, world: World, r: Row, **extra: Any) -> None:
        """Every refusal that applies to this row, then the transition itself."""
        case = await self.open_case(world, **extra)
        case_id = case["id"]
        wrong_state_checked = False
        for step in self.route(self.first, lambda s: s == r.source):
            if not wrong_state_checked and not self.fires_from(r.trigger, case["state"]):
                await self.assert_wrong_state(world, case_id, r, case["state"])
                wrong_state_checked = True
            case = await self.move(world, case, step)

        # Wrong role: 403 for everyone the ladder does not name; everyone it names is offered the trigger.
        for who in self.principals:
            if who in r.who:
                listed = await world.client.get(f"/v1/cases/{case_id}/transitions", headers=self.headers(world, who))
                assert listed.status_code == 200, listed.text
                offered = {t["trigger"]: t["required_data"] for t in listed.json()}
                assert sorted(offered[r.trigger]) == sorted(r.data), who
            else:
                problem(await self.fire(world, case_id, r.trigger, r.data, who), 403)

        # Missing data: every trigger takes a reason; the 422 names every missing key.
        no_reason = await world.client.post(f"/v1/cases/{case_id}/transitions", json={"trigger": r.trigger,
                                            "data": r.data}, headers=self.headers(world, r.by))
        assert ["body", "reason"] in [e["loc"] for e in problem(no_reason, 422)["errors"]]
        if r.data:
            body = problem(await self.fire(world, case_id, r.trigger, {}, r.by), 422)
            assert sorted(body["missing"]) == sorted(r.data)
            assert sorted(e["loc"][-1] for e in body["errors"]) == sorted(r.data)

        # Guard false: 422 naming what is missing, before `prepare` makes it true.
        if r.guard_missing:
            guard_data = r.data if r.guard_data is None else r.guard_data
            body = problem(await self.fire(world, case_id, r.trigger, guard_data, r.by), 422)
            assert body["missing"] == list(r.guard_missing)

        after = await self.get_case(world, case_id)
        assert (after["state"], after["version"]) == (case["state"], case["version"]), "a refusal changed the case"

        case = await self.move(world, case, r)
        if not wrong_state_checked:
            for step in self.route(case["state"], lambda s: not self.fires_from(r.trigger, s)):
                case = await self.move(world, case, step)
            await self.assert_wrong_state(world, case_id, r, case["state"])

    async def check_happy_path(self, world: World, happy: list[tuple[str, str, str]], **extra: Any) -> str:
        """Walk `happy` from a new case, checking every step and the history; returns the case id."""
        case = await self.open_case(world, **extra)
        expected = [("aanmaken", None, self.first, "zvh-mh", "procesregisseur", "casus geopend")]
        for trigger, who, dest in happy:
            r = self.row(trigger, case["state"])
            assert r.dest == dest
            expected.append((trigger, case["state"], dest, *self.principals[who], reason(trigger)))
            case = await self.move(world, case, r, who)
            if dest == "afgesloten":
                for other in sorted({x.trigger for x in self.rows} - {"heropenen"}):
                    body = problem(await self.fire(world, case["id"], other, {}), 409)
                    assert body["allowed"] == ["heropenen"], other

        hist = await world.client.get(f"/v1/cases/{case['id']}/history", headers=world.regisseur)
        assert hist.status_code == 200, hist.text
        items = hist.json()["items"]
        assert [(h["trigger"], h["from_state"], h["to_state"], h["actor_org"], h["actor_role"], h["reason"])
                for h in items] == expected
        versions = [h["version"] for h in items]
        assert versions == sorted(set(versions))
        return case["id"]
