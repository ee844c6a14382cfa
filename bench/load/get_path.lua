-- wrk script: GET of one path (env LOAD_PATH), with an optional Cookie (env LOAD_COOKIE).
-- The status counts show a redirect to the login page if the session was not accepted.

package.path = debug.getinfo(1, "S").source:match("^@?(.*/)") .. "?.lua;" .. package.path
require("common")

function init(args)
  local cookie = os.getenv("LOAD_COOKIE")
  if cookie and cookie ~= "" then wrk.headers["Cookie"] = cookie end
  wrk.path = os.getenv("LOAD_PATH")
end
