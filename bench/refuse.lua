-- bench/refuse.lua: wrk script that asks for a session for one and the same
-- number again and again (POST /v1/sessions). With iotpd's default limits the
-- first ten are created and every later one is refused with 429
-- rate_limited_number: what a flood against one number costs the server.
--
-- Usage: wrk -t2 -c32 -d10s -s bench/refuse.lua URL [-- PHONE]
-- PHONE defaults to +447400123456. The API key is "dev" (iotpd --dev) unless
-- IOTP_BENCH_KEY says otherwise. Prints the answers by status after wrk's own
-- statistics ("status 429: N").

local phone = "+447400123456"
local threads = {}

function setup(thread)
	table.insert(threads, thread)
end

function init(args)
	if args[1] then phone = args[1] end
	local key = os.getenv("IOTP_BENCH_KEY") or "dev"
	wrk.method = "POST"
	wrk.path = "/v1/sessions"
	wrk.headers["Authorization"] = "Bearer " .. key
	wrk.headers["Content-Type"] = "application/json"
	wrk.body = '{"phone":"' .. phone .. '"}'
end

-- per thread; wrk copies only plain values between threads
n201, n429, nother = 0, 0, 0

function response(status, headers, body)
	if status == 201 then n201 = n201 + 1
	elseif status == 429 then n429 = n429 + 1
	else nother = nother + 1 end
end

function done(summary, latency, requests)
	local a, b, c = 0, 0, 0
	for _, t in ipairs(threads) do
		a = a + t:get("n201")
		b = b + t:get("n429")
		c = c + t:get("nother")
	end
	print(string.format("created 201: %d, refused 429: %d, other: %d", a, b, c))
end
