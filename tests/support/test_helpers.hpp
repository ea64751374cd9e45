#pragma once
// Helpers shared by the tests: catching the nuq::error a call must throw, and loading the
// golden configs.json.
#include <fstream>
#include <string>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "nuq/error.hpp"

namespace nuq::test {

/// Runs f, which must throw nuq::error; returns it.
template <class F>
nuq::error error_of(F&& f) {
    try {
        f();
    } catch (nuq::error const& e) {
        return e;
    }
    FAIL("no nuq::error thrown");
    return nuq::error("", "", "");
}

/// tests/data/formats/configs.json: the reference's presets, schemes and args cases.
inline nlohmann::json load_configs() {
    std::ifstream f(std::string(NUQ_TEST_DATA) + "/formats/configs.json");
    REQUIRE(f.good());
    return nlohmann::json::parse(f);
}

} // namespace nuq::test
