"""Per-request CPU of the two hottest paths, before and after: wrk against single-worker servers
of a baseline commit and of the current tree, interleaved in one run.

Each side runs two `tessera serve` processes (one worker each) on one SQLite catalog: one with
authentication off, one with `provider: basic` that gets the ingestion bot's JWT. wrk (C, from
the distribution) is the load generator, so the server, not the client, is what is measured.
Round after round, alternating which side goes first, wrk drives each family for a few seconds
against each side; whatever else the machine does weighs on both alike.

Families: GET /api/v1/tables/name/{fqn} of random tables (authentication off, and with the bot's
JWT); PUT /api/v1/tables/bulk of 20 new tables of 10 columns; and the same bulk PUT of 20
tables that exist unchanged (an ingestion's rerun).

    python -m bench request_cpu                     # against 6322acf, 5 rounds x 5 s; rewrites its section
    python -m bench request_cpu --baseline REF      # against another commit
    python -m bench request_cpu --quick             # 2 rounds x 2 s, leaves the docs alone

Reported per family: the median over rounds of requests per second and of the server's CPU
time per request (from /proc), and the ratio current/baseline of throughput per round (median
and range; above 1.00 is faster now).
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench import _wrk
from bench._harness import (
    ROOT,
    Server,
    load_average,
    log,
    machine,
    markdown_table,
    stoppable,
    tessera_server,
    write_doc_section,
)
from bench.auth_overhead import load, mint_bot_token, shared_secrets
from bench.compare import baseline_checkout

HEADING = "## Per-request CPU: GET by name and bulk PUT under wrk, baseline against current"
SIDES = ("baseline", "current")
SCHEMA = "auth_bench.db.main"

# The bulk scripts build their bodies in Lua, so that the load generator never waits for Python.
_BULK_SCRIPT = """
local prefix, existing, counter = "", 0, 0
init = function(args)
  prefix = args[1]
  existing = tonumber(args[2])
  math.randomseed(tonumber(args[3]))
