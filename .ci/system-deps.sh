#!/usr/bin/env bash
# The Debian packages the tests and benchmarks run for real: etcd, promtool, nginx, buildah, yamllint, wrk,
# and curl (the demo test runs the commands `npm start` prints).
set -euo pipefail
need=()
command -v etcd >/dev/null || need+=(etcd-server)
command -v promtool >/dev/null || need+=(prometheus)
command -v nginx >/dev/null || need+=(nginx)
command -v buildah >/dev/null || need+=(buildah)
command -v yamllint >/dev/null || need+=(yamllint)
command -v wrk >/dev/null || need+=(wrk)
command -v curl >/dev/null || need+=(curl)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "missing system packages: ${need[*]} (install them as root: apt-get install ${need[*]})" >&2
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
# The packaged services must not hold the ports or data the tests use.
for svc in etcd nginx prometheus; do
  if command -v systemctl >/dev/null && systemctl is-active --quiet "$svc" 2>/dev/null; then systemctl stop "$svc" || true; fi
done
