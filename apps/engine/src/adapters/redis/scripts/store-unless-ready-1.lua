--[[
  Stores one result record unless the task already has a ready state, in one
  step. A revoker that read STARTED must not overwrite the REVOKED record the
  worker wrote a moment later (with the run it stopped), as a GET then a SET
  from the client could; nor may a late revocation overwrite a task another
  worker, Python or TypeScript, finished meanwhile.

  Both result formats use it: Lovage's records name their state in `state`,
  Celery's metas in `status` (and Celery publishes on the key's own name).

  KEYS[1] the result key
  ARGV[1] the field naming the state ('state' or 'status')   ARGV[2] ttl ms
  ARGV[3] the channel to publish on ('' for none)   ARGV[4] the JSON record

  Invariant: a SUCCESS, FAILURE or REVOKED record is never overwritten.
  Returns 1 when stored.
]]
local current = redis.call('GET', KEYS[1])
if current then
  local ok, record = pcall(cjson.decode, current)
  if ok and type(record) == 'table' then
    local state = record[ARGV[1]]
    if state == 'SUCCESS' or state == 'FAILURE' or state == 'REVOKED' then return 0 end
  end
end
redis.call('SET', KEYS[1], ARGV[4], 'PX', ARGV[2])
if ARGV[3] ~= '' then redis.call('PUBLISH', ARGV[3], ARGV[4]) end
return 1
