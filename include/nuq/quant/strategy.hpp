#pragma once
// Strategy policies: which elements of a weight [rows, cols] share one scale (a "unit").
// Sizes (group size, block shape) are run-time values; the kind is the type.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "nuq/error.hpp"
#include "nuq/quant/quant_args.hpp"

namespace nuq::strategy {

/// One scale for the whole tensor; scale shape [1].
struct tensor {
    static constexpr quant_strategy kind = quant_strategy::tensor;
    static constexpr std::string_view name = "tensor";
    [[nodiscard]] std::vector<std::int64_t> scale_shape(std::int64_t, std::int64_t) const {
        return {1};
    }
    void check(std::int64_t, std::int64_t, std::string const&) const {}
    [[nodiscard]] std::int64_t unit(std::int64_t, std::int64_t, std::int64_t,
                                    std::int32_t const*) const {
        return 0;
    }
    /// Consecutive elements of a row that share a unit.
    [[nodiscard]] std::int64_t run_length(std::int64_t cols) const { return cols; }
};

/// One scale per output row; scale shape [rows, 1].
struct channel {
    static constexpr quant_strategy kind = quant_strategy::channel;
    static constexpr std::string_view name = "channel";
    [[nodiscard]] std::vector<std::int64_t> scale_shape(std::int64_t r, std::int64_t) const {
        return {r, 1};
    }
    void check(std::int64_t, std::int64_t, std::string const&) const {}
    [[nodiscard]] std::int64_t unit(std::int64_t r, std::int64_t, std::int64_t,
                                    std::int32_t const*) const {
        return r;
    }
    [[nodiscard]] std::int64_t run_length(std::int64_t cols) const { return cols; }
};

namespace detail {
/// Groups of `size` consecutive input columns (or, with activation order, the columns whose
/// g_idx is the same); scale shape [rows, cols / size]. The reference requires cols % size == 0.
struct grouped {
    int size = 128;
    [[nodiscard]] std::vector<std::int64_t> scale_shape(std::int64_t r, std::int64_t c) const {
        return {r, c / size};
    }
    void check(std::int64_t, std::int64_t cols, std::string const& where) const {
        if (size <= 0 || cols % size != 0)
            throw error("quant.group_size", where,
                        "group_size " + std::to_string(size) + " does not divide the " +
                            std::to_string(cols) + " input columns",
                        "a group size that divides the number of columns",
                        "pick a group_size dividing " + std::to_string(cols) +
                            ", or use strategy channel, or ignore this layer");
    }
    [[nodiscard]] std::int64_t unit(std::int64_t r, std::int64_t c, std::int64_t cols,
                                    std::int32_t const* g_idx) const {
        return r * (cols / size) + (g_idx ? g_idx[c] : c / size);
    }
    [[nodiscard]] std::int64_t run_length(std::int64_t) const { return size; }
};
} // namespace detail

struct group : detail::grouped {
    static constexpr quant_strategy kind = quant_strategy::group;
    static constexpr std::string_view name = "group";
};

/// Groups with a tensor-wide f32 global scale on top (NVFP4).
struct tensor_group : detail::grouped {
    static constexpr quant_strategy kind = quant_strategy::tensor_group;
    static constexpr std::string_view name = "tensor_group";
};

/// Blocks [rows, cols] tiling the weight (the last ones may be partial); scale shape
/// [ceil(R/bh), ceil(C/bw)].
struct block {
    static constexpr quant_strategy kind = quant_strategy::block;
    static constexpr std::string_view name = "block";
    int rows = 128, cols = 128;
    [[nodiscard]] std::vector<std::int64_t> scale_shape(std::int64_t r, std::int64_t c) const {
        return {(r + rows - 1) / rows, (c + cols - 1) / cols};
    }
    void check(std::int64_t, std::int64_t, std::string const& where) const {
        if (rows <= 0 || cols <= 0)
            throw error("quant.block_structure", where, "block_structure must be positive",
                        "[rows, cols] > 0", "use e.g. [128, 128]");
    }
    [[nodiscard]] std::int64_t unit(std::int64_t r, std::int64_t c, std::int64_t ncols,
                                    std::int32_t const*) const {
        return (r / rows) * ((ncols + cols - 1) / cols) + c / cols;
    }
    [[nodiscard]] std::int64_t run_length(std::int64_t) const { return cols; }
};

} // namespace nuq::strategy
