#pragma once
// The tests' precompiled header (tests/CMakeLists.txt): the third-party and standard headers
// that nearly every test translation unit parses. Built once, by nuq_test_pch, and reused by
// every nuq_tests_<layer> executable; CMake force-includes it ahead of each test source.
// Third-party and standard headers only: a nuq header here would rebuild the PCH, and with it
// every test, on each change to nuq. Test files still include what they use.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <xsimd/xsimd.hpp>
#include <xtensor-blas/xlinalg.hpp>
#include <xtensor/xarray.hpp>
#include <xtensor/xtensor.hpp>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <regex>
#include <sstream>
#include <string>
#include <variant>
#include <vector>
