--[[
  Shared by the schedule scripts (pulled in with `--!include reindex`).
  Keeps the due set's invariant: an entry is in `due` iff it has a run request,
  or is enabled with a next run; its score is the earlier of the two.
]]
local function reindex(entry, due, name)
  local at = nil
  if redis.call('HGET', entry, 'enabled') == '1' then
    local nxt = redis.call('HGET', entry, 'next')
    if nxt and nxt ~= '' then at = tonumber(nxt) end
  end
  local req = redis.call('HGET', entry, 'runReq')
  if req and req ~= '' then
    local r = tonumber(req)
    if at == nil or r < at then at = r end
  end
  if at == nil then redis.call('ZREM', due, name) else redis.call('ZADD', due, at, name) end
end
