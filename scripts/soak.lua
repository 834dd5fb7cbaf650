-- Mixed load for scripts/soak.sh, run by wrk:
--
--   wrk -t1 -c 256 -d 60s --timeout 5s -s scripts/soak.lua http://127.0.0.1:PORT
--
-- The server runs with --isolate, so the load is spread over TOKENS workspaces (a fixed
-- handful, so the number of workspaces is bounded). Each request picks one of:
--   GET    /v1|/external/conversations/xgQQXg3hrtjh7AvZ      (the documented conversation)
--   GET    .../conversations?limit=..&filter..&starting_after=..  (list pages)
--   POST   .../conversations  contact_id=soak-contact-K       (create, 201)
--   PUT    .../conversations/xgQQXg3hrtjh7AvZ  is_muted=true|false
--   DELETE .../conversations/{id}  of a conversation this script created (204)
-- Every conversation created is deleted again (a pending delete goes before anything
-- else), so the store stays at the fixtures plus the few creates in flight.
--
-- wrk does not say which request a response answers, so a create's workspace is carried
-- in its contact_id ("soak-contact-K" was created with token "soak-K") and read back from
-- the 201's body together with the new ID.
--
-- Every status outside 200/201/204 counts as an error; done() adds wrk's socket errors
-- (connect, read, write, timeout) and prints one "soak-result" line for soak.sh to parse.

local TOKENS = 4
local DOC_ID = "xgQQXg3hrtjh7AvZ"
local BASES = { "/v1", "/external" }
local EXPECTED = { [200] = true, [201] = true, [204] = true }

local lists = {
   "/conversations?limit=10",
   "/conversations?limit=5&muted=false",
   "/conversations?limit=3&starting_after=" .. DOC_ID,
   "/conversations?limit=20&pinned=true&archived=false",
   "/conversations?group_id=Gk8nRbT2qLx4VwYe&limit=2",
   "/conversations?limit=100&starting_after=hSIhXBhNe8X1d8Et&archived=false",
}

-- Per-thread counters (globals, so that done() can read them with thread:get).
counts = { ["2xx"] = 0, ["3xx"] = 0, ["4xx"] = 0, ["5xx"] = 0, other = 0 }
statuses = {}        -- status -> count
unexpected = 0       -- responses whose status is not 200/201/204
unparsed = 0         -- 201s whose body did not give back an ID and a workspace
sent = { get = 0, list = 0, create = 0, update = 0, delete = 0 }

local pending = {}   -- created conversations to delete: { id, token index }
local n = 0

local function auth(k)
   return { ["Authorization"] = "Bearer soak-" .. k }
end

local function form(k)
   local h = auth(k)
   h["Content-Type"] = "application/x-www-form-urlencoded"
   return h
end

function init(args)
   math.randomseed(1)
end

function request()
   n = n + 1
   local base = BASES[math.random(#BASES)]
   local k = n % TOKENS
   local p = #pending
   if p > 0 then
      local c = pending[p]
      pending[p] = nil
      sent.delete = sent.delete + 1
      return wrk.format("DELETE", base .. "/conversations/" .. c[1], auth(c[2]))
   end
   local r = math.random(100)
   if r <= 35 then
      sent.get = sent.get + 1
      return wrk.format("GET", base .. "/conversations/" .. DOC_ID, auth(k))
   elseif r <= 70 then
      sent.list = sent.list + 1
      return wrk.format("GET", base .. lists[math.random(#lists)], auth(k))
   elseif r <= 85 then
      sent.create = sent.create + 1
      return wrk.format("POST", base .. "/conversations", form(k), "contact_id=soak-contact-" .. k)
   else
      sent.update = sent.update + 1
      local muted = (math.random(2) == 1) and "true" or "false"
      return wrk.format("PUT", base .. "/conversations/" .. DOC_ID, form(k), "is_muted=" .. muted)
   end
end

function response(status, headers, body)
   statuses[status] = (statuses[status] or 0) + 1
   local class = math.floor(status / 100)
   if class >= 2 and class <= 5 then
      local key = class .. "xx"
      counts[key] = counts[key] + 1
   else
      counts.other = counts.other + 1
   end
   if not EXPECTED[status] then
      unexpected = unexpected + 1
   end
   if status == 201 then
      local id = body and body:match('"id":%s*"([%w_%-]+)"')
      local k = body and body:match('"contact_id":%s*"soak%-contact%-(%d+)"')
      if id and k then
         pending[#pending + 1] = { id, tonumber(k) }
      else
         unparsed = unparsed + 1
      end
   end
end

local threads = {}

function setup(thread)
   threads[#threads + 1] = thread
end

function done(summary, latency, requests)
   local c = { ["2xx"] = 0, ["3xx"] = 0, ["4xx"] = 0, ["5xx"] = 0, other = 0 }
   local s = { get = 0, list = 0, create = 0, update = 0, delete = 0 }
   local st = {}
   local bad, unp = 0, 0
   for _, t in ipairs(threads) do
      for key, v in pairs(t:get("counts")) do c[key] = c[key] + v end
      for key, v in pairs(t:get("sent")) do s[key] = s[key] + v end
      for code, v in pairs(t:get("statuses")) do st[code] = (st[code] or 0) + v end
      bad = bad + t:get("unexpected")
      unp = unp + t:get("unparsed")
   end
   local e = summary.errors
   local socket = e.connect + e.read + e.write + e.timeout
   local codes = {}
   for code in pairs(st) do codes[#codes + 1] = code end
   table.sort(codes)
   local parts = {}
   for _, code in ipairs(codes) do parts[#parts + 1] = code .. ":" .. st[code] end
   local secs = summary.duration / 1e6

   io.write("-- soak.lua --\n")
   io.write(string.format("requests sent: get %d, list %d, create %d, update %d, delete %d\n",
      s.get, s.list, s.create, s.update, s.delete))
   io.write(string.format("responses: %d in %.1f s (%.0f req/s); 2xx %d, 3xx %d, 4xx %d, 5xx %d, other %d\n",
      summary.requests, secs, summary.requests / secs,
      c["2xx"], c["3xx"], c["4xx"], c["5xx"], c.other))
   io.write("by status: " .. table.concat(parts, " ") .. "\n")
   io.write(string.format("socket errors: connect %d, read %d, write %d, timeout %d\n",
      e.connect, e.read, e.write, e.timeout))
   io.write(string.format("latency: p50 %.2f ms, p99 %.2f ms, max %.2f ms\n",
      latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
   io.write(string.format(
      "soak-result requests=%d seconds=%.3f unexpected=%d unparsed=%d socket=%d errors=%d\n",
      summary.requests, secs, bad, unp, socket, bad + unp + socket))
end
