// changed_tensors: calibrated tensors kept in an unlinked scratch file, read back exactly.
#include <filesystem>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "nuq/pipeline/changed_tensors.hpp"

namespace fs = std::filesystem;

TEST_CASE("changed tensors come back exactly, from a file that leaves nothing behind",
          "[pipeline]") {
    auto const dir = fs::temp_directory_path() / "nuq_test_changed_tensors";
    fs::remove_all(dir);
    std::vector<float> const bf16_values{0.0f, -1.5f, 3.140625f, 0.0009765625f};
    std::vector<float> const f32_values{0.1f, -2.0f / 3.0f, 1e-30f}; // not bf16 values
    {
        nuq::pipeline::changed_tensors t(dir);
        CHECK_FALSE(t.get("a"));
        t.put("a", bf16_values);
        t.put("b", f32_values);
        CHECK(fs::is_empty(dir)); // unlinked while open
        CHECK(t.get("a") == bf16_values);
        CHECK(t.get("b") == f32_values);
        t.put("a", f32_values); // a later modifier changes it again
        CHECK(t.get("a") == f32_values);
        CHECK(t.get("b") == f32_values);
        CHECK(t.size() == 2);
        nuq::pipeline::changed_tensors moved(std::move(t));
        CHECK(moved.contains("b"));
        CHECK(moved.get("b") == f32_values);
    }
    CHECK(fs::is_empty(dir));
    fs::remove_all(dir);
}
