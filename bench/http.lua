-- wrk script for bench/http.py: reports one JSON line per run, and in hold mode walks
-- through a list of free slots so that every request asks for a different one.
--
--   wrk ... -s bench/http.lua URL                                  GET, report only
--   wrk ... -s bench/http.lua URL -- SLOTS_FILE OFFSET SERVICE_ID THREADS   POST holds
--
-- SLOTS_FILE has one "staff_id start_at" per line. Thread t of T (THREADS, wrk's -t) sends its n-th request
-- for line OFFSET + n*T + t, so no two requests of the run share a slot; done() reports
-- the highest line used, and bench/http.py starts the next hold run after it.

local threads = {}
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

-- Per thread (each wrk thread has its own Lua state; setup() gave it the global `id`).
local slots, offset, service_id, nthreads, counter = nil, 0, nil, 1, 0
local headers = {}
highest = -1

function init(args)
  if args[1] ~= nil then
    slots = {}
    for line in io.lines(args[1]) do
      local staff, start = line:match("^(%S+) (%S+)$")
      if staff then table.insert(slots, {staff, start}) end
    end
    offset = tonumber(args[2])
    service_id = args[3]
    nthreads = tonumber(args[4])
    headers = {}
    for name, value in pairs(wrk.headers) do headers[name] = value end
    headers["Content-Type"] = "application/json"
  end
end

local plain = nil

function request()
  if slots == nil then
    -- GET mode: the same request every time, formatted once.
    plain = plain or wrk.format(nil)
    return plain
  end
  local index = offset + counter * nthreads + id
  counter = counter + 1
  highest = index
  -- Past the end of the list: a slot already held, answered 409 and counted as non-2xx.
  local slot = slots[(index % #slots) + 1]
  local body = string.format('{"service_id":"%s","staff_id":"%s","start_at":"%s"}', service_id, slot[1], slot[2])
  return wrk.format("POST", nil, headers, body)
end

function done(summary, latency, requests)
  local highest_used = -1
  for _, thread in ipairs(threads) do
    local h = thread:get("highest")
    if h ~= nil and h > highest_used then highest_used = h end
  end
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,' ..
    '"non_2xx_3xx":%d,"socket_errors":%d,"highest_slot":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    highest_used))
end
