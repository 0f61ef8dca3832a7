"""The PxWebApi v2 client against a local server answering in the real response formats."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from samhandling_kostra import PxWebClient, PxWebError, RateLimitError, SelectionError
from samhandling_kostra.pxweb import Dimension, resolve_selection, split_selection

import samhandling as sh
from samhandling.errors import SourceError

#: The ``fake_api`` fixture: the server's base URL and its state (see conftest.py).
FakeApi = tuple[str, Any]


class Sleeper:
    """A stand-in for time.sleep that records the waits instead of waiting."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
def client(fake_api: FakeApi, tmp_path: Path) -> Iterator[PxWebClient]:
    base, _ = fake_api
    with PxWebClient(base, cache_dir=tmp_path / "cache", sleep=Sleeper(), timeout=5) as client:
        yield client


def test_config_gives_the_cell_limit(client: PxWebClient) -> None:
    assert client.max_cells == 40
    assert client.config()["maxCallsPerTimeWindow"] == 30


def test_list_and_search_tables_over_several_pages(client: PxWebClient) -> None:
    tables = client.tables(page_size=1)
    assert [t.id for t in tables] == ["07459", "11924"]  # discontinued 12228 left out
    everything = client.tables(page_size=1, include_discontinued=True)
    assert [t.id for t in everything] == ["07459", "11924", "12228"]
    found = client.search("omsorgstjenestene årsverk")
    assert [t.id for t in found] == ["11924"]
    assert found[0].first_period == "2015"
    assert found[0].time_unit == "Annual"


def test_table_info_and_metadata(client: PxWebClient) -> None:
    info = client.table("07459")
    assert info.last_period == "2024"
    metadata = client.metadata("07459")
    assert [d.id for d in metadata.dimensions] == ["Region", "Alder", "ContentsCode", "Tid"]
    assert metadata.time is not None
    assert metadata.time.codes[-1] == "2024"
    assert metadata.dimension("alder").elimination is True
    assert metadata.dimension("ContentsCode").units == {"Personer1": "personer"}
    assert metadata.dimension("Region").codelists == ("vs_Kommun",)


def test_query_with_codes_wildcards_and_top_years(client: PxWebClient, fake_api: FakeApi) -> None:
    table = client.query("07459", {"Region": ["3301", "33*"], "Alder": "000", "Tid": "top(2)"})
    rows = {(r["region"], r["year"]): r for r in table.to_pylist()}
    assert sorted(rows) == [
        ("3301", 2023),
        ("3301", 2024),
        ("3303", 2023),
        ("3303", 2024),
        ("3305", 2023),
        ("3305", 2024),
    ]
    assert rows[("3301", 2024)]["value"] == 1104.0
    assert rows[("3301", 2024)]["age"] == "0"
    assert table.variable_ids() == ["population"]
    assert table.source == "ssb-api"
    assert (table.provenance[0].checksum or "").startswith("sha256:")
    _, api = fake_api
    body = api.requests[-1][2]
    assert {"variableCode": "Tid", "valueCodes": ["2023", "2024"]} in body["selection"]


def test_left_out_dimension_is_eliminated_and_statuses_survive(client: PxWebClient) -> None:
    table = client.query("07459", {"Region": ["3303", "3305"], "Tid": "2024"})
    assert "age" not in table.columns
    rows = {r["region"]: r for r in table.to_pylist()}
    # Kongsberg's 105+ is suppressed, so the total over ages has no value; Ringerike's '-' is a zero.
    assert rows["3303"]["value"] is None
    assert rows["3303"]["status"] == ":"
    assert rows["3305"]["value"] == round(310 * 1.0) + 4 + round(310 * 1.02) + 4 + 0


