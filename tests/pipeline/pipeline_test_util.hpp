#pragma once
// Helpers for the pipeline tests: the golden checkpoints copied into tests/data, and altered
// copies of them (tensors left out, config.json edited, resharded).
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "io/io_test_util.hpp"
#include "nuq/io/checkpoint.hpp"
#include "nuq/io/checkpoint_writer.hpp"

namespace nuq_test {

inline std::filesystem::path golden_checkpoint(std::string const& name) {
    return std::filesystem::path(NUQ_TEST_DATA) / "checkpoints" / name;
}

inline constexpr char const* golden_checkpoint_names[] = {"int4_int8", "fp8_multiple_strategies",
                                                          "nvfp4a16_fp8", "w8a8_int8"};

/// Writes `src` again as `dst`, keeping the tensors `keep` accepts, with config.json passed
/// through `edit`, in shards of at most `max_shard_size` bytes.
inline void rewrite_checkpoint(
    std::filesystem::path const& src, std::filesystem::path const& dst,
    std::function<bool(std::string const&)> const& keep = {},
    std::function<void(nlohmann::json&)> const& edit = {},
    std::uint64_t max_shard_size = 5'000'000'000) {
    nuq::io::checkpoint const ck(src);
    nuq::io::checkpoint_writer w(dst, {max_shard_size, false});
    std::vector<std::string> names;
    for (auto const& n : ck.names())
        if (!keep || keep(n)) names.push_back(n);
    for (auto const& n : names) {
        auto const t = ck.tensor(n);
        w.add(n, t.type, t.shape);
    }
    auto config = ck.config();
    if (edit) edit(config);
    w.set_config(config);
    w.copy_files_from(ck);
    w.begin();
    for (auto const& n : names) w.write(n, ck.tensor(n).bytes);
    w.commit();
}

} // namespace nuq_test
