-- reclaim-6.lua: re-claims expired leases for redelivery (see Coordinator.reclaimExpired).
-- Input (keys and ARGV[1..2] as in lib.lua; ARGV[2] now: leases with deadline <= now are expired):
--   ARGV[3] invisibleMs (> 0)  ARGV[4] maxCount (offsets in total)
-- Output:
--   a flat list of new leases, 8 entries each (see lease_reply in lib.lua)
local ttl, now = tonumber(ARGV[1]), tonumber(ARGV[2])
local invisible, budget = tonumber(ARGV[3]), tonumber(ARGV[4])
local st = load_state(KEYS)
if not st.exists or budget <= 0 then return {} end
-- Oldest deadline first; ties by lease id (ZSET order is score, then member, so compare ids numerically here).
-- Every lease holds at least one offset, so no more than `budget` leases can be needed.
local ids = redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', now, 'WITHSCORES', 'LIMIT', 0, budget)
local expired = {}
for i = 1, #ids, 2 do expired[#expired + 1] = { id = ids[i], d = tonumber(ids[i + 1]) } end
table.sort(expired, function(x, y)
  if x.d ~= y.d then return x.d < y.d end
  return tonumber(x.id) < tonumber(y.id)
end)
local out = {}
for i = 1, #expired do
  if budget <= 0 then break end
  local id = expired[i].id
  local l = decode_lease(redis.call('HGET', KEYS[2], id))
  if l then
    local taken, rest = take_prefix(l.pending, budget)
    budget = budget - count_of(taken)
    local nid = next_id(st, now)
    local nl = { from = taken[1][1], to = taken[#taken][2], deadline = now + invisible, attempt = l.attempt + 1,
      cut = taken[1][1], pending = taken, sub = l.sub }
    put_lease(KEYS, nid, nl)
    -- The rest of a split lease keeps its id and deadline: it is still expired and goes to the next caller.
    l.pending = rest
    if #rest > 0 then l.cut = rest[1][1] end
    put_lease(KEYS, id, l)
    local r = lease_reply(nid, nl, 0)
    for j = 1, #r do out[#out + 1] = r[j] end
  end
end
save_state(KEYS, st)
touch(KEYS, ttl)
return out
