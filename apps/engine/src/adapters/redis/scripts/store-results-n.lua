--[[
  Stores a batch of result records (one call for every record a worker settles
  in the same event-loop turn) and announces the ready ones.

  KEYS[1..N] result keys, one per record, in order
  ARGV: per record, 3 values in order: ttl ms, the channel to publish on ('' for
  a state that is not ready) and the JSON record

  Invariant: records are written in the order given (a later record for the
  same id wins), and each ready record is published only after it is stored, so
  a waiter that reads after the message always finds it.
  Returns the number of records stored.
]]
for i = 1, #KEYS do
  local j = (i - 1) * 3
  local json = ARGV[j + 3]
  redis.call('SET', KEYS[i], json, 'PX', ARGV[j + 1])
  if ARGV[j + 2] ~= '' then redis.call('PUBLISH', ARGV[j + 2], json) end
end
return #KEYS
