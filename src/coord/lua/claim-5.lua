-- claim-5.lua: atomically reserves offsets for one consumer of a group (see Coordinator.claim).
-- Input:
--   KEYS[1] state hash, KEYS[2] leases hash, KEYS[3] lowest-pending zset, KEYS[4] deadline zset, KEYS[5] group's queue set
--   ARGV[1] startOffsetIfNew  ARGV[2] minOffset  ARGV[3] maxOffset (exclusive)  ARGV[4] maxCount
--   ARGV[5] invisibleMs (0 = auto-ack)  ARGV[6] now (ms)  ARGV[7] member of the group's queue set
-- Output:
--   {} when nothing is available, else { leaseId (0 = auto-ack), from, to, deadline, attempt, "ranges" }
local start, minOff, maxOff = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local maxCount, invisible, now = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])

local st = load_state(KEYS)
if not st.exists then
  st.cur = start
  redis.call('SADD', KEYS[5], ARGV[7])
end
-- Retention deleted everything below minOffset: skip it.
if st.cur < minOff then st.cur = minOff end
st.free = clip(st.free, minOff, math.huge)

local from, to = nil, nil
if maxCount > 0 then
  if #st.free > 0 and st.free[1][1] < maxOff then
    -- Released ranges first, so that holes below the cursor do not hold the committed offset back.
    local a, b = st.free[1][1], st.free[1][2]
    from = a
    to = math.min(b, a + maxCount, maxOff)
    if to < b then st.free[1] = { to, b } else table.remove(st.free, 1) end
  elseif math.min(st.cur + maxCount, maxOff) > st.cur then
    from = st.cur
    to = math.min(st.cur + maxCount, maxOff)
    st.cur = to
  end
end

local reply = {}
if from ~= nil then
  if invisible <= 0 then
    reply = { 0, from, to, 0, 1, fmt(from) .. '-' .. fmt(to) }
  else
    st.seq = st.seq + 1
    local id = fmt(st.seq)
    local l = { from = from, to = to, deadline = now + invisible, attempt = 1, pending = { { from, to } } }
    put_lease(KEYS, id, l)
    reply = lease_reply(id, l)
  end
end
save_state(KEYS, st)
return reply
