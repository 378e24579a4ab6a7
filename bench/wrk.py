"""The load process when `wrk` is installed (Debian's package): a C load generator, so that
the figures measure our servers rather than a Python client.

wrk runs for a fixed time, or until every request of the plan has been answered (then the
figures are up to the last answer, timed in the script). The plan (every request with its own
path, headers and body) becomes a Lua table that wrk walks through; past its end, wrk repeats
the last request until the answers are in (those show up as non-2xx where that matters, and
`per_second` counts 2xx answers only). With `repeat`, the plan goes round and round for the whole
time instead. With `capture`, the `id` and `applicant_id` of each 2xx JSON answer are written to
that file.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

SCRIPT = """
local ffi = require("ffi")
ffi.cdef[[ typedef struct { long tv_sec; long tv_nsec; } bench_timespec; int clock_gettime(int, bench_timespec *); ]]
local function now_us()
  local t = ffi.new("bench_timespec")
  ffi.C.clock_gettime(1, t)
  return tonumber(t.tv_sec) * 1000000 + tonumber(t.tv_nsec) / 1000
end
local reqs = {%(entries)s}
local n, i, answered, started = #reqs, 0, 0, nil
local stop_at = %(stop_at)s
local capture = %(capture)s
local out = capture and io.open(capture, "a") or nil
request = function()
  started = started or now_us()
  i = i + 1
  local r = reqs[i] or (stop_at < 0 and reqs[(i - 1) %% n + 1]) or reqs[n]
  return wrk.format(r[1], r[2], r[3], r[4])
end
response = function(status, headers, body)
  answered = answered + 1
  if answered == stop_at then  -- every request of the plan answered: the run ends here
    local f = io.open(%(finished)s, "w")
    f:write(string.format("%%d %%d", answered, now_us() - started))
    f:close()
    wrk.thread:stop()
  end
  if out and status >= 200 and status < 300 then
    local id = string.match(body, '"id":"([%%w%%-]+)"')
    local applicant = string.match(body, '"applicant_id":"([%%w%%-]+)"')
    if id then out:write(id, " ", applicant or "", "\\n"); out:flush() end
  end
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('{"requests": %%d, "duration_us": %%d, "p50_us": %%d, "p99_us": %%d, ' ..
    '"non2xx": %%d, "errors": %%d}\\n', summary.requests, summary.duration, latency:percentile(50),
    latency:percentile(99), e.status, e.connect + e.read + e.write + e.timeout))
end
"""


MAX_PLAN = 15_000  # LuaJIT: at most 65,536 constants in the script's main function


def available() -> bool:
    return shutil.which("wrk") is not None


def _lua(value: str) -> str:
    level = "=" * 4
    assert f"]{level}]" not in value
    return f"[{level}[{value}]{level}]"


def _entry(request: dict[str, Any]) -> str:
    url = urlsplit(request["url"])
    path = url.path + (f"?{url.query}" if url.query else "")
    headers = dict(request.get("headers") or {})
    body = ""
    if request.get("json") is not None:
        headers["Content-Type"] = "application/json"
        body = json.dumps(request["json"], separators=(",", ":"))
    header_table = ", ".join(f"[ {_lua(k)} ] = {_lua(v)}" for k, v in headers.items())  # "[ [" is not "[["
    return f"{{{_lua(request['method'])}, {_lua(path)}, {{{header_table}}}, {_lua(body)}}}"


def run(
    plan: list[dict[str, Any]], concurrency: int, seconds: float, capture: Path | None = None, repeat: bool = False
) -> dict[str, Any]:
    """`repeat`: the plan is sent round and round for the whole time (else each request once)."""
    if len(plan) > MAX_PLAN:
        raise ValueError(f"a plan of {len(plan)} requests is more than LuaJIT takes in one table ({MAX_PLAN})")
    base = urlsplit(plan[0]["url"])
    with tempfile.TemporaryDirectory() as tmp:
        script, finished = Path(tmp) / "plan.lua", Path(tmp) / "finished"
        script.write_text(
            SCRIPT
            % {
                "entries": ",\n".join(_entry(r) for r in plan),
                "finished": _lua(str(finished)),
                "stop_at": "-1" if repeat else str(len(plan)),
                "capture": _lua(str(capture)) if capture else "nil",
            }
        )
        done = subprocess.run(
            [
                "wrk",
                "-t1",
                f"-c{concurrency}",
                f"-d{max(1, round(seconds))}s",
                "--timeout",
                "30s",
                "-s",
                str(script),
                f"{base.scheme}://{base.netloc}",
            ],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0 or not done.stdout.strip():
            raise RuntimeError(f"wrk failed:\n{done.stdout[-1000:]}\n{done.stderr[-2000:]}")
        figures = json.loads(done.stdout.strip().splitlines()[-1])
        answered, elapsed = figures["requests"], figures["duration_us"] / 1e6
        exhausted = finished.exists()
        if exhausted:  # the plan ran out before the time did: up to its last answer
            count, micros = finished.read_text().split()
            answered, elapsed = int(count), int(micros) / 1e6
    good = min(answered, figures["requests"] - figures["non2xx"] - figures["errors"])
    return {
        "requests": answered,
        "seconds": elapsed,
        "per_second": good / elapsed,
        "p50_ms": figures["p50_us"] / 1000,
        "p99_ms": figures["p99_us"] / 1000,
        "statuses": {"non-2xx": figures["non2xx"], "errors": figures["errors"]},
        "plan_exhausted": exhausted,
    }
