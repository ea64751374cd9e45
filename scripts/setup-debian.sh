#!/bin/sh
# Installs everything nuq needs on a bare Debian 12 (as root): compiler, CMake and the
# Debian -dev packages of its dependencies. Safe to run again.
set -eu
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends \
  g++ cmake make ca-certificates python3 \
  libxtensor-dev libxsimd-dev nlohmann-json3-dev catch2 libcli11-dev \
  libbenchmark-dev libyaml-cpp-dev libxtensor-blas-dev libopenblas-dev
