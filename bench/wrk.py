"""The load process when `wrk` is installed (Debian's package): a C load generator, so that
the figures measure our servers rather than a Python client.

wrk runs for a fixed time. The plan (every request with its own path, headers and body)
becomes a Lua table that wrk walks through; a plan must be longer than what the run can send
(requests past its end repeat the last one, and show up as non-2xx where that matters).
With `capture`, the `id` and `applicant_id` of each 2xx JSON answer are written to that file.
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
local reqs = {%(entries)s}
local n, i = #reqs, 0
local capture = %(capture)s
local out = capture and io.open(capture, "a") or nil
request = function()
  i = i + 1
  local r = reqs[i] or reqs[n]
  return wrk.format(r[1], r[2], r[3], r[4])
end
response = function(status, headers, body)
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


def run(plan: list[dict[str, Any]], concurrency: int, seconds: float,
        capture: Path | None = None) -> dict[str, Any]:
    base = urlsplit(plan[0]["url"])
    script = SCRIPT % {"entries": ",\n".join(_entry(r) for r in plan),
                       "capture": _lua(str(capture)) if capture else "nil"}
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(script)
    try:
        done = subprocess.run(["wrk", "-t1", f"-c{concurrency}", f"-d{max(1, round(seconds))}s", "--timeout", "30s",
                               "-s", f.name, f"{base.scheme}://{base.netloc}"], capture_output=True, text=True)
    finally:
        Path(f.name).unlink()
    if done.returncode != 0 or not done.stdout.strip():
        raise RuntimeError(f"wrk failed:\n{done.stdout[-1000:]}\n{done.stderr[-2000:]}")
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    elapsed = figures["duration_us"] / 1e6
    return {
        "requests": figures["requests"],
        "seconds": elapsed,
        "per_second": figures["requests"] / elapsed,
        "p50_ms": figures["p50_us"] / 1000,
        "p99_ms": figures["p99_us"] / 1000,
        "statuses": {"non-2xx": figures["non2xx"], "errors": figures["errors"]},
    }