def test_large_query_is_split_under_the_cell_limit(client: PxWebClient, fake_api: FakeApi) -> None:
    _, api = fake_api
    table = client.query("07459", {"Region": "*", "Alder": "*", "Tid": "*"})
    data_requests = [r for r in api.requests if r[1].endswith("/data")]
    assert len(data_requests) >= 2  # 4 areas x 3 ages x 5 years = 60 cells > 40
    assert all(
        len(next(s for s in r[2]["selection"] if s["variableCode"] == "Region")["valueCodes"]) <= 5
        for r in data_requests
    )
    # 4 areas and the KOSTRA group EKG13, kept with a level of its own, x 3 ages x 5 years
    assert table.num_rows == 5 * 3 * 5
    assert set(table.where(region="EKG13").levels()) == {"kostra_group"}
    assert (
        len(table.where(level="municipality"))
        + len(table.where(level="county"))
        + len(table.where(level="national"))
        == 4 * 3 * 5
    )
    assert table.geography_year == 2024
    assert len(table.provenance) == len(data_requests)


def test_kostra_groups_can_be_dropped_and_are_listed(client: PxWebClient) -> None:
    table = client.query("07459", {"Region": "*", "Alder": "*", "Tid": "*"}, groups="drop")
    assert "EKG13" not in {r["region"] for r in table.to_pylist()}
    assert table.meta.extra["dropped_regions"] == {"EKG13": "KOSTRA-gruppe 13"}


def test_split_along_the_years_keeps_one_geography_year(fake_api: FakeApi, tmp_path: Path) -> None:
    base, api = fake_api
    with PxWebClient(base, cache=False, max_cells=2, sleep=Sleeper()) as client:
        table = client.query("07459", {"Region": "3301", "Alder": "000", "Tid": "*"})
    assert sorted(r["year"] for r in table.to_pylist()) == [2020, 2021, 2022, 2023, 2024]
    assert table.geography_year == 2024
    assert len([r for r in api.requests if r[1].endswith("/data")]) == 3


def test_responses_are_cached_on_disk_until_refresh(fake_api: FakeApi, tmp_path: Path) -> None:
    base, api = fake_api
    selection = {"Region": "3301", "Tid": "top(1)"}
    with PxWebClient(base, cache_dir=tmp_path / "cache", sleep=Sleeper()) as first:
        one = first.query("07459", selection)
    sent = len(api.requests)
    with PxWebClient(base, cache_dir=tmp_path / "cache", sleep=Sleeper()) as second:
        two = second.query("07459", selection)
        assert len(api.requests) == sent  # config, metadata and data all from the cache
        assert "(from cache)" in two.provenance[0].note
        assert two.equals(one)
        second.query("07459", selection, refresh=True)
        # refresh asks again for the metadata too, so top(1) would see a year published since
        asked = [(method, path.rsplit("/", 1)[-1]) for method, path, _ in api.requests[sent:]]
        assert asked == [("GET", "metadata"), ("POST", "data")]
        assert second.clear_cache() >= 3
    assert not list((tmp_path / "cache").glob("*.json"))


def test_rate_limit_waits_between_calls(fake_api: FakeApi, tmp_path: Path) -> None:
    base, _ = fake_api
    sleeper = Sleeper()
    now = [0.0]
    with PxWebClient(
        base, cache=False, max_calls=2, time_window=10.0, sleep=sleeper, clock=lambda: now[0]
    ) as client:
        client.table("07459")
        client.table("11924")
        assert sleeper.waits == []
        client.table("07459")
        assert sleeper.waits == [10.0]


def test_429_is_retried_after_waiting_then_reported(fake_api: FakeApi, tmp_path: Path) -> None:
    base, api = fake_api
    sleeper = Sleeper()
    with PxWebClient(base, cache=False, retries=2, sleep=sleeper) as client:
        api.throttle = 2
        assert client.table("07459").id == "07459"
        assert sleeper.waits == [0.0, 0.0]  # Retry-After: 0
        api.throttle = 5
        with pytest.raises(RateLimitError, match="too many requests"):
            client.table("07459")


def test_unknown_code_and_dimension_give_selection_errors(client: PxWebClient) -> None:
    with pytest.raises(SelectionError, match=r"no code '3310'.*did you mean"):
        client.query("07459", {"Region": "3310", "Tid": "2024"})
    with pytest.raises(SelectionError, match="has no dimension 'Kjonn'"):
        client.query("07459", {"Kjonn": "1", "Tid": "2024"})
    with pytest.raises(SelectionError, match=r"top\(x\) is not valid"):
        client.query("07459", {"Region": "3301", "Tid": "top(x)"})


