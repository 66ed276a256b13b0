-- bench/create.lua: wrk script that only creates sessions (POST /v1/sessions), each
-- for its own number, until TOTAL sessions were created; used by bench/rss.sh.
--
-- Usage: IOTP_BENCH_THREADS=T wrk -tT -cC -d900s -s bench/create.lua URL -- TOTAL DONE_DIR [BASE]
--   TOTAL     sessions to create in all (each of the T threads makes TOTAL/T)
--   DONE_DIR  a thread that made its share writes DONE_DIR/done.<thread> and stops;
--             wrk itself only stops after -d or on SIGINT, so the caller waits for
--             T such files and then sends wrk SIGINT (wrk then prints its summary)
--   BASE      first national number, 10 digits (default 7400000000); thread i uses
--             BASE + i*10^7 onwards, numbers +44<number>
-- The API key is "dev" (iotpd --dev) unless IOTP_BENCH_KEY says otherwise.

local threads = {}
local nthreads = 0

function setup(thread)
	thread:set("tid", nthreads)
	nthreads = nthreads + 1
	table.insert(threads, thread)
end

tid = 0
created = 0
failed = 0
errors = {}

local share, done_dir, base = 0, nil, 7400000000
local counter = 0
local headers
local finished = false

function init(args)
	local total = tonumber(args[1] or "")
	done_dir = args[2]
	if not total or not done_dir then
		error("create.lua: arguments TOTAL DONE_DIR [BASE] are needed (wrk ... URL -- TOTAL DIR)")
	end
	if args[3] then base = tonumber(args[3]) end
	-- a thread's init() cannot see how many threads wrk runs: the caller says it
	local n = tonumber(os.getenv("IOTP_BENCH_THREADS") or "1")
	share = math.ceil(total / n)
	if share > 10000000 then error("create.lua: at most 10^7 sessions per thread") end
	headers = {
		["Authorization"] = "Bearer " .. (os.getenv("IOTP_BENCH_KEY") or "dev"),
		["Content-Type"] = "application/json",
	}
end

function request()
	local n = base + tid * 10000000 + counter
	counter = counter + 1
	return wrk.format("POST", "/v1/sessions", headers,
		'{"phone":"+44' .. string.format("%010d", n) .. '"}')
end

function response(status, hdrs, body)
	if status == 201 then
		created = created + 1
	else
		failed = failed + 1
		local k = tostring(status) .. " " .. (body:match('"code":"([^"]+)"') or "")
		errors[k] = (errors[k] or 0) + 1
	end
	if not finished and created >= share then
		finished = true
		local f = io.open(done_dir .. "/done." .. tid, "w")
		if f then f:write(created, "\n"); f:close() end
		wrk.thread:stop()
	end
end

function done(summary, latency, requests)
	local c, f = 0, 0
	local errs = {}
	for _, t in ipairs(threads) do
		c = c + t:get("created")
		f = f + t:get("failed")
		for k, v in pairs(t:get("errors")) do errs[k] = (errs[k] or 0) + v end
	end
	io.write(string.format("sessions created: %d (%.0f/s), failed: %d\n", c,
		c / (summary.duration / 1e6), f))
	for k, v in pairs(errs) do io.write(string.format("error: %s: %d\n", k, v)) end
end
