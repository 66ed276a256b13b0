# shellcheck shell=bash
# bench/lib.sh: what the benchmark scripts share. Sourced, not run.

# iotpd_url OUT PID [TRIES] [PAUSE]: the URL iotpd announces on its standard
# output (file OUT) once it listens, waiting while process PID lives: TRIES
# looks PAUSE seconds apart (default 100 x 0.05 s). Prints nothing when the
# URL never came.
iotpd_url() {
	local out=$1 pid=$2 tries=${3:-100} pause=${4:-0.05} url=""
	for _ in $(seq "$tries"); do
		url=$(sed -n 's/^.*listening on \(http:\/\/[^ ]*\).*/\1/p' "$out" || true)
		[ -n "$url" ] && break
		kill -0 "$pid" 2>/dev/null || break
		sleep "$pause"
	done
	echo "$url"
}

# bench_require SCRIPT PACKAGES TOOL...: stops SCRIPT, saying what to install,
# when a TOOL is missing, or when there is no server binary at $IOTPD.
bench_require() {
	local script=$1 packages=$2 tool
	shift 2
	for tool in "$@"; do
		command -v "$tool" >/dev/null ||
			{ echo "$script: $tool is missing (apt-get install -y $packages)" >&2; exit 1; }
	done
	[ -x "$IOTPD" ] || { echo "$script: no server binary at $IOTPD (set IOTPD)" >&2; exit 1; }
}