def test_http_errors_name_what_failed(client: PxWebClient, fake_api: FakeApi) -> None:
    with pytest.raises(PxWebError, match=r"table 99999.*not found.*HTTP 404.*Non-existent table"):
        client.table("99999")
    _, api = fake_api
    api.fail_with = 500
    with pytest.raises(PxWebError, match=r"HTTP 500"):
        client.table("11924", refresh=True)


def test_timeout_is_reported(fake_api: FakeApi) -> None:
    base, api = fake_api
    api.delay = 0.5
    with (
        PxWebClient(base, cache=False, timeout=0.1, sleep=Sleeper()) as client,
        pytest.raises(PxWebError, match=r"no answer from 127\.0\.0\.1:\d+ within 0\.1 s"),
    ):
        client.config()


def test_an_answer_that_is_not_json_is_reported(fake_api: FakeApi) -> None:
    base, _ = fake_api
    with (
        PxWebClient(f"{base}/html", cache=False, sleep=Sleeper()) as client,
        pytest.raises(PxWebError, match="not JSON"),
    ):
        client.config()


def test_unreachable_server_is_reported(tmp_path: Path) -> None:
    with (
        PxWebClient("http://127.0.0.1:9/api", cache=False, timeout=1, sleep=Sleeper()) as client,
        pytest.raises(PxWebError, match="cannot reach"),
    ):
        client.config()


def test_codelist_selection(client: PxWebClient, fake_api: FakeApi) -> None:
    resolved = client.resolve("07459", {"Region": "*", "Tid": "2024"}, codelist={"Region": "vs_Kommun"})
    assert resolved["Region"] == ["3301", "3303", "3305"]


def test_read_a_data_url_through_samhandling_read(
    fake_api: FakeApi, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base, _ = fake_api
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    url = (
        f"{base}/tables/07459/data?lang=no&valueCodes[Region]=3301&valueCodes[Tid]=top(2)"
        "&valueCodes[ContentsCode]=*"
    )
    table = sh.read(url, plugin_manager=sh.get_plugin_manager(autoload=False, extra=[_kostra()]))
    assert table.source == "ssb-api"
    assert sorted(r["year"] for r in table.to_pylist()) == [2023, 2024]
    assert table.provenance[0].location.startswith("http://127.0.0.1")
    with pytest.raises(SourceError, match="outputFormat=csv is not supported"):
        sh.read(
            url + "&outputFormat=csv", plugin_manager=sh.get_plugin_manager(autoload=False, extra=[_kostra()])
        )


def _kostra() -> object:
    import samhandling_kostra

    return samhandling_kostra


def test_resolve_selection_expressions() -> None:
    years = Dimension(
        id="Tid", label="år", codes=["2020", "2021", "2022", "2023"], labels=["a"] * 4, role="time"
    )
    assert resolve_selection(years, "top(2)") == ["2022", "2023"]
    assert resolve_selection(years, "top(2, 1)") == ["2021", "2022"]
    assert resolve_selection(years, "bottom(1)") == ["2020"]
    assert resolve_selection(years, "from(2022)") == ["2022", "2023"]
    assert resolve_selection(years, "to(2021)") == ["2020", "2021"]
    assert resolve_selection(years, "range(2021,2022)") == ["2021", "2022"]
    assert resolve_selection(years, ["2023", "202?", "2023"]) == ["2020", "2021", "2022", "2023"]
    regions = Dimension(id="Region", label="region", codes=["0", "3301", "3303"], labels=["a", "b", "c"])
    assert resolve_selection(regions, "top(1)") == ["0"]


def test_split_selection_keeps_every_part_under_the_limit() -> None:
    selection = {"Region": [str(i) for i in range(10)], "Alder": ["a", "b", "c"], "Tid": ["1", "2"]}
    parts = split_selection(selection, 13)
    assert all(len(p["Region"]) * len(p["Alder"]) * len(p["Tid"]) <= 13 for p in parts)
    covered = sorted((r, a, t) for p in parts for r in p["Region"] for a in p["Alder"] for t in p["Tid"])
    assert covered == sorted(
        (r, a, t) for r in selection["Region"] for a in selection["Alder"] for t in selection["Tid"]
    )
