-- wrk script used by bench/run.py.
--
-- Always: when the run ends, print one line "WRKJSON {...}" with the request count,
-- the duration, latency percentiles (microseconds) and the error counts, so that the
-- caller does not have to parse wrk's human-readable output (which has no p95).
--
-- With WRK_COUNT_STATUS set: the JSON line also counts non-2xx answers (wrk itself
-- only counts >= 400).
--
-- With WRK_CREATE_PREFIX set: every request is a POST /sala/create with a unique
-- room code "<prefix><thread>-<n>", and the JSON line also counts the creates the
-- server acknowledged (201) and the non-2xx answers. The session cookie, the CSRF
-- cookie and the X-CSRFToken header come from the command line (-H), e.g.
--
--   WRK_CREATE_PREFIX=Wab12cd wrk -t2 -c32 -d10s -s bench/wrk.lua \
--     -H 'Cookie: sessionid=...; csrftoken=...' -H 'X-CSRFToken: ...' \
--     -H 'Content-Type: application/json' http://127.0.0.1:8084/sala/create

local threads = {}

-- Runs in the main Lua state, once per thread, before the thread starts.
function setup(thread)
   table.insert(threads, thread)
   thread:set("thread_number", #threads)
end

local create_prefix = os.getenv("WRK_CREATE_PREFIX")

if create_prefix then
   local sent = 0

   function request()
      sent = sent + 1
      local codigo = string.format("%s%d-%d", create_prefix, thread_number, sent)
      local body = string.format(
         '{"nombre": "Sala wrk %s", "codigo": "%s", "capacidad": %d}', codigo, codigo, sent % 500 + 1
      )
      return wrk.format("POST", "/sala/create", nil, body)
   end
end

-- With WRK_BOOK_ROOMS set (comma-separated room codes) and WRK_BOOK_BASE (a Unix
-- time): every request is a POST /reserva/create of a random room for 30 minutes
-- starting at a random quarter hour among WRK_BOOK_SLOTS after the base. Neighbouring
-- quarter hours overlap, so some requests lose with 409: contention on the room lock
-- and on the overlap check. `created` counts the confirmed bookings (201).
local book_rooms = os.getenv("WRK_BOOK_ROOMS")
-- A conditional GET run expects 304s: then any other status is what counts as "non-2xx".
local expected_status = tonumber(os.getenv("WRK_EXPECTED_STATUS") or "")

if book_rooms then
   local rooms = {}
   for codigo in string.gmatch(book_rooms, "[^,]+") do
      table.insert(rooms, codigo)
   end
   local base = tonumber(os.getenv("WRK_BOOK_BASE"))
   local slots = tonumber(os.getenv("WRK_BOOK_SLOTS") or "20000")

   function init(args)
      math.randomseed(os.time() * 100 + thread_number)
   end

   function request()
      local start = base + 900 * math.random(0, slots - 1)
      local body = string.format(
         '{"sala": "%s", "titulo": "wrk", "inicio": "%s", "fin": "%s", "asistentes": 1}',
         rooms[math.random(#rooms)],
         os.date("!%Y-%m-%dT%H:%M:%S+00:00", start),
         os.date("!%Y-%m-%dT%H:%M:%S+00:00", start + 1800)
      )
      return wrk.format("POST", "/reserva/create", nil, body)
   end
end

-- Counting answers costs a Lua call per response: on for the app's endpoints
-- (WRK_COUNT_STATUS or a create run), off for the static ceiling.
if create_prefix or book_rooms or os.getenv("WRK_COUNT_STATUS") then
   -- Each thread has its own Lua state: these are per-thread counters.
   created = 0
   non2xx = 0

   function response(status, headers, body)
      if status == 201 then
         created = created + 1
      end
      if expected_status then
         if status ~= expected_status then
            non2xx = non2xx + 1
         end
      elseif status < 200 or status > 299 then
         non2xx = non2xx + 1
      end
   end
end

function done(summary, latency, requests)
   -- -1: not counted (no response hook in this run).
   local created_total, non2xx_total = -1, -1
   for _, thread in ipairs(threads) do
      local created_here, non2xx_here = thread:get("created"), thread:get("non2xx")
      if created_here then
         created_total = math.max(created_total, 0) + created_here
         non2xx_total = math.max(non2xx_total, 0) + non2xx_here
      end
   end
   local errors = summary.errors
   io.write(string.format(
      'WRKJSON {"requests": %.0f, "duration_us": %.0f, "bytes": %.0f, '
         .. '"p50_us": %.0f, "p95_us": %.0f, "p99_us": %.0f, "max_us": %.0f, "mean_us": %.0f, '
         .. '"connect_errors": %.0f, "read_errors": %.0f, "write_errors": %.0f, '
         .. '"status_errors": %.0f, "timeouts": %.0f, "created": %.0f, "non2xx": %.0f}\n',
      summary.requests, summary.duration, summary.bytes,
      latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max, latency.mean,
      errors.connect, errors.read, errors.write, errors.status, errors.timeout,
      created_total, non2xx_total
   ))
end
