-- wrk script: sustained intake through POST /api/v1/requests.
-- Every request is a different person (unique name and email), so each one goes the whole
-- way: validation, encryption, insert, audit, outbox.

package.path = debug.getinfo(1, "S").source:match("^@?(.*/)") .. "?.lua;" .. package.path
require("common")

local counter = 0
-- thread_id is set per wrk thread by common.lua's setup(); LOAD_RUN names the wrk run,
-- so that people stay different across the runs of one benchmark.
local run = os.getenv("LOAD_RUN") or "run"

function init(args)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  counter = counter + 1
  local who = string.format("%s-t%d-%d", run, thread_id, counter)
  local body = string.format(
    '{"kind":"access","jurisdiction":"california","name":"Load Person %s",' ..
    '"email":"load-%s@example.com","details":"load test %s"}', who, who, who)
  return wrk.format(nil, "/api/v1/requests", nil, body)
end
