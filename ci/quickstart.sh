#!/usr/bin/env bash
# quickstart.sh: set everything up on a fresh Debian 12 machine and run the
# main job, a conformance check of the hypervisor behind /dev/kvm.
#
#   ci/quickstart.sh [OUT_DIR]   reports go to OUT_DIR (default out/conform)
#
# hcfuzz picks the spec that matches what it detects (specs/pvm.yaml on a PVM
# host, specs/kvm.yaml on hardware KVM). The exit code is the run's verdict
# (docs/verdicts.md). Only what the check needs is installed and built
# (setup.sh --conform): the fuzz targets wait for the first campaign, the
# tests for ci/setup.sh or ci/test.sh.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/ci/setup.sh" --conform "$root/build"
out=${1:-$root/out/conform}
exec "$root/build/hcfuzz" conform --out "$out"
