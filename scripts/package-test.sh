#!/usr/bin/env bash
# Builds the Debian package from this tree (dpkg-buildpackage -b -us -uc, in a
# copy under /tmp so that nothing lands beside the repository), installs it,
# checks the systemd unit with systemd-analyze verify, runs the installed
# iotpd and iotpctl, and purges the package again. Needs root (or sudo).
# usage: scripts/package-test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
sudo=""
if [ "$(id -u)" -ne 0 ]; then
	sudo="sudo"
fi
if dpkg-query -W -f='${Status}' iotp 2>/dev/null | grep -q "install ok installed"; then
	echo "package-test: an iotp package is installed already; remove it first (dpkg --purge iotp)" >&2
	exit 1
fi
work=$(mktemp -d /tmp/iotp-package.XXXXXX)
trap '$sudo dpkg --purge iotp >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
mkdir "$work/iotp"
# The files git knows (and new ones not ignored): no build directories.
git ls-files -z --cached --others --exclude-standard |
	tar --null -T - -cf - | tar -xf - -C "$work/iotp"

echo "   building the package"
(cd "$work/iotp" && DEB_BUILD_OPTIONS="nocheck noddebs parallel=$(nproc)" \
	dpkg-buildpackage -b -us -uc >"$work/build.log" 2>&1) || {
	tail -40 "$work/build.log" >&2
	exit 1
}
deb=$(ls "$work"/iotp_*.deb)
echo "   installing $(basename "$deb")"
$sudo apt-get install -y -qq --no-install-recommends "$deb" >"$work/install.log" 2>&1 || {
	cat "$work/install.log" >&2
	exit 1
}

fail() {
	echo "package-test: $*" >&2
	exit 1
}
for f in /usr/bin/iotpd /usr/bin/iotpctl /etc/iotp/iotp.conf /lib/systemd/system/iotp.service \
	/usr/share/man/man8/iotpd.8.gz /usr/share/man/man8/iotpctl.8.gz \
	/usr/share/man/man5/iotp.conf.5.gz /usr/share/doc/iotp/iotp.conf.example; do
	[ -e "$f" ] || fail "$f is not installed"
done
getent passwd iotp >/dev/null || fail "no system user iotp"
[ "$(stat -c %U:%a /var/lib/iotp)" = "iotp:700" ] || fail "/var/lib/iotp is not iotp's, mode 700"
[ "$(stat -c %G:%a /etc/iotp/iotp.conf)" = "iotp:640" ] || fail "/etc/iotp/iotp.conf is not 640 root:iotp"
# systemd-analyze verify prints problems on stderr and exits non-zero on errors.
systemd-analyze verify /lib/systemd/system/iotp.service 2>"$work/verify.log" || {
	cat "$work/verify.log" >&2
	fail "systemd-analyze verify refused the unit"
}
if grep -v "^$" "$work/verify.log" | grep -q .; then
	cat "$work/verify.log" >&2
	fail "systemd-analyze verify warned about the unit"
fi
/usr/bin/iotpd --version | grep -q '^iotpd ' || fail "iotpd --version"
/usr/bin/iotpctl --help | grep -q '^usage: iotpctl' || fail "iotpctl --help"
# The man page of the options is the option table's: every option is in it.
zcat /usr/share/man/man5/iotp.conf.5.gz >"$work/conf.5"
for opt in $(/usr/bin/iotpd --print-example-config | sed '/^\[/q' |
	sed -n 's/^#\{0,1\} \{0,1\}\([a-z_0-9]*\) = .*/\1/p'); do
	grep -q "^\.BR $opt " "$work/conf.5" || fail "iotp.conf(5) lacks option $opt"
done
# The packaged configuration is read as the service reads it (it lacks an api_key
# until the operator sets one, and says so).
out=$(/usr/bin/iotpd --config /etc/iotp/iotp.conf --dump-config 2>&1 || true)
echo "$out" | grep -q "api_key" || fail "iotpd --config /etc/iotp/iotp.conf: $out"

echo "   purging"
$sudo dpkg --purge iotp >/dev/null
[ ! -e /usr/bin/iotpd ] || fail "iotpd left after purge"
[ ! -e /var/lib/iotp ] || fail "/var/lib/iotp left after purge"
! getent passwd iotp >/dev/null || fail "user iotp left after purge"
echo "package-test: built, installed, verified and purged $(basename "$deb")"
