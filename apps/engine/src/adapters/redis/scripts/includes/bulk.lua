--[[
  Shared by the scripts that touch many members of one key (pulled in with
  `--!include bulk`): one redis.call per 1,000 members rather than one per
  member, since each call costs about a microsecond of Redis time by itself.
  Chunked to stay within Lua's limit on unpack.
]]
local BULK = 1000

-- HMGET of `fields`: the values in the same order, false where a field is missing.
local function hmgetAll(key, fields)
  local values = {}
  for i = 1, #fields, BULK do
    local part = redis.call('HMGET', key, unpack(fields, i, math.min(i + BULK - 1, #fields)))
    for j = 1, #part do values[i + j - 1] = part[j] end
  end
  return values
end

-- `command key args...` for a flat list of `per` arguments per member (ZADD: 2,
-- ZREM and HDEL: 1); returns the sum of the replies.
local function callAll(command, key, args, per)
  local total = 0
  local step = BULK * per
  for i = 1, #args, step do
    total = total + redis.call(command, key, unpack(args, i, math.min(i + step - 1, #args)))
  end
  return total
end
