"""Grouping exceptions into issues: real exceptions from app files, the SDK's description,
the tier's fingerprint."""

from __future__ import annotations

import json
import runpy
import textwrap
from pathlib import Path

import pytest

from datacat.broker.fingerprint import fingerprint, fingerprint_key
from datacat.exceptions import describe_exception, is_app_file


def raised(tmp_path: Path, source: str, name: str = "game.py") -> BaseException:
    """The exception ``source`` (an app file at ``tmp_path/name``) raises when run."""
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(source))
    with pytest.raises(Exception) as info:  # noqa: PT011 - any exception the app raises
        runpy.run_path(str(path))
    return info.value


LOAD = """
def load(level):
    {pad}return {{"a": 1}}[level]

load("missing")
"""


def test_a_line_moving_within_a_function_keeps_the_issue(tmp_path):
    before = describe_exception(raised(tmp_path / "v1", LOAD.format(pad="")))
    after = describe_exception(raised(tmp_path / "v2", LOAD.format(
        pad="x = 1\n    y = 2\n    ")))
    assert before["frames"][-1][2] != after["frames"][-1][2]  # the line did move
    assert fingerprint(before) == fingerprint(after)


def test_another_function_or_type_is_another_issue(tmp_path):
    base = describe_exception(raised(tmp_path / "a", LOAD.format(pad="")))
    renamed = describe_exception(raised(tmp_path / "b", LOAD.format(pad="").replace(
        "load", "load_level")))
    other_type = describe_exception(raised(tmp_path / "c", "def load(level):\n    1 / 0\n"
                                           "load(1)\n"))
    assert len({fingerprint(base), fingerprint(renamed), fingerprint(other_type)}) == 3


def test_library_frames_do_not_split_an_issue(tmp_path):
    def in_json(text: str) -> dict:
        return describe_exception(raised(tmp_path / text, f"""
            import json
            def parse():
                json.loads({text!r})
            parse()
        """))

    first, second = in_json("{bad"), in_json("[1,")
    assert [frame[3] for frame in first["frames"]][-1] is False  # json's own frame
    assert any(frame[3] for frame in first["frames"])
    assert fingerprint(first) == fingerprint(second)
    assert "json" not in fingerprint_key(first).split("|")[1]


def test_the_same_app_in_another_folder_is_the_same_issue(tmp_path):
    here = describe_exception(raised(tmp_path / "alice" / "app", LOAD.format(pad="")))
    there = describe_exception(raised(tmp_path / "bob" / "deep" / "app", LOAD.format(pad="")))
    assert fingerprint(here) == fingerprint(there)


def test_an_app_fingerprint_overrides_the_rule(tmp_path):
    exc = raised(tmp_path, LOAD.format(pad=""))
    assert fingerprint(describe_exception(exc, "save-failed")) == \
        fingerprint(describe_exception(ValueError("x"), "save-failed"))
    assert fingerprint(describe_exception(exc, ["db", "timeout"])) != \
        fingerprint(describe_exception(exc, "db"))


def test_the_originals_formatted_stack_lines_are_read():
    stack = ['Traceback (most recent call last):\n',
             '  File "C:\\\\game\\\\main.py", line 10, in <module>\n    run()\n',
             '  File "C:\\\\game\\\\main.py", line 7, in run\n    boom()\n']
    moved = [line.replace("line 7", "line 9") for line in stack]
    one = {"type": "KeyError", "message": "x", "stacktrace": stack}
    assert fingerprint(one) == fingerprint({**one, "stacktrace": moved})
    assert fingerprint_key(one) == "KeyError|main:<module>;main:run"


def test_without_frames_numbers_and_quoted_text_do_not_split_an_issue():
    one = {"type": "TimeoutError", "message": "request 1234 to 'db-7' timed out after 3.5 s"}
    two = {"type": "TimeoutError", "message": "request 99 to 'db-2' timed out after 10 s"}
    assert fingerprint(one) == fingerprint(two)
    assert fingerprint(one) != fingerprint({"type": "TimeoutError", "message": "refused"})


@pytest.mark.parametrize("junk", [{}, {"frames": "x"}, {"frames": [[1, 2]]}, {"type": 5},
                                  {"fingerprint": [1]}, {"stacktrace": [None, 3]}])
def test_any_stored_shape_gets_a_fingerprint(junk):
    assert len(fingerprint(junk)) == 16


def test_the_description_travels_as_plain_data(tmp_path):
    described = describe_exception(raised(tmp_path, LOAD.format(pad="")))
    assert json.loads(json.dumps(described)) == described
    assert is_app_file(str(tmp_path / "game.py")) and not is_app_file(json.__file__)
