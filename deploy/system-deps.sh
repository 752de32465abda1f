#!/usr/bin/env bash
# Installs the system packages the project needs when they are missing (Debian/Ubuntu, as root):
# Java 17 and Maven run the local Kafka; Debian's Chromium renders dashboard and PDF pages in the tests.
set -euo pipefail
need=()
command -v java >/dev/null || need+=(openjdk-17-jre-headless)
command -v mvn >/dev/null || need+=(maven)
command -v chromium >/dev/null || need+=(chromium fonts-dejavu-core)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing system packages: ${need[*]}"
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}"
else
  echo "missing system packages: ${need[*]} — install them (e.g. sudo apt-get install ${need[*]})" >&2
  exit 1
fi
