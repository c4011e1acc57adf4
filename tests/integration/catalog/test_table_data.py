"""Table data on every backend: sample data, table/column/system profiles as time series with
the newest in ``fields=profile``, profiler configuration, joins, and usage with its rolling
sums, roll-up to the schema and database, and percentile ranks.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.integration.catalog.helpers import (
    DATABASE,
    SCHEMA,
    assert_valid_entity,
    make_hierarchy,
    ok,
    put_table,
)

DAY = 86_400_000
T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z


def table(client: TestClient, name: str = "orders") -> dict[str, Any]:
    make_hierarchy(client)
    return ok(put_table(client, name, "id", "email", "amount"), 201)


def profile(at: int, rows: int, *, email_nulls: int = 0) -> dict[str, Any]:
    return {
        "tableProfile": {"timestamp": at, "rowCount": rows, "columnCount": 3},
        "columnProfile": [
            {"name": "email", "timestamp": at, "nullCount": email_nulls, "uniqueCount": rows - email_nulls},
            {"name": "amount", "timestamp": at, "min": 1, "max": rows},
        ],
        "systemProfile": [{"timestamp": at, "operation": "INSERT", "rowsAffected": rows}],
    }


def test_profiles_are_time_series_and_the_newest_is_the_tables(client: TestClient) -> None:
    t = table(client)
    for day, rows in enumerate((10, 20, 30)):
        put = ok(client.put(f"/api/v1/tables/{t['id']}/tableProfile", json=profile(T0 + day * DAY, rows)))
        assert put["profile"]["rowCount"] == rows
    fqn = f"{SCHEMA}.orders"
    page = ok(client.get(f"/api/v1/tables/{fqn}/tableProfile?startTs={T0}&endTs={T0 + 2 * DAY}"))
    assert [p["rowCount"] for p in page["data"]] == [30, 20, 10]
    assert page["paging"]["total"] == 3
    window = ok(client.get(f"/api/v1/tables/{fqn}/tableProfile?startTs={T0 + DAY}&endTs={T0 + DAY}"))
    assert [p["rowCount"] for p in window["data"]] == [20]
    first = ok(client.get(f"/api/v1/tables/{fqn}/tableProfile?startTs={T0}&endTs={T0 + 2 * DAY}&limit=2"))
    assert [p["rowCount"] for p in first["data"]] == [30, 20]
    rest = ok(
        client.get(
            f"/api/v1/tables/{fqn}/tableProfile?startTs={T0}&endTs={T0 + 2 * DAY}"
            f"&limit=2&after={first['paging']['after']}"
        )
    )
    assert [p["rowCount"] for p in rest["data"]] == [10]
    columns = ok(client.get(f"/api/v1/tables/{fqn}.email/columnProfile?startTs={T0}&endTs={T0 + 2 * DAY}"))
    assert [p["uniqueCount"] for p in columns["data"]] == [30, 20, 10]
    system = ok(client.get(f"/api/v1/tables/{fqn}/systemProfile?startTs={T0}&endTs={T0 + 2 * DAY}"))
    assert [p["rowsAffected"] for p in system["data"]] == [30, 20, 10]

    latest = ok(client.get(f"/api/v1/tables/{t['id']}?fields=profile,columns"))
    assert_valid_entity("table", latest)
    assert latest["profile"]["rowCount"] == 30
    by_name = {c["name"]: c for c in latest["columns"]}
    assert by_name["amount"]["profile"]["max"] == 30
    assert "profile" not in by_name["id"]
    assert "profile" not in ok(client.get(f"/api/v1/tables/{t['id']}"))

    assert client.delete(f"/api/v1/tables/{fqn}/table/{T0 + 2 * DAY}/profile").status_code == 200
    assert ok(client.get(f"/api/v1/tables/{fqn}/tableProfile/latest"))["profile"]["rowCount"] == 20


def test_bad_profiles_are_refused_naming_the_field(client: TestClient) -> None:
    t = table(client)
    bad = profile(T0, 5)
    bad["columnProfile"][0]["name"] = "nope"
    refused = client.put(f"/api/v1/tables/{t['id']}/tableProfile", json=bad)
    assert refused.status_code == 400
    assert "columnProfile[0].name" in refused.json()["message"]
    missing = client.put(f"/api/v1/tables/{t['id']}/tableProfile", json={"tableProfile": {"rowCount": 1}})
    assert missing.status_code == 400
    assert "timestamp" in missing.json()["message"]
    no_window = client.get(f"/api/v1/tables/{SCHEMA}.orders/tableProfile")
    assert no_window.status_code == 400
    assert "startTs" in no_window.json()["message"]


def test_sample_data_profiler_config_and_joins_are_kept_per_table(client: TestClient) -> None:
    t = table(client)
    sample = {"columns": ["id", "email"], "rows": [[1, "a@example.com"], [2, "b@example.com"]]}
    put = ok(client.put(f"/api/v1/tables/{t['id']}/sampleData", json=sample))
    assert put["sampleData"] == sample
    assert_valid_entity("table", put)
    assert ok(client.get(f"/api/v1/tables/{t['id']}/sampleData"))["sampleData"] == sample
    assert ok(client.get(f"/api/v1/tables/{t['id']}?fields=sampleData"))["sampleData"] == sample
    wrong = client.put(f"/api/v1/tables/{t['id']}/sampleData", json={"columns": ["nope"], "rows": [[1]]})
    assert wrong.status_code == 400
    assert "nope" in wrong.json()["message"]
    ok(client.delete(f"/api/v1/tables/{t['id']}/sampleData"))
    assert "sampleData" not in ok(client.get(f"/api/v1/tables/{t['id']}/sampleData"))

    config = {
        "sampleDataCount": 50,
        "excludeColumns": ["email"],
    }
    got = ok(client.put(f"/api/v1/tables/{t['id']}/tableProfilerConfig", json=config))
    assert got["tableProfilerConfig"]["excludeColumns"] == ["email"]
    assert (
        ok(client.get(f"/api/v1/tables/{t['id']}?fields=tableProfilerConfig"))["tableProfilerConfig"]
        == config
    )
    ok(client.delete(f"/api/v1/tables/{t['id']}/tableProfilerConfig"))
    assert "tableProfilerConfig" not in ok(client.get(f"/api/v1/tables/{t['id']}/tableProfilerConfig"))

    joins = {
        "startDate": "2026-01-01",
        "dayCount": 1,
        "columnJoins": [
            {"columnName": "id", "joinedWith": [{"fullyQualifiedName": f"{SCHEMA}.other.id", "joinCount": 3}]}
        ],
    }
    assert (
        ok(client.put(f"/api/v1/tables/{t['id']}/joins", json=joins))["joins"]["columnJoins"][0]["columnName"]
        == "id"
    )
    assert ok(client.get(f"/api/v1/tables/{t['id']}?fields=joins"))["joins"]["dayCount"] == 1


def test_usage_sums_rolls_up_and_ranks(client: TestClient) -> None:
    t = table(client, "busy")
    quiet = ok(put_table(client, "quiet", "id"), 201)
    for day, count in ((1, 5), (2, 7), (9, 11)):
        ok(
            client.post(
                f"/api/v1/usage/table/{t['id']}", json={"date": f"2026-01-{day:02d}", "count": count}
            ),
            201,
        )
    ok(client.post(f"/api/v1/usage/table/name/{SCHEMA}.quiet", json={"date": "2026-01-09", "count": 1}), 201)
    busy = ok(client.get(f"/api/v1/tables/{t['id']}?fields=usageSummary"))
    summary = busy["usageSummary"]
    assert summary["date"] == "2026-01-09"
    # The week is Jan 3-9 (11); the month reaches back to Jan 1 (5 + 7 + 11).
    assert (
        summary["dailyStats"]["count"],
        summary["weeklyStats"]["count"],
        summary["monthlyStats"]["count"],
    ) == (
        11,
        11,
        23,
    )
    # Two tables used on Jan 9: busy is above one of them (50%), quiet above none.
    assert summary["dailyStats"]["percentileRank"] == 50.0
    assert (
        ok(client.get(f"/api/v1/tables/{quiet['id']}?fields=usageSummary"))["usageSummary"]["dailyStats"][
            "percentileRank"
        ]
        == 0.0
    )
    schema = ok(client.get(f"/api/v1/databaseSchemas/name/{SCHEMA}?fields=usageSummary"))
    assert schema["usageSummary"]["dailyStats"]["count"] == 12
    database = ok(client.get(f"/api/v1/databases/name/{DATABASE}?fields=usageSummary"))
    assert database["usageSummary"]["monthlyStats"]["count"] == 24
    history = ok(client.get(f"/api/v1/usage/table/{t['id']}?date=2026-01-09&days=3"))
    assert [u["date"] for u in history["usage"]] == ["2026-01-09", "2026-01-02", "2026-01-01"]
    again = client.post(f"/api/v1/usage/table/{t['id']}", json={"date": "2026-01-09", "count": 2})
    assert again.json()["usage"][0]["dailyStats"]["count"] == 2
    bad = client.post(f"/api/v1/usage/table/{t['id']}", json={"date": "yesterday", "count": 1})
    assert bad.status_code == 400
    assert "date" in bad.json()["message"]


def test_a_hard_deleted_table_takes_its_table_data_with_it(client: TestClient) -> None:
    t = table(client)
    ok(client.put(f"/api/v1/tables/{t['id']}/tableProfile", json=profile(T0, 3)))
    ok(client.post(f"/api/v1/usage/table/{t['id']}", json={"date": "2026-01-01", "count": 1}), 201)
    ok(client.put(f"/api/v1/tables/{t['id']}/sampleData", json={"columns": ["id"], "rows": [[1]]}))
    ok(client.delete(f"/api/v1/tables/{t['id']}?hardDelete=true"))
    engine: sa.Engine = client.app.state.container.engine  # type: ignore[attr-defined]
    with engine.connect() as conn:
        left = {
            name: conn.execute(
                sa.text(f"SELECT COUNT(*) FROM {name} WHERE entity_id = :id"), {"id": t["id"]}
            ).scalar_one()
            for name in ("entity_series", "entity_usage", "entity_record")
        }
    assert left == {"entity_series": 0, "entity_usage": 0, "entity_record": 0}


def test_a_list_serves_the_same_table_data_as_each_get(client: TestClient) -> None:
    t = table(client)
    other = ok(put_table(client, "plain", "id"), 201)
    ok(client.put(f"/api/v1/tables/{t['id']}/tableProfile", json=profile(T0, 3)))
    ok(client.put(f"/api/v1/tables/{t['id']}/sampleData", json={"columns": ["id"], "rows": [[1]]}))
    ok(client.post(f"/api/v1/usage/table/{t['id']}", json={"date": "2026-01-01", "count": 4}), 201)
    fields = "profile,sampleData,usageSummary,joins,tableProfilerConfig,columns"
    listed = ok(client.get(f"/api/v1/tables?databaseSchema={SCHEMA}&fields={fields}&limit=10"))["data"]
    by_id = {row["id"]: row for row in listed}
    for table_id in (t["id"], other["id"]):
        alone = ok(client.get(f"/api/v1/tables/{table_id}?fields={fields}"))
        assert {k: v for k, v in by_id[table_id].items() if k != "href"} == {
            k: v for k, v in alone.items() if k != "href"
        }
    assert by_id[t["id"]]["profile"]["rowCount"] == 3
    assert "profile" not in by_id[other["id"]]


def test_a_list_reads_a_pages_profiles_in_a_query_per_field(client: TestClient) -> None:
    make_hierarchy(client)
    for n in range(6):
        created = ok(put_table(client, f"t{n}", "id", "amount"), 201)
        ok(
            client.put(
                f"/api/v1/tables/{created['id']}/tableProfile",
                json={"tableProfile": {"timestamp": T0, "rowCount": n}},
            )
        )
    engine: sa.Engine = client.app.state.container.engine  # type: ignore[attr-defined]
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", seen)
    try:
        listed = ok(client.get(f"/api/v1/tables?databaseSchema={SCHEMA}&fields=profile&limit=10"))["data"]
    finally:
        sa.event.remove(engine, "before_cursor_execute", seen)
    assert sorted(row["profile"]["rowCount"] for row in listed) == list(range(6))
    # For the tables' profiles and for their columns': the newest timestamps, then those rows
    # (none when there are no column profiles), whatever the page size.
    assert sum("entity_series" in statement for statement in statements) <= 4
