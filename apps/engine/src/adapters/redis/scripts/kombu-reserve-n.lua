--[[
  Reserves up to `count` messages from kombu's queue lists, with kombu's ack
  emulation (kombu/transport/redis.py QoS.append), for a Celery-mode worker.

  KEYS[1] unacked (hash: delivery tag -> [envelope, exchange, routing_key])
  KEYS[2] unacked_index (zset: delivery tag -> epoch seconds)
  KEYS[3], KEYS[4] ... pairs of (queue list, that queue's dead-letter list),
          in kombu's serving order (each priority step, each queue)
  ARGV[1] now (epoch seconds, float, as kombu's time())
  ARGV[2] count
  ARGV[3] now (epoch ms, for dead letters)

  Invariant: a popped message is never only in this script's hands. It is
  either in `unacked` under its delivery tag, written exactly as a Python
  worker writes it (so either side can restore the other's), or, when it has
  no envelope kombu could track (not JSON, no delivery_tag, no
  delivery_info), on its queue's dead-letter list with the reason. The
  envelope is stored as popped, byte for byte: re-encoding it in Lua would
  turn empty lists into objects.

  Returns a flat list: "d", tag, task id (headers.id, or the tag), list key,
  envelope, "1" if kombu marked it redelivered else "0", for each delivery; "x", id, list key, reason for each dead letter.
]]
local now = ARGV[1]
local want = tonumber(ARGV[2])
local nowMs = tonumber(ARGV[3])
-- Dead letters do not count toward `count`: a bound on pops keeps one call short even over a flood of junk.
local budget = want + 100
local out = {}

local function problem(envelope)
  if type(envelope) ~= 'table' then return 'the envelope is not a JSON object' end
  local props = envelope['properties']
  if type(props) ~= 'table' then return 'properties: missing' end
  local tag = props['delivery_tag']
  if type(tag) ~= 'string' or tag == '' then return 'properties.delivery_tag: expected a non-empty string' end
  local info = props['delivery_info']
  if type(info) ~= 'table' then return 'properties.delivery_info: missing' end
  if type(info['exchange']) ~= 'string' then return 'properties.delivery_info.exchange: expected a string' end
  if type(info['routing_key']) ~= 'string' then return 'properties.delivery_info.routing_key: expected a string' end
  return nil
end

for i = 3, #KEYS, 2 do
  while want > 0 and budget > 0 do
    local payload = redis.call('RPOP', KEYS[i])
    if not payload then break end
    budget = budget - 1
    local ok, envelope = pcall(cjson.decode, payload)
    local why
    if not ok then why = 'invalid JSON' else why = problem(envelope) end
    if why then
      local id = ''
      if ok and type(envelope) == 'table' and type(envelope['headers']) == 'table' and type(envelope['headers']['id']) == 'string' then
        id = envelope['headers']['id']
      end
      local reason = 'malformed message: ' .. why
      redis.call('LPUSH', KEYS[i + 1], cjson.encode({ id = id, list = KEYS[i], body = payload, reason = reason, at = nowMs }))
      out[#out + 1] = 'x'
      out[#out + 1] = id
      out[#out + 1] = KEYS[i]
      out[#out + 1] = reason
    else
      local props = envelope['properties']
      local tag = props['delivery_tag']
      local info = props['delivery_info']
      local id = tag
      if type(envelope['headers']) == 'table' and type(envelope['headers']['id']) == 'string' then
        id = envelope['headers']['id']
      end
      redis.call('ZADD', KEYS[2], now, tag)
      redis.call('HSET', KEYS[1], tag, '[' .. payload .. ', ' .. cjson.encode(info['exchange']) .. ', ' .. cjson.encode(info['routing_key']) .. ']')
      out[#out + 1] = 'd'
      out[#out + 1] = tag
      out[#out + 1] = id
      out[#out + 1] = KEYS[i]
      out[#out + 1] = payload
      local again = info['redelivered'] == true or (type(envelope['headers']) == 'table' and envelope['headers']['redelivered'] == true)
      out[#out + 1] = again and '1' or '0'
      want = want - 1
    end
  end
end
return out
