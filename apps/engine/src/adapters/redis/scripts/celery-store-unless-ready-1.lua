--[[
  Stores a Celery result meta unless the task already has a ready state, as
  Celery's Redis backend writes it (SETEX, then PUBLISH on the key's name).
  Used when a worker records a revocation it learnt of late: another worker,
  Python or TypeScript, may have finished the task meanwhile.

  KEYS[1] celery-task-meta-<id>
  ARGV[1] the meta JSON   ARGV[2] expiry in seconds

  Invariant: a SUCCESS, FAILURE or REVOKED meta is never overwritten.
  Returns 1 when stored.
]]
local current = redis.call('GET', KEYS[1])
if current then
  local ok, meta = pcall(cjson.decode, current)
  if ok and type(meta) == 'table' then
    local status = meta['status']
    if status == 'SUCCESS' or status == 'FAILURE' or status == 'REVOKED' then return 0 end
  end
end
redis.call('SETEX', KEYS[1], ARGV[2], ARGV[1])
redis.call('PUBLISH', KEYS[1], ARGV[1])
return 1