end
local function columns(name)
  local out = {'{"name":"id","dataType":"INT"}'}
  for j = 1, 9 do
    out[#out + 1] = string.format('{"name":"c%02d_%s","dataType":"VARCHAR","dataLength":64}', j, name)
  end
  return table.concat(out, ",")
end
request = function()
  counter = counter + 1
  local rows = {}
  for i = 1, 20 do
    local name
    if existing > 0 then
      name = string.format("%s%05d", prefix, math.random(0, existing - 1))
    else
      name = string.format("%s%d_%02d", prefix, counter, i)
    end
    rows[#rows + 1] = string.format(
      '{"name":"%s","databaseSchema":"%s","columns":[%s]}', name, "SCHEMA", columns(name))
  end
  return wrk.format("PUT", "/api/v1/tables/bulk", {["Content-Type"] = "application/json"},
    "[" .. table.concat(rows, ",") .. "]")
end
""".replace("SCHEMA", SCHEMA)
BASELINE = "6322acf"  # the commit the performance issue measured today's throughput against


@dataclass
class Side:
    name: str
    open_server: Server
    auth_server: Server
    token: str = ""


@dataclass
class Results:
    # family -> side -> the wrk run of each round
    rounds: dict[str, dict[str, list[_wrk.WrkRun]]] = field(default_factory=dict)

    def add(self, family: str, side: str, run: _wrk.WrkRun) -> None:
        self.rounds.setdefault(family, {s: [] for s in SIDES})[side].append(run)


def wrk(
    server: Server, script: Path, args: list[str], *, seconds: float, connections: int, headers: list[str]
) -> _wrk.WrkRun:
    return _wrk.run(server, script, args, seconds=seconds, connections=connections, headers=headers)


UNCHANGED = 200


def table_request(name: str) -> dict[str, object]:
    """The same table the bulk script sends for ``name``."""
    columns: list[dict[str, object]] = [{"name": "id", "dataType": "INT"}]
    columns += [{"name": f"c{j:02d}_{name}", "dataType": "VARCHAR", "dataLength": 64} for j in range(1, 10)]
    return {"name": name, "databaseSchema": SCHEMA, "columns": columns}


def seed_unchanged(server: Server) -> None:
    """Tables ``u00000``... as the bulk script sends them: sending them again changes nothing."""
    body = [table_request(f"u{i:05d}") for i in range(UNCHANGED)]
    with httpx.Client(base_url=server.base, timeout=120) as http:
        http.put("/api/v1/tables/bulk", json=body).raise_for_status()
        http.put("/api/v1/tables/bulk", json=body).raise_for_status()


def measure_round(sides: list[Side], results: Results, work: Path, round_no: int, seconds: float) -> None:
    get, bulk, paths, seed = work / "get.lua", work / "bulk.lua", str(work / "paths.txt"), str(round_no + 1)

    def get_open(side: Side) -> _wrk.WrkRun:
        return wrk(side.open_server, get, [paths, seed], seconds=seconds, connections=4, headers=[])

    def get_bot(side: Side) -> _wrk.WrkRun:
        bearer = f"Authorization: Bearer {side.token}"
        return wrk(side.auth_server, get, [paths, seed], seconds=seconds, connections=4, headers=[bearer])

    def bulk_new(side: Side) -> _wrk.WrkRun:
        prefix = f"r{round_no}_{side.name}_"
        return wrk(side.open_server, bulk, [prefix, "0", seed], seconds=seconds, connections=2, headers=[])

    def bulk_unchanged(side: Side) -> _wrk.WrkRun:
        return wrk(
            side.open_server, bulk, ["u", str(UNCHANGED), seed], seconds=seconds, connections=2, headers=[]
        )

    families = {
        "GET by name, authentication off": get_open,
        "GET by name, bot JWT": get_bot,
        "bulk PUT, 20 new tables": bulk_new,
        "bulk PUT, 20 unchanged tables": bulk_unchanged,
    }
    for family, run in families.items():
        order = sides if round_no % 2 == 0 else list(reversed(sides))
        for side in order:
            results.add(family, side.name, run(side))


def report(results: Results, baseline: str, rounds: int, seconds: float, loads: list[str]) -> str:
    rows = []
    for family, sides in results.rounds.items():
        base, current = sides["baseline"], sides["current"]
        ratios = [now.rate / then.rate for then, now in zip(base, current, strict=True)]
        # CPU per request moves much less with the machine's load than throughput does.
        savings = [then.server_cpu_ms / now.server_cpu_ms for then, now in zip(base, current, strict=True)]
        rows.append(
            [
                family,
                statistics.median(run.rate for run in base),
                statistics.median(run.rate for run in current),
                f"{statistics.median(ratios):.2f} ({min(ratios):.2f}-{max(ratios):.2f})",
                statistics.median(run.server_cpu_ms for run in base),
                statistics.median(run.server_cpu_ms for run in current),
                f"{statistics.median(savings):.2f} ({min(savings):.2f}-{max(savings):.2f})",
                round(statistics.median(run.server_written_kib for run in base), 1),
                round(statistics.median(run.server_written_kib for run in current), 1),
            ]
        )
    info = machine()
    table = markdown_table(
        [
            "family",
            "baseline req/s",
            "current req/s",
            "current/baseline (range)",
            "baseline CPU ms/req",
            "current CPU ms/req",
            "baseline/current CPU (range)",
            "baseline KiB written/req",
            "current KiB written/req",
        ],
        rows,
    )
    return "\n".join(
        [
            HEADING,
            "",
            f"Baseline `{baseline}` against the current tree (`{info['commit']}`), {rounds} interleaved "
            f"rounds of {seconds:g} s per family and side, SQLite, one worker per server, {info['date']}, "
            f"{info['cpu']}, Python {info['python']}, SQLite {info['sqlite']}; load average before each "
            f"round: {', '.join(loads)}. Load generator: wrk, one thread, 4 connections (GET) or 2 (bulk). "
            f"Command: `python -m bench request_cpu --baseline {baseline} --rounds {rounds} "
            f"--seconds {seconds}`.",
            "",
            table,
            "",
            "Throughput is the median over rounds of wrk's requests per second; the ratio is taken per "
            "round (current/baseline: above 1.00 is faster now) and given as its median and range. "
            "Server CPU is the user and system time of the server process per request, from /proc; its "
            "ratio (baseline/current, per round: above 1.00 is cheaper now) moves much less with the "
            "machine's load than throughput. KiB written is what the server process wrote per request, "
            "to files and sockets alike (`wchar` of /proc/PID/io): for a write, mostly SQLite's WAL "
            "frames and the checkpoints that copy them into the database file, so it counts the index "
            "pages a write touches. "
            "The machine is shared: only the ratios of interleaved runs carry meaning.",
            "",
            "What was cut between the baseline and today, from py-spy profiles of one worker under wrk, "
            "is told in [the history](benchmarks-history.md#per-request-cpu-what-was-cut-since-6322acf), "
            "what took a bulk PUT of new tables from no faster than the baseline to about 1.4x "
            "(fewer search index rows per table) [there too](benchmarks-history.md"
            "#bulk-put-of-new-tables-what-took-it-from-100x-to-14x-2026-12-05), "
            "and the last cuts (indexes across kinds and deleted flags, route lookup in one place) "
            "[after that](benchmarks-history.md#bulk-put-and-get-by-name-the-last-cuts-2026-12-05).",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench request_cpu", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--baseline", default=BASELINE, help=f"The commit to compare against (default {BASELINE})."
    )
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="2 rounds of 2 s; leaves the docs alone.")
    parser.add_argument("--no-docs", action="store_true", help="Print the report only.")
    options = parser.parse_args(argv)
    if not _wrk.available():
        print(f"bench request_cpu: {_wrk.MISSING}", file=sys.stderr)
        return 1
    rounds, seconds = (2, 2) if options.quick else (options.rounds, options.seconds)
    with (
        stoppable(),
        baseline_checkout(options.baseline) as baseline_tree,
        shared_secrets() as keys,
        tempfile.TemporaryDirectory(prefix="tessera_request_cpu_") as folder,
        contextlib.ExitStack() as stack,
    ):
        work = Path(folder)
        (work / "get.lua").write_text(_wrk.GET_SCRIPT)
        (work / "bulk.lua").write_text(_BULK_SCRIPT)
        sides = []
        sources = (("baseline", baseline_tree), ("current", ROOT))
        for name, source in sources:
            url = f"sqlite:///{work}/{name}.db"
            open_server = stack.enter_context(tessera_server(url, source=source))
            auth_server = stack.enter_context(
                tessera_server(url, source=source, env={"AUTHENTICATION_PROVIDER": "basic", **keys})
            )
            sides.append(Side(name, open_server, auth_server))
        log("loading 1,000 tables on each side")
        for side in sides:
            paths = load(side.open_server.base, {})
            seed_unchanged(side.open_server)
        (work / "paths.txt").write_text("\n".join(paths) + "\n")
        for side, (name, source) in zip(sides, sources, strict=True):
            # Each side's own CLI: the current one refuses a catalog at an older schema revision.
            side.token = mint_bot_token(
                f"sqlite:///{work}/{name}.db", {**keys, "PYTHONPATH": str(source / "src")}
            )
        results = Results()
        loads = []
        for round_no in range(rounds):
            loads.append(load_average())
            log(f"round {round_no + 1}/{rounds}")
            measure_round(sides, results, work, round_no, seconds)
    text = report(results, options.baseline, rounds, seconds, loads)
    print(text)
    if not (options.quick or options.no_docs):
        write_doc_section(HEADING, text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
