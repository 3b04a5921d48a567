"""``/api/v1/series`` and ``/api/v1/annotations`` on a live server; the series builder's units."""

from __future__ import annotations

import types

import pytest

from datacat.web.insights.series import auto_step, build_series, parse_step

from .seeding import T0, seed_mix, unique

RANGE = {"from": T0 - 30, "to": T0 + 600}


def series(web, **params):
    response = web.client.get("/api/v1/series", params={**RANGE, **params})
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture(scope="module")
def mix(web):
    product, parts = seed_mix(web)
    assert sum(series(web, metric="sessions", product=product, step="1h")["rows"][0][status]
               for status in ("active", "ended", "crashed", "hung")) == 8
    return product, parts


def test_sessions_by_status_per_bucket(web, mix):
    product, _ = mix
    body = series(web, metric="sessions", product=product, step="2m")
    assert body["columns"] == ["time", "active", "ended", "crashed", "hung", "suspended", "lost"]
    assert body["step"] == 120
    rows = {row["time"]: row for row in body["rows"]}
    first = rows["2025-06-15T15:06:00.000000Z"]  # T0 = 15:06:40, T0 + 60 = 15:07:40
    assert (first["ended"], first["crashed"]) == (2, 0)
    second = rows["2025-06-15T15:08:00.000000Z"]
    assert (second["crashed"], second["active"]) == (1, 1)
    assert sum(row["crashed"] for row in body["rows"]) == 2
    assert sum(row["hung"] for row in body["rows"]) == 1


def test_crash_and_hang_free_rates_per_version(web, mix):
    product, _ = mix
    crash = series(web, metric="crash_free_rate", product=product, step="1h")
    assert crash["columns"] == ["time", "1.0", "2.0"]
    row = crash["rows"][0]
    assert (row["1.0"], row["2.0"]) == (pytest.approx(0.8), pytest.approx(2 / 3))
    hang = series(web, metric="hang_free_rate", product=product, step="1h")["rows"][0]
    assert (hang["1.0"], hang["2.0"]) == (pytest.approx(0.8), pytest.approx(1 / 3))
    episodes = series(web, metric="hang_episodes", product=product, version="1.0", step="1h")
    assert episodes["columns"] == ["time", "1.0"] and episodes["rows"][0]["1.0"] == 2


def test_crash_reasons(web, mix):
    product, _ = mix
    body = series(web, metric="crash_reasons", product=product, step="1h")
    assert body["columns"] == ["time", "process_vanished", "unhandled_exception"]
    assert body["rows"][0]["process_vanished"] == 1


def test_adoption_counts_sessions_and_machines_per_version(web):
    product = unique("Adopt")
    web.seed({f"{product}-{i}": {"open": {"product": product, "version": version,
                                          "ts": T0 + 60 * i, "machine_id": machine}}
              for i, (version, machine) in enumerate([("1.0", "a"), ("1.0", "a"), ("1.0", "b"),
                                                      ("2.0", "a")])})
    for metric, wanted in (("adoption_sessions", {"1.0": 3, "2.0": 1}),
                           ("adoption_machines", {"1.0": 2, "2.0": 1})):
        for step in ("1h", "5m"):  # from the hourly counts, and from the sessions themselves
            body = series(web, metric=metric, product=product, step=step)
            assert {column: sum(row[column] for row in body["rows"])
                    for column in body["columns"][1:]} == wanted, (metric, step)
    two_hours = web.client.get("/api/v1/series", params={**RANGE, "metric": "adoption_machines",
                                                         "step": "2h"})
    assert two_hours.status_code == 400 and "step" in two_hours.json()["detail"]


@pytest.mark.parametrize("params, name", [
    ({"metric": "bogus"}, "metric"), ({"step": "5x"}, "step"), ({"step": "0"}, "step"),
    ({"from": "later"}, "from"), ({"from": T0 + 10, "to": T0}, "to"),
    ({"from": 0, "to": T0, "step": "1s"}, "step"),
])
def test_bad_series_parameters_are_400_naming_them(web, params, name):
    response = web.client.get("/api/v1/series", params=params)
    assert response.status_code == 400 and name in response.json()["detail"]


def test_annotations_cover_crashes_hangs_and_releases(web, mix):
    product, parts = mix
    response = web.client.get("/api/v1/annotations", params={**RANGE, "product": product})
    assert response.status_code == 200, response.text
    notes = response.json()
    kinds = [note["kind"] for note in notes]
    assert kinds.count("crash") == 2 and kinds.count("release") == 2 and kinds.count("hang") == 4
    assert [note["time"] for note in notes] == sorted(note["time"] for note in notes)
    crash = next(n for n in notes if n["kind"] == "crash" and n["session_id"].endswith("-2"))
    assert crash["time"] == int((T0 + 120 + 20) * 1000) and crash["title"] == "crash: unhandled_exception"
    open_hang = next(n for n in notes if n["kind"] == "hang" and n["session_id"].endswith("-6"))
    assert open_hang["timeEnd"] is None
    recovered = [n for n in notes if n["kind"] == "hang" and n["session_id"].endswith("-3")]
    assert [(n["timeEnd"] - n["time"]) for n in recovered] == [5000, 10000]
    only = web.client.get("/api/v1/annotations",
                          params={**RANGE, "product": product, "kind": "release"}).json()
    assert {n["title"] for n in only} == {f"release: {product} 1.0", f"release: {product} 2.0"}


def test_annotations_outside_the_range_are_left_out(web, mix):
    product, _ = mix
    notes = web.client.get("/api/v1/annotations",
                           params={"from": T0 + 3600, "to": T0 + 7200, "product": product}).json()
    assert [n["kind"] for n in notes] == ["hang"]  # the hang that is still going on


@pytest.mark.parametrize("text, seconds", [("300", 300), ("30s", 30), ("5m", 300), ("1h", 3600),
                                           ("1.5h", 5400), ("1d", 86400), ("1w", 604800)])
def test_parse_step(text, seconds):
    assert parse_step(text) == seconds


@pytest.mark.parametrize("text", ["", "m", "-5", "5y", "0", "400d"])
def test_parse_step_refuses(text):
    with pytest.raises(ValueError):
        parse_step(text)


def test_auto_step_keeps_rows_few_and_round():
    assert auto_step(3600) == 60 and auto_step(86400) == 900 and auto_step(30 * 86400) == 6 * 3600
    assert auto_step(56 * 365 * 86400) == 15 * 604800  # 56 years: 15 weeks a row, < 200 rows


def test_the_whole_epoch_in_one_request(web):
    body = web.client.get("/api/v1/series", params={"from": 0}).json()
    assert 0 < len(body["rows"]) <= 200


def _summary(created, status="ended", version="1", reason=None, hangs=0):
    return types.SimpleNamespace(created=created, status=status, product="p", version=version,
                                 reason=reason, hangs=hangs, machine="")


def test_build_series_puts_rare_reasons_in_other():
    crashed = [_summary(10, "crashed", reason=f"r{i:02d}") for i in range(25)]
    out = build_series("crash_reasons", crashed, 0, 60, 60, product="p")
    assert len(out["columns"]) == 1 + 20 + 1 and out["columns"][-1] == "other"
    assert out["rows"][0]["other"] == 5 and sum(v for k, v in out["rows"][0].items()
                                                  if k != "time") == 25


def test_build_series_rates_are_null_without_sessions():
    out = build_series("crash_free_rate", [_summary(10, "crashed")], 0, 120, 60, product="p")
    assert [row["1"] for row in out["rows"]] == [0.0, None]
