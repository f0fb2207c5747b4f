--[[
  Stores a batch of Celery result metas as Celery's Redis backend writes each
  one: SETEX `celery-task-meta-<id>`, then PUBLISH the meta on the key's name
  (a Python AsyncResult waiting on it wakes on the PUBLISH). One call for a
  worker's results of one event-loop turn, with each meta sent once instead of
  twice and one command instead of two per result.

  KEYS[i]       celery-task-meta-<id> of the i-th result
  ARGV[2i - 1]  its meta JSON   ARGV[2i] its expiry in seconds

  Invariant: each result's SETEX and PUBLISH happen together (the script is
  atomic), as in Celery's MULTI. Returns the number stored.
]]
for i = 1, #KEYS do
  local meta = ARGV[2 * i - 1]
  redis.call('SETEX', KEYS[i], ARGV[2 * i], meta)
  redis.call('PUBLISH', KEYS[i], meta)
end
return #KEYS
