"""A slice: the sessions with given tags, state values and machine, found by walking the
store's session listing (newest first) up to ``MAX_EXAMINED`` sessions.

``tag=key:value`` keeps sessions whose tag ``key`` has that value (numbers and booleans
compared in their JSON text: ``2``, ``true``); ``tag=name`` those that have a tag ``name``,
whatever its value (the original's bare tags are stored with the value ``""``).
``state=key.path=value`` tests the current state as ``state_match`` does (and the sessions page).
``machine=id`` keeps the sessions of that ``machine_id``. Several ``tag`` and ``state``
parameters must all hold. Blocking: call it off the event loop.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from itertools import islice
from urllib.parse import urlencode

from datacat.broker.store import SessionQuery, Store

from .params import bad_param
from .state_match import state_match

__all__ = ["Slice", "Matched", "MAX_EXAMINED", "parse_slice", "request_slice",
           "matching_sessions"]

#: Sessions a sliced figure examines at most (the newest first); past it the answer is sampled.
MAX_EXAMINED = 20_000
_PAGE = 500
_LONGEST = 500


@dataclass(frozen=True)
class Slice:
    """The slice's filters as given (``tags`` and ``states`` are parameter values)."""

    tags: tuple[str, ...] = ()
    states: tuple[str, ...] = ()
    machine: str = ""
    _tests: tuple = field(default=(), init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_tests", tuple(state_match(s)[1] for s in self.states))

    def __bool__(self) -> bool:
        return bool(self.tags or self.states or self.machine)

    def pairs(self) -> list[tuple[str, str]]:
        """Query-string pairs that give this slice back (for links)."""
        return ([("tag", t) for t in self.tags] + [("state", s) for s in self.states]
                + ([("machine", self.machine)] if self.machine else []))

    def query(self) -> str:
        """The pairs as a query string (``""`` for no slice)."""
        return urlencode(self.pairs())

    def out(self) -> dict:
        """``{tag: [...], state: [...], machine}`` as the API echoes it."""
        return {"tag": list(self.tags), "state": list(self.states), "machine": self.machine or None}

    def record_matches(self, session: dict) -> bool:
        """Whether the session record's tags and machine match (the state is not read)."""
        if self.machine and session.get("machine_id") != self.machine:
            return False
        tags = session.get("tags")
        tags = tags if isinstance(tags, dict) else {}
        for tag in self.tags:
            key, has_value, value = tag.partition(":")
            if key not in tags or (has_value and _text(tags[key]) != value):
                return False
        return True

    def matches(self, store: Store, session: dict) -> bool:
        """Whether the session is in the slice (its state read only when needed)."""
        return bool(self.select(store, [session]))

    def select(self, store: Store, sessions: list[dict]) -> list[dict]:
        """Those of ``sessions`` in the slice, in order; the states of those whose record
        matches are read together (one ``Store.get_states``), and only if a state is tested."""
        kept = [session for session in sessions if self.record_matches(session)]
        if not self._tests or not kept:
            return kept
        states = store.get_states([session["id"] for session in kept])
        return [session for session, state in zip(kept, states)
                if all(test(state) for test in self._tests)]


def _text(value) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value)


def parse_slice(args, strict: bool = False) -> Slice:
    """The slice in query ``args`` (a Sanic ``RequestParameters``).

    A ``state`` with no key (``=3``) or an empty ``tag`` is ``ValueError`` (naming the
    parameter) when ``strict``, else ignored: a page shows the rest.
    """
    tags, states = [], []
    for raw in args.getlist("tag", []):
        tag = raw.strip()[:_LONGEST]
        if not tag or tag.startswith(":"):
            if strict:
                raise ValueError(f"tag: {raw!r} is not 'key:value' or 'name'")
            continue
        tags.append(tag)
    for raw in args.getlist("state", []):
        if not state_match(raw.strip()[:_LONGEST])[0]:
            if strict:
                raise ValueError(f"state: {raw!r} is not 'key.path=value' or 'key.path'")
            continue
        states.append(raw.strip()[:_LONGEST])
    machine = (args.get("machine") or "").strip()[:_LONGEST]
    return Slice(tuple(tags), tuple(states), machine)


def request_slice(request) -> Slice:
    """The API request's slice; a 400 naming the malformed parameter."""
    try:
        return parse_slice(request.args, strict=True)
    except ValueError as exc:
        name, _, why = str(exc).partition(": ")
        raise bad_param(name, why) from None


@dataclass
class Matched:
    """The matching sessions (newest first), how many were examined, whether the cap cut it."""

    sessions: list[dict]
    examined: int
    sampled: bool

    def out(self) -> dict:
        return {"examined": self.examined, "sampled": self.sampled}


def matching_sessions(store: Store, slice_: Slice, product: str | None = None,
                      version: str | None = None, cap: int = MAX_EXAMINED) -> Matched:
    """The sessions of ``product``/``version`` (any when ``None``) in ``slice_``, from the
    newest ``cap`` of them, a page at a time (``Slice.select``)."""
    found, examined = [], 0
    sessions = store.iter_sessions(SessionQuery(product=product, version=version,
                                                limit=min(_PAGE, cap + 1)))
    while examined < cap:
        page = list(islice(sessions, min(_PAGE, cap - examined)))
        examined += len(page)
        found += slice_.select(store, page)
        if not page:
            return Matched(found, examined, False)
    return Matched(found, examined, next(sessions, None) is not None)
