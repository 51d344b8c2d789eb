-- POSTs the JSON body in $BENCH_BODY_FILE and prints the run's figures as one JSON line, so the bench
-- never has to parse wrk's human-readable report.
local file = assert(io.open(os.getenv("BENCH_BODY_FILE"), "rb"))
wrk.method = "POST"
wrk.body = file:read("*a")
file:close()
wrk.headers["Content-Type"] = "application/json"
-- $BENCH_HEADERS: more headers, one "name: value" a line (a peer's routing headers).
for name, value in string.gmatch(os.getenv("BENCH_HEADERS") or "", "([^:\n]+):%s*([^\n]*)\n") do
  wrk.headers[name] = value
end

-- A body holding "[<id>]" gets a number of its own in every request (bench/requests.ts, requestIdPlaceholder).
local template = wrk.body
if string.find(template, "[<id>]", 1, true) then
  local sent = 0
  local prefix, suffix = string.match(template, "^(.-)%[<id>%](.*)$")
  request = function()
    sent = sent + 1
    return wrk.format(nil, nil, nil, prefix .. sent .. suffix)
  end
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"durationUs":%d,"errors":%d,"non2xx":%d,"p50Us":%d,"p90Us":%d,"p99Us":%d,"meanUs":%.1f,"maxUs":%d}\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.mean, latency.max))
end
