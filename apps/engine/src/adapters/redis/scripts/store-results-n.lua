--[[
  Stores a batch of result records (the records a worker settles in one
  event-loop turn, in calls of about 32,000 characters) and announces the
  ready ones.

  KEYS[1..N] result keys, one per record, in order
  ARGV[1] ttl ms
  ARGV[2] one character per record: '1' to PUBLISH it on its key's name (the
          result channel, keys.ts: a ready state), '0' not to
  ARGV[3] the records' JSON, in order, joined by '\n' (JSON text holds no raw
          newline): one argument, not one per record, so the client sends it as
          one Buffer

  Invariant: records are written in the order given (a later record for the
  same id wins), and each ready record is published only after it is stored, so
  a waiter that reads after the message always finds it.
  Returns the number of records stored.
]]
local px = ARGV[1]
local ready = ARGV[2]
local texts = ARGV[3]
local at = 1
for i = 1, #KEYS do
  local stop = string.find(texts, '\n', at, true) or (#texts + 1)
  local json = string.sub(texts, at, stop - 1)
  redis.call('SET', KEYS[i], json, 'PX', px)
  if string.byte(ready, i) == 49 then redis.call('PUBLISH', KEYS[i], json) end
  at = stop + 1
end
return #KEYS
