-- wrk script for scripts/bench.sh: cycles through the search URLs in $BENCH_URLS (one
-- path per line, written by `search-bench --prepare`), each thread from its own offset,
-- and prints throughput and latency percentiles in one RESULT line. $BENCH_COOKIE, when
-- set, is sent as the Cookie header (`sp_fresh=1` skips the service's response cache).
local urls = {}
local i = 0
local headers = {}
if os.getenv("BENCH_COOKIE") then
  headers["Cookie"] = os.getenv("BENCH_COOKIE")
end

init = function(args)
  for line in io.lines(os.getenv("BENCH_URLS")) do
    urls[#urls + 1] = line
  end
  i = math.random(#urls)
end

request = function()
  i = i % #urls + 1
  return wrk.format("GET", urls[i], headers)
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT rps=%.1f p50_ms=%.2f p95_ms=%.2f p99_ms=%.2f errors=%d requests=%d\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    e.connect + e.read + e.write + e.status + e.timeout, summary.requests))
end
