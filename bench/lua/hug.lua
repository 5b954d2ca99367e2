-- The hug button under load: POSTs with the member's session cookie and CSRF token.
-- Every request writes: each wrk thread walks its own share of the stories, sending hugs
-- ("add") on the first pass and taking them back ("remove") on the next, and so on.
-- bench/run.py passes BENCH_COOKIE, BENCH_CSRF (URL-encoded), BENCH_STORIES (ids, commas)
-- and BENCH_THREADS (wrk's -t).

local cookie = os.getenv("BENCH_COOKIE") or ""
local csrf = os.getenv("BENCH_CSRF") or ""
local stories = {}
for id in string.gmatch(os.getenv("BENCH_STORIES") or "", "%d+") do
  stories[#stories + 1] = id
end

local started = 0
function setup(thread)
  thread:set("tid", started)
  started = started + 1
end

function init(args)
  counter = 0
  nthreads = tonumber(os.getenv("BENCH_THREADS") or "1")
  tid = tid or 0
end

local headers = {
  ["Cookie"] = cookie,
  ["Content-Type"] = "application/x-www-form-urlencoded",
  ["Accept"] = "application/json",
}

function request()
  local n = #stories
  local position = counter * nthreads + tid
  counter = counter + 1
  local id = stories[(position % n) + 1]
  local action = (math.floor(position / n) % 2 == 0) and "add" or "remove"
  local body = "csrf_token=" .. csrf .. "&action=" .. action
  return wrk.format("POST", "/stories/" .. id .. "/reactions/hug", headers, body)
end
