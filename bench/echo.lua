-- wrk script: POST one JSON body over and over, and check every reply.
--
-- BENCH_BODY names a file with the request body; BENCH_EXPECT (optional) a file with the body
-- every reply must have. A reply that is not 200 with exactly that body counts as bad.
-- done() prints one JSON line: requests, bad replies, socket errors, latency p50/p99 in µs.

local function slurp(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("*a")
  f:close()
  return s
end

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = slurp(os.getenv("BENCH_BODY"))
local expected = os.getenv("BENCH_EXPECT") and slurp(os.getenv("BENCH_EXPECT"))

bad = 0

function response(status, headers, body)
  if status ~= 200 or (expected and body ~= expected) then
    bad = bad + 1
  end
end

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function done(summary, latency, requests)
  local bad_replies = 0
  for _, thread in ipairs(threads) do
    bad_replies = bad_replies + thread:get("bad")
  end
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "bad": %d, "socket_errors": %d, "seconds": %.6f, "p50_us": %d, "p99_us": %d}\n',
    summary.requests, bad_replies, e.connect + e.read + e.write + e.timeout,
    summary.duration / 1e6, latency:percentile(50), latency:percentile(99)))
end
