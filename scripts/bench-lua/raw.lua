-- sysbench: the database's own rate on a table shaped like `entries`, with
-- server-side prepared statements like the service uses. MODE=select runs
-- primary-key point selects; MODE=update single-row autocommit updates.
local mode = os.getenv("MODE") or "select"
local entries = tonumber(os.getenv("ENTRIES") or "10000")

function thread_init()
   drv = sysbench.sql.driver()
   con = drv:connect()
   if mode == "select" then
      stmt = con:prepare("SELECT `value`, version FROM raw_entries WHERE user_id = 1 AND `key` = ?")
      key = stmt:bind_create(sysbench.sql.type.VARCHAR, 32)
      stmt:bind_param(key)
   else
      stmt = con:prepare("UPDATE raw_entries SET `value` = ?, version = version + 1, updated_at = NOW(6) WHERE user_id = 1 AND `key` = ?")
      value = stmt:bind_create(sysbench.sql.type.VARCHAR, 128)
      key = stmt:bind_create(sysbench.sql.type.VARCHAR, 32)
      stmt:bind_param(value, key)
   end
end

function event()
   key:set(string.format("key-%05d", sysbench.rand.uniform(0, entries - 1)))
   if mode ~= "select" then
      value:set("raw update value padded to a realistic size.............." .. sysbench.rand.uniform(0, 1000000))
   end
   stmt:execute()
end

function thread_done()
   stmt:close()
   con:disconnect()
end
